/**
 * The sending side of the publish flows: Packet Identifiers, the send
 * quota, QoS 1 and 2 acknowledgements, resending on a resumed session, the
 * queue limits, Message Expiry and the peer's Maximum Packet Size. One row
 * per rule, named by its conformance id.
 */

import { assert, assertEquals, assertFalse, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { encode, MqttError, type PublishPacket, type QoS } from "../../mod.ts";
import type {
  ApplicationMessage,
  DroppedEvent,
  PublishedEvent,
} from "../../src/entries/session.ts";
import { OutboundTopicAliases } from "../../src/session/outbound_aliases.ts";
import { PacketIdAllocator } from "../../src/session/packet_ids.ts";
import { Sender, type SenderLimits } from "../../src/session/sender.ts";
import { versionRules } from "../../src/session/version.ts";

const text = new TextEncoder();

function message(
  topic: string,
  qos: QoS,
  extra: Partial<ApplicationMessage> = {},
): ApplicationMessage {
  return { topic, payload: text.encode(topic), qos, retain: false, ...extra };
}

interface Harness {
  sender: Sender;
  events: (PublishedEvent | DroppedEvent)[];
  ids: PacketIdAllocator;
  /** Queues a message; returns whether it was taken. */
  add(m: ApplicationMessage, now?: number, id?: number): boolean;
  /** Every packet the sender gives now. */
  drain(now?: number): PublishPacket[];
}

function harness(
  options: { maximumMessages?: number; maximumBytes?: number } = {},
): Harness {
  const events: (PublishedEvent | DroppedEvent)[] = [];
  const ids = new PacketIdAllocator();
  const sender = new Sender({
    maximumMessages: options.maximumMessages ?? Infinity,
    maximumBytes: options.maximumBytes ?? Infinity,
    reportCompletion: true,
    emit: (event) => events.push(event),
    ids,
  });
  let lastId = 0;
  return {
    sender,
    events,
    ids,
    add(m, now = 0, id = ++lastId) {
      const interval = m.messageExpiryInterval;
      return sender.add(
        id,
        m,
        m.qos,
        m.retain,
        undefined,
        m.payload.length + m.topic.length,
        interval === undefined ? undefined : now + interval * 1000,
        now,
      );
    },
    drain(now = 0) {
      const out: PublishPacket[] = [];
      for (let p; (p = sender.next(now)) !== undefined;) {
        out.push(p as PublishPacket);
      }
      return out;
    },
  };
}

function limits(overrides: Partial<SenderLimits> = {}): SenderLimits {
  return {
    rules: versionRules(5),
    sendQuota: 65_535,
    maximumPacketSize: 268_435_460,
    aliases: undefined,
    maximumQoS: 2,
    retainAvailable: true,
    ...overrides,
  };
}

describe("Sender", () => {
  it("sends nothing while detached", () => {
    const h = harness();
    h.add(message("a", 0));
    assertEquals(h.sender.next(0), undefined);
    h.sender.attach(limits(), false);
    assertEquals(h.drain().length, 1);
  });

  it("[MQTT-4.3.1-1] QoS 0: no Packet Identifier, DUP 0, complete when sent", () => {
    const h = harness();
    h.sender.attach(limits(), false);
    h.add(message("a", 0));
    const [p] = h.drain();
    assertEquals(p, {
      type: "publish",
      topic: "a",
      payload: text.encode("a"),
      qos: 0,
      retain: false,
      dup: false,
    });
    assertEquals(h.events, [{ type: "published", id: 1, reasonCode: 0 }]);
  });

  it("[MQTT-4.3.2-1] [MQTT-4.3.2-2] QoS 1: an unused identifier, DUP 0; [MQTT-4.3.2-3] in flight until its PUBACK", () => {
    const h = harness();
    h.sender.attach(limits(), false);
    h.add(message("a", 1));
    h.add(message("b", 1));
    const [a, b] = h.drain();
    assertEquals([a.packetId, a.dup, b.packetId], [1, false, 2]);
    assertEquals(h.sender.inFlight, 2);
    assertEquals(h.events, []);
    assertEquals(
      h.sender.acknowledge({ type: "puback", packetId: 1 }),
      undefined,
    );
    assertEquals(h.events, [{
      type: "published",
      id: 1,
      reasonCode: 0,
      packet: { type: "puback", packetId: 1 },
    }]);
    assertFalse(h.ids.has(1));
    assertEquals(h.sender.inFlight, 1);
  });

  it("[MQTT-4.3.3-4] QoS 2: a PUBREC below 0x80 is answered with PUBREL; [MQTT-4.3.3-5] in flight until its PUBCOMP", () => {
    const h = harness();
    h.sender.attach(limits(), false);
    h.add(message("a", 2));
    const [p] = h.drain();
    assertEquals(
      h.sender.acknowledge({ type: "pubrec", packetId: p.packetId! }),
      {
        type: "pubrel",
        packetId: p.packetId!,
      },
    );
    assertEquals(h.sender.inFlight, 1);
    assertEquals(h.events, []);
    h.sender.acknowledge({ type: "pubcomp", packetId: p.packetId! });
    assertEquals(h.events.map((e) => e.type), ["published"]);
    assertEquals(h.sender.inFlight, 0);
    assertEquals(h.ids.size, 0);
  });

  it("a QoS 2 message is judged by its PUBREC: a PUBCOMP of 0x92 (identifier already released, after a lost PUBCOMP) still completes it as a success", () => {
    const h = harness();
    h.sender.attach(limits(), false);
    h.add(message("a", 2));
    h.drain();
    h.sender.acknowledge({ type: "pubrec", packetId: 1, reasonCode: 0x10 });
    h.sender.acknowledge({ type: "pubcomp", packetId: 1, reasonCode: 0x92 });
    assertEquals(h.events, [{
      type: "published",
      id: 1,
      reasonCode: 0x10,
      packet: { type: "pubcomp", packetId: 1, reasonCode: 0x92 },
    }]);
  });

  it("[MQTT-4.4.0-2] a PUBACK or PUBREC of 0x80 or above completes the message: reported, no PUBREL, slot free", () => {
    const h = harness();
    h.sender.attach(limits({ sendQuota: 1 }), false);
    h.add(message("a", 2));
    h.add(message("b", 1));
    const [a] = h.drain();
    assertEquals(
      h.sender.acknowledge({
        type: "pubrec",
        packetId: a.packetId!,
        reasonCode: 0x87,
      }),
      undefined,
    );
    assertEquals((h.events[0] as PublishedEvent).reasonCode, 0x87);
    const [b] = h.drain();
    h.sender.acknowledge({
      type: "puback",
      packetId: b.packetId!,
      reasonCode: 0x10,
    });
    assertEquals((h.events[1] as PublishedEvent).reasonCode, 0x10);
  });

  it("[MQTT-3.3.4-7] [MQTT-4.9.0-2] never more QoS 1/2 messages in flight than the send quota; each completion frees a slot", () => {
    const h = harness();
    h.sender.attach(limits({ sendQuota: 2 }), false);
    for (const topic of ["a", "b", "c", "d"]) h.add(message(topic, 1));
    assertEquals(h.drain().map((p) => p.topic), ["a", "b"]);
    h.sender.acknowledge({ type: "puback", packetId: 1 });
    assertEquals(h.drain().map((p) => p.topic), ["c"]);
  });

  it("[MQTT-2.2.1-3] [MQTT-2.2.1-4] a message left in flight keeps its identifier while 70,000 others wrap around it", () => {
    const h = harness();
    h.sender.attach(limits({ sendQuota: 2 }), false);
    h.add(message("stuck", 1));
    const [stuck] = h.drain();
    for (let i = 0; i < 70_000; i++) {
      h.add(message("flow", 1));
      const [p] = h.drain();
      assert(p.packetId !== stuck.packetId, `identifier ${p.packetId} reused`);
      h.sender.acknowledge({ type: "puback", packetId: p.packetId! });
    }
    h.sender.acknowledge({ type: "puback", packetId: stuck.packetId! });
    assertEquals(h.ids.size, 0);
  });

  it("[MQTT-4.9.0-3] QoS 0 messages are not held back by the quota; each QoS keeps its own order [MQTT-4.6.0-5]", () => {
    const h = harness();
    h.sender.attach(limits({ sendQuota: 1 }), false);
    h.add(message("q1-a", 1));
    h.add(message("q1-b", 1));
    h.add(message("q0-a", 0));
    h.add(message("q0-b", 0));
    assertEquals(h.drain().map((p) => p.topic), ["q1-a", "q0-a", "q0-b"]);
  });

  it("sends the older of the two queue heads first", () => {
    const h = harness();
    h.sender.attach(limits(), false);
    h.add(message("0-a", 0));
    h.add(message("1-a", 1));
    h.add(message("0-b", 0));
    assertEquals(h.drain().map((p) => p.topic), ["0-a", "1-a", "0-b"]);
  });

  it("[MQTT-4.4.0-1] [MQTT-3.3.1-1] [MQTT-4.6.0-1] on a resumed session: unacknowledged PUBLISH sent again with DUP and the same identifier, in order", () => {
    const h = harness();
    h.sender.attach(limits(), false);
    for (const topic of ["a", "b", "c"]) h.add(message(topic, 1));
    h.drain();
    h.sender.acknowledge({ type: "puback", packetId: 2 });
    h.sender.detach();
    h.add(message("d", 1));
    h.sender.attach(limits(), true);
    const again = h.drain();
    assertEquals(
      again.map((p) => [p.topic, p.packetId, p.dup]),
      [["a", 1, true], ["c", 3, true], ["d", 4, false]],
    );
  });

  it("[MQTT-4.4.0-1] [MQTT-4.6.0-4] [MQTT-4.3.3-6] PUBREL resent as is, in the order of the PUBRECs, never the PUBLISH again", () => {
    const h = harness();
    h.sender.attach(limits(), false);
    for (const topic of ["a", "b", "c"]) h.add(message(topic, 2));
    h.drain();
    // PUBRECs arrive for 3 then 1; 2 has none.
    h.sender.acknowledge({ type: "pubrec", packetId: 3 });
    h.sender.acknowledge({ type: "pubrec", packetId: 1 });
    h.sender.detach();
    h.sender.attach(limits(), true);
    const again: unknown[] = [];
    for (let p; (p = h.sender.next(0)) !== undefined;) {
      again.push(
        p.type === "pubrel" ? ["pubrel", p.packetId] : [p.topic, p.dup],
      );
    }
    assertEquals(again, [["b", true], ["pubrel", 3], ["pubrel", 1]]);
  });

  it("resends within the send quota of the new connection, before any new message", () => {
    const h = harness();
    h.sender.attach(limits(), false);
    for (const topic of ["a", "b", "c"]) h.add(message(topic, 1));
    h.drain();
    h.sender.detach();
    h.add(message("new", 1));
    h.sender.attach(limits({ sendQuota: 2 }), true);
    assertEquals(h.drain().map((p) => p.topic), ["a", "b"]);
    h.sender.acknowledge({ type: "puback", packetId: 1 });
    assertEquals(h.drain().map((p) => p.topic), ["c"]);
    h.sender.acknowledge({ type: "puback", packetId: 2 });
    assertEquals(h.drain().map((p) => p.topic), ["new"]);
  });

  it("[MQTT-3.2.2-5] discarding what is in flight: QoS 1 and unreceived QoS 2 dropped as session-lost, QoS 2 past its PUBREC reported complete", () => {
    const h = harness();
    h.sender.attach(limits(), false);
    h.add(message("a", 1));
    h.add(message("b", 2));
    h.add(message("c", 2));
    h.drain();
    h.sender.acknowledge({ type: "pubrec", packetId: 3 });
    h.sender.detach();
    h.sender.attach(limits(), false);
    assertEquals(
      h.events.map((e) => [e.type, e.id, e.type === "dropped" ? e.reason : ""]),
      [["dropped", 1, "session-lost"], ["dropped", 2, "session-lost"], [
        "published",
        3,
        "",
      ]],
    );
    assertEquals([h.sender.inFlight, h.ids.size, h.sender.bytes], [0, 0, 0]);
  });

  it("an acknowledgement of an identifier not in flight is ignored; a PUBREC of one is answered with PUBREL 0x92 (MQTT 5.0)", () => {
    const h = harness();
    h.sender.attach(limits(), false);
    assertEquals(
      h.sender.acknowledge({ type: "puback", packetId: 9 }),
      undefined,
    );
    assertEquals(
      h.sender.acknowledge({ type: "pubcomp", packetId: 9 }),
      undefined,
    );
    assertEquals(h.sender.acknowledge({ type: "pubrec", packetId: 9 }), {
      type: "pubrel",
      packetId: 9,
      reasonCode: 0x92,
    });
    h.sender.attach(limits({ rules: versionRules(4) }), false);
    assertEquals(h.sender.acknowledge({ type: "pubrec", packetId: 9 }), {
      type: "pubrel",
      packetId: 9,
    });
    assertEquals(h.events, []);
  });

  const wrong: [string, QoS, "puback" | "pubrec" | "pubcomp"][] = [
    ["a PUBACK for a QoS 2 message", 2, "puback"],
    ["a PUBREC for a QoS 1 message", 1, "pubrec"],
    ["a PUBCOMP before the PUBREC", 2, "pubcomp"],
  ];
  for (const [name, qos, type] of wrong) {
    it(`refuses ${name} with 0x82 Protocol Error (section 4.3)`, () => {
      const h = harness();
      h.sender.attach(limits(), false);
      h.add(message("a", qos));
      h.drain();
      const error = assertThrows(
        () => h.sender.acknowledge({ type, packetId: 1 }),
        MqttError,
      );
      assertEquals(error.reasonCode, 0x82);
    });
  }

  it("queue limits: QoS 0 messages dropped oldest first, then the new message refused", () => {
    const h = harness({ maximumMessages: 3 });
    h.add(message("0-a", 0));
    h.add(message("1-a", 1));
    h.add(message("0-b", 0));
    assert(h.add(message("1-b", 1))); // pushes out 0-a
    assert(h.add(message("1-c", 1))); // pushes out 0-b
    assertFalse(h.add(message("1-d", 1))); // nothing left to push out
    assertEquals(
      h.events.map((e) => e.type === "dropped" && [e.message.topic, e.reason]),
      [["0-a", "queue-full"], ["0-b", "queue-full"]],
    );
    assertEquals(h.sender.queued, 3);
  });

  it("queue limits count bytes too, and in-flight messages", () => {
    const h = harness({ maximumBytes: 10 }); // "abc" counts 6 bytes (topic + payload)
    h.sender.attach(limits(), false);
    assert(h.add(message("abc", 1)));
    h.drain();
    assertEquals(h.sender.bytes, 6);
    assertFalse(h.add(message("def", 1)));
    h.sender.acknowledge({ type: "puback", packetId: 1 });
    assertEquals(h.sender.bytes, 0);
    assert(h.add(message("def", 1)));
  });

  it("[MQTT-3.3.2-5] a message whose expiry passed while it waited is dropped; [MQTT-3.3.2-6] one sent carries the interval left", () => {
    const h = harness();
    h.add(message("a", 1, { messageExpiryInterval: 10 }), 0);
    h.add(message("b", 1, { messageExpiryInterval: 100 }), 0);
    h.sender.attach(limits(), false);
    const [b] = h.drain(10_000);
    assertEquals(b.topic, "b");
    assertEquals(b.messageExpiryInterval, 90);
    assertEquals(h.events, [{
      type: "dropped",
      reason: "expired",
      message: message("a", 1, { messageExpiryInterval: 10 }),
      id: 1,
    }]);
  });

  it("section 3.3.2.3.3: at a queue limit, queued messages that expired are dropped first (expired), before a QoS 0 message or the new one", () => {
    const h = harness({ maximumMessages: 3 });
    h.add(message("soon", 1, { messageExpiryInterval: 1 }), 0);
    h.add(message("later", 0, { messageExpiryInterval: 10 }), 0);
    h.add(message("live-0", 0), 0);
    assert(h.add(message("new-1", 1), 5_000)); // "soon" makes room
    assert(h.add(message("new-2", 1), 11_000)); // "later" makes room
    assertEquals(
      h.events.map((e) => e.type === "dropped" && [e.message.topic, e.reason]),
      [["soon", "expired"], ["later", "expired"]],
    );
    // Nothing expired left: the oldest QoS 0 message goes, as before.
    assert(h.add(message("new-3", 1), 11_000));
    assertEquals(h.events.length, 3);
    assertEquals(
      h.events[2].type === "dropped" && h.events[2].reason,
      "queue-full",
    );
    h.sender.attach(limits(), false);
    assertEquals(h.drain(11_000).map((p) => p.topic), [
      "new-1",
      "new-2",
      "new-3",
    ]);
  });

  it("section 3.3.2.3.3: ... and at the byte limit", () => {
    const h = harness({ maximumBytes: 10 }); // "abc" counts 6 bytes
    h.add(message("abc", 1, { messageExpiryInterval: 1 }), 0);
    assertFalse(h.add(message("def", 1), 999)); // not expired yet: refused
    assert(h.add(message("def", 1), 1_000));
    assertEquals(
      h.events.map((e) => e.type === "dropped" && [e.message.topic, e.reason]),
      [["abc", "expired"]],
    );
    assertEquals(h.sender.bytes, 6);
  });

  it("[MQTT-4.3.3-7] a message in flight is not expired, and is resent with the interval it was first sent with", () => {
    const h = harness();
    h.sender.attach(limits(), false);
    h.add(message("a", 2, { messageExpiryInterval: 10 }), 0);
    assertEquals(h.drain(2_500)[0].messageExpiryInterval, 8);
    h.sender.detach();
    h.sender.attach(limits(), true);
    const [again] = h.drain(60_000);
    assertEquals([again.dup, again.messageExpiryInterval], [true, 8]);
  });

  it("[MQTT-3.1.2-25] [MQTT-3.2.2-15] a message larger than the peer's Maximum Packet Size is dropped, and frees its place", () => {
    const h = harness();
    const small = message("a", 1);
    const size = encode({ type: "publish", ...small, dup: false, packetId: 1 })
      .length;
    h.sender.attach(limits({ maximumPacketSize: size, sendQuota: 1 }), false);
    h.add(message("a", 1, { payload: new Uint8Array(100) }));
    h.add(small);
    const sent = h.drain();
    assertEquals(sent.map((p) => p.payload.length), [1]);
    assertEquals(
      h.events.map((e) => e.type === "dropped" && e.reason),
      ["too-large"],
    );
    assertEquals(encode(sent[0]).length, size);
  });

  it("a QoS or RETAIN the peer does not take drops a queued message as not-supported [MQTT-3.2.2-11] [MQTT-3.2.2-14]", () => {
    const h = harness();
    h.add(message("a", 2));
    h.add(message("b", 0, { retain: true }));
    h.add(message("c", 1));
    h.sender.attach(limits({ maximumQoS: 1, retainAvailable: false }), false);
    assertEquals(h.drain().map((p) => p.topic), ["c"]);
    assertEquals(
      h.events.map((e) => e.type === "dropped" && e.reason),
      ["not-supported", "not-supported"],
    );
  });

  it("Topic Aliases: a new alias goes with the topic, then the alias alone [MQTT-3.3.2-8] [MQTT-3.3.2-9] [MQTT-3.3.2-11]", () => {
    const h = harness();
    h.sender.attach(
      limits({ aliases: new OutboundTopicAliases(1) }),
      false,
    );
    for (const topic of ["sensors/1", "sensors/1", "sensors/2"]) {
      h.add(message(topic, 0));
    }
    assertEquals(
      h.drain().map((p) => [p.topic, p.topicAlias]),
      [["sensors/1", 1], ["", 1], ["sensors/2", undefined]],
    );
  });

  it("a resend on a new connection establishes the topic's alias afresh [MQTT-3.3.2-7]", () => {
    const h = harness();
    h.sender.attach(limits({ aliases: new OutboundTopicAliases(1) }), false);
    h.add(message("sensors/1", 1));
    h.add(message("sensors/1", 1));
    assertEquals(h.drain().map((p) => p.topic), ["sensors/1", ""]);
    h.sender.detach();
    h.sender.attach(limits({ aliases: new OutboundTopicAliases(1) }), true);
    assertEquals(
      h.drain().map((p) => [p.topic, p.topicAlias]),
      [["sensors/1", 1], ["", 1]],
    );
  });

  it("MQTT 3.1.1: message properties are left out (that version has no place for them)", () => {
    const h = harness();
    h.sender.attach(limits({ rules: versionRules(4) }), false);
    h.add(
      message("a", 1, { contentType: "text/plain", messageExpiryInterval: 5 }),
    );
    const [p] = h.drain();
    assertEquals(p.contentType, undefined);
    assertEquals(p.messageExpiryInterval, undefined);
    encode(p, { protocolVersion: 4 });
  });

  it("[MQTT-2.2.1-3] while every Packet Identifier is in use, a QoS 1/2 message waits queued (QoS 0 still goes), and goes when one is free", () => {
    const h = harness();
    let held = 65_535; // identifiers held elsewhere (the session's SUBSCRIBEs)
    h.ids.track({
      get size() {
        return held;
      },
      has: (id) => id <= held,
    });
    h.sender.attach(limits(), false);
    h.add(message("waits", 1));
    h.add(message("goes", 0));
    assertEquals(h.drain().map((p) => p.topic), ["goes"]);
    assertEquals([h.sender.queued, h.sender.inFlight], [1, 0]);
    held = 65_534; // 65,535 is free
    const [publish] = h.drain();
    assertEquals([publish.topic, publish.packetId], ["waits", 65_535]);
    assertEquals(h.events.map((e) => e.type), ["published"]);
  });

  it("end() forgets a QoS 2 message past its PUBREC as complete (the peer has it) [MQTT-4.3.3-3], and drops the others", () => {
    const h = harness();
    h.sender.attach(limits(), false);
    h.add(message("received", 2));
    h.add(message("unanswered", 2));
    h.drain();
    h.sender.acknowledge({ type: "pubrec", packetId: 1, reasonCode: 0x10 });
    h.sender.end("session-ended");
    assertEquals(
      h.events.map((e) => e.type === "dropped" ? e.message.topic : e),
      // in the order of resending: PUBLISHes, then PUBRELs [MQTT-4.6.0-4]
      ["unanswered", { type: "published", id: 1, reasonCode: 0x10 }],
    );
    assertEquals([h.sender.inFlight, h.sender.bytes, h.ids.size], [0, 0, 0]);
  });

  it("end() drops every message, in flight first, then queued in arrival order", () => {
    const h = harness();
    h.sender.attach(limits({ sendQuota: 1 }), false);
    h.add(message("a", 1));
    h.add(message("b", 1));
    h.add(message("c", 0));
    h.sender.next(0); // a goes in flight
    h.sender.end("session-ended");
    assertEquals(
      h.events.map((e) => e.type === "dropped" && e.message.topic),
      ["a", "b", "c"],
    );
    assertEquals([h.sender.inFlight, h.sender.queued, h.ids.size], [0, 0, 0]);
  });
});
