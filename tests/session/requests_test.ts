/**
 * A client session's SUBSCRIBE and UNSUBSCRIBE requests: Packet
 * Identifiers given in order and never one in use [MQTT-2.2.1-3], sent once
 * connected, answered by identifier [MQTT-2.2.1-6], refused with 0x95 when
 * the server's Maximum Packet Size cannot take them [MQTT-3.2.2-15], and
 * kept across a snapshot.
 */

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertThrows,
} from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import {
  MqttError,
  type Packet,
  type SubackPacket,
  type SubscribePacket,
  type UnsubackPacket,
  type UnsubscribePacket,
} from "../../mod.ts";
import type { PeerLimits } from "../../src/session/control.ts";
import { PacketIdAllocator } from "../../src/session/packet_ids.ts";
import { RequestTable } from "../../src/session/requests.ts";
import type { RestoredRequest } from "../../src/session/snapshot.ts";
import type {
  SubscribedEvent,
  UnsubscribedEvent,
} from "../../src/session/types.ts";
import { type VersionRules, versionRules } from "../../src/session/version.ts";

const v5 = versionRules(5);
const v4 = versionRules(4);

function server(maximumPacketSize = 268_435_455): PeerLimits {
  return { rules: v5, maximumPacketSize, problemInformation: true };
}

/** A table, what it sent and emitted, and the identifiers PUBLISH packets hold. */
function harness(rules: VersionRules = v5): {
  table: RequestTable;
  ids: PacketIdAllocator;
  publishes: Map<number, true>;
  sent: Packet[];
  events: (SubscribedEvent | UnsubscribedEvent)[];
} {
  const ids = new PacketIdAllocator();
  const publishes = new Map<number, true>();
  ids.track(publishes);
  const sent: Packet[] = [];
  const events: (SubscribedEvent | UnsubscribedEvent)[] = [];
  const table = new RequestTable({
    rules,
    ids,
    transmit: (packet) => sent.push(packet),
    emit: (event) => events.push(event),
  });
  return { table, ids, publishes, sent, events };
}

function subscribe(...filters: string[]): SubscribePacket {
  return {
    type: "subscribe",
    packetId: 1,
    subscriptions: filters.map((topicFilter) => ({ topicFilter, qos: 1 })),
  };
}

function unsubscribe(...topicFilters: string[]): UnsubscribePacket {
  return { type: "unsubscribe", packetId: 1, topicFilters };
}

function suback(packetId: number, ...reasonCodes: number[]): SubackPacket {
  return { type: "suback", packetId, reasonCodes };
}

function unsuback(packetId: number, ...reasonCodes: number[]): UnsubackPacket {
  return { type: "unsuback", packetId, reasonCodes };
}

function sentIds(sent: Packet[]): number[] {
  return sent.map((packet) => (packet as SubscribePacket).packetId);
}

describe("RequestTable", () => {
  it("gives each request an identifier no packet in flight holds [MQTT-2.2.1-3]", () => {
    const { table, publishes, sent } = harness();
    publishes.set(2, true);
    table.add(1, subscribe("a"), server());
    table.add(2, subscribe("b"), server());
    table.add(3, unsubscribe("a"), server());
    assertEquals(sentIds(sent), [1, 3, 4]);
  });

  it("does not reuse an identifier while its request is in flight, whatever the order of answers [MQTT-2.2.1-3]", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant("add"), fc.nat(20)), { maxLength: 60 }),
        (steps) => {
          const { table, sent, events } = harness();
          const inFlight = new Map<number, number>(); // packetId → event id
          let nextId = 0;
          for (const step of steps) {
            if (step === "add") {
              table.add(++nextId, subscribe("t"), server());
              const packetId = sentIds(sent).at(-1)!;
              assert(!inFlight.has(packetId), `${packetId} reused`);
              inFlight.set(packetId, nextId);
            } else if (inFlight.size > 0) {
              const packetId = [...inFlight.keys()][step % inFlight.size];
              table.answer(suback(packetId, 1));
              assertEquals(events.at(-1)?.id, inFlight.get(packetId));
              inFlight.delete(packetId);
            }
            assertEquals(table.size, inFlight.size);
          }
        },
      ),
    );
  });

  it("keeps the waiting order while all 65,535 identifiers are in use [MQTT-2.2.1-3]", () => {
    const { table, publishes, sent } = harness();
    for (let id = 1; id <= 65_535; id++) publishes.set(id, true);
    table.add(1, subscribe("first"), server());
    table.add(2, unsubscribe("second"), server());
    table.add(3, subscribe("third"), server());
    assertEquals(sent, []);
    assertEquals([table.size, table.waiting], [3, 3]);

    publishes.delete(9);
    table.assignIdentifiers(server());
    publishes.delete(4);
    publishes.delete(5);
    table.assignIdentifiers(server());
    assertEquals(sent.map((packet) => [packet.type, sentIds([packet])[0]]), [
      ["subscribe", 9],
      ["unsubscribe", 4],
      ["subscribe", 5],
    ]);
    assertEquals([table.size, table.waiting], [3, 0]);
    assertEquals(
      (sent[0] as SubscribePacket).subscriptions[0].topicFilter,
      "first",
    );
  });

  it("sends nothing before the server's limits are known, then the requests in flight and the waiting ones, in order", () => {
    const { table, publishes, sent } = harness();
    for (let id = 2; id <= 65_535; id++) publishes.set(id, true);
    table.add(1, subscribe("a"), undefined); // gets identifier 1
    table.add(2, subscribe("b"), undefined); // waits
    assertEquals(sent, []);
    publishes.delete(3);
    table.resend(server());
    assertEquals(sentIds(sent), [1, 3]);
    // A second connection sends the unanswered requests again.
    table.resend(server());
    assertEquals(sentIds(sent), [1, 3, 1, 3]);
  });

  it("matches an answer to its request by Packet Identifier, in any order", () => {
    const { table, events, ids } = harness();
    table.add(10, subscribe("a", "b"), server());
    table.add(11, unsubscribe("c"), server());
    table.add(12, subscribe("d"), server());
    table.answer(unsuback(2, 0x11));
    table.answer(suback(3, 0x80));
    table.answer(suback(1, 0, 2));
    assertEquals(
      events.map(({ type, id, reasonCodes }) => ({ type, id, reasonCodes })),
      [
        { type: "unsubscribed", id: 11, reasonCodes: [0x11] },
        { type: "subscribed", id: 12, reasonCodes: [0x80] },
        { type: "subscribed", id: 10, reasonCodes: [0, 2] },
      ],
    );
    assertEquals(events[0].packet, unsuback(2, 0x11));
    assertEquals(ids.size, 0);
    assertEquals(table.size, 0);
  });

  it("takes an MQTT 3.1.1 UNSUBACK, which has no reason codes", () => {
    const { table, events } = harness(v4);
    table.add(1, unsubscribe("a", "b"), server());
    table.answer(unsuback(1));
    assertEquals(events[0].type, "unsubscribed");
    assertEquals(events[0].reasonCodes, []);
  });

  describe("refuses an answer with a protocol error (0x82)", () => {
    const rows: {
      rule: string;
      answer: SubackPacket | UnsubackPacket;
      message: string;
    }[] = [
      {
        rule: "an identifier of no request [MQTT-2.2.1-6]",
        answer: suback(7, 0),
        message: "SUBACK: Packet Identifier 7 answers no SUBSCRIBE in flight",
      },
      {
        rule: "a SUBACK for an UNSUBSCRIBE [MQTT-2.2.1-6]",
        answer: suback(2, 0),
        message: "SUBACK: Packet Identifier 2 answers no SUBSCRIBE in flight",
      },
      {
        rule: "an UNSUBACK for a SUBSCRIBE [MQTT-2.2.1-6]",
        answer: unsuback(1, 0),
        message:
          "UNSUBACK: Packet Identifier 1 answers no UNSUBSCRIBE in flight",
      },
      {
        rule:
          "a SUBACK with a reason code count other than the filters' [MQTT-3.9.3-1]",
        answer: suback(1, 0),
        message: "SUBACK: 1 reason codes for 2 topic filters [MQTT-3.9.3-1]",
      },
      {
        rule:
          "an MQTT 5.0 UNSUBACK with a reason code count other than the filters' [MQTT-3.11.3-1]",
        answer: unsuback(2),
        message: "UNSUBACK: 0 reason codes for 1 topic filters [MQTT-3.11.3-1]",
      },
    ];
    for (const { rule, answer, message } of rows) {
      it(rule, () => {
        const { table, events } = harness();
        table.add(1, subscribe("a", "b"), server());
        table.add(2, unsubscribe("c"), server());
        const error = assertThrows(
          () => table.answer(answer),
          MqttError,
          message,
        );
        assertEquals(error.reasonCode, 0x82);
        assertEquals(events, []);
        assertEquals(table.size, 2); // nothing answered
      });
    }

    it("a second answer to one request [MQTT-2.2.1-6]", () => {
      const { table } = harness();
      table.add(1, subscribe("a"), server());
      table.answer(suback(1, 0));
      assertThrows(() => table.answer(suback(1, 0)), MqttError, "in flight");
    });
  });

  describe("answers 0x95 a request the server's Maximum Packet Size cannot take [MQTT-3.2.2-15]", () => {
    const rows: {
      kind: string;
      packet: SubscribePacket | UnsubscribePacket;
      type: "subscribed" | "unsubscribed";
    }[] = [
      {
        kind: "a SUBSCRIBE",
        packet: subscribe("a/long/topic/filter", "another/one"),
        type: "subscribed",
      },
      {
        kind: "an UNSUBSCRIBE",
        packet: unsubscribe("a/long/topic/filter", "another/one"),
        type: "unsubscribed",
      },
      {
        kind:
          "a SUBSCRIBE whose User Properties make it too large (they are never left out)",
        packet: {
          ...subscribe("a", "b"),
          userProperties: [["trace", "x".repeat(40)]],
        },
        type: "subscribed",
      },
    ];
    for (const { kind, packet, type } of rows) {
      it(kind, () => {
        const { table, sent, events, ids } = harness();
        table.add(5, packet, undefined);
        table.add(6, subscribe("b"), undefined);
        table.resend(server(20));
        // The small one goes; the large one is answered, its identifier freed.
        assertEquals(sentIds(sent), [2]);
        assertEquals(events.length, 1);
        const event = events[0];
        assertEquals(event.type, type);
        assertEquals(event.id, 5);
        assertEquals(event.reasonCodes, [0x95, 0x95]);
        assertEquals(event.packet, undefined);
        assertInstanceOf(event.error, MqttError);
        assertEquals(event.error.reasonCode, 0x95);
        assertEquals(ids.size, 1);
        assertEquals(table.size, 1);
      });
    }
  });

  it("keeps its requests across a snapshot: identifiers, waiting order and ids", () => {
    const { table, publishes } = harness();
    table.add(1, subscribe("a"), undefined);
    for (let id = 2; id <= 65_535; id++) publishes.set(id, true);
    table.add(2, {
      ...unsubscribe("b"),
      userProperties: [["k", "v"]],
    }, undefined);
    const saved = table.snapshot();
    assertEquals(saved, [
      {
        id: 1,
        packetId: 1,
        packet: {
          type: "subscribe",
          subscriptions: [{ topicFilter: "a", qos: 1 }],
        },
      },
      {
        id: 2,
        packet: {
          type: "unsubscribe",
          topicFilters: ["b"],
          userProperties: [["k", "v"]],
        },
      },
    ]);

    const restored = harness();
    restored.table.restore([
      { ...saved[0], packetId: 1, packet: { ...saved[0].packet, packetId: 1 } },
      {
        ...saved[1],
        packetId: undefined,
        packet: { ...saved[1].packet, packetId: 1 },
      },
    ] as RestoredRequest[]);
    assertEquals(restored.table.snapshot(), saved);
    assertEquals(restored.ids.size, 1); // identifier 1 is in use again
    restored.table.resend(server());
    assertEquals(sentIds(restored.sent), [1, 2]);
    restored.table.answer(suback(1, 0));
    assertEquals(restored.events[0].id, 1);
  });

  it("snapshots a copy: changing the request afterwards changes no snapshot", () => {
    const { table } = harness();
    const packet: SubscribePacket = {
      ...subscribe("a"),
      userProperties: [["k", "v"]],
    };
    table.add(1, packet, undefined);
    const saved = table.snapshot();
    packet.subscriptions[0].qos = 2;
    packet.userProperties![0][1] = "changed";
    assertEquals(saved[0].packet, {
      type: "subscribe",
      subscriptions: [{ topicFilter: "a", qos: 1 }],
      userProperties: [["k", "v"]],
    });
  });
});
