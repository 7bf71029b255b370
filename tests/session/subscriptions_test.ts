/**
 * A server session's subscriptions as pure functions: the proposed answer
 * to a SUBSCRIBE, the subscriptions made and removed, and which of them a
 * delivered message is for.
 */

import { assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import {
  MqttError,
  type SubscribePacket,
  type UnsubscribePacket,
} from "../../mod.ts";
import {
  addSubscriptions,
  checkRequestAnswer,
  matchSubscriptions,
  PendingRequests,
  proposeReasonCodes,
  removeSubscriptions,
  type SubscriptionLimits,
  type Subscriptions,
} from "../../src/session/subscriptions.ts";
import { versionRules } from "../../src/session/version.ts";

const v5 = versionRules(5);
const v4 = versionRules(4);
const limits: SubscriptionLimits = {
  maximumQoS: 2,
  wildcardSubscriptionAvailable: true,
  sharedSubscriptionAvailable: true,
  maximumSubscriptions: 1_000,
};

function subscribePacket(
  ...filters: [string, 0 | 1 | 2][]
): SubscribePacket {
  return {
    type: "subscribe",
    packetId: 1,
    subscriptions: filters.map(([topicFilter, qos]) => ({ topicFilter, qos })),
  };
}

function held(filters: Record<string, 0 | 1 | 2>): Subscriptions {
  const subscriptions: Subscriptions = new Map();
  for (const [filter, qos] of Object.entries(filters)) {
    subscriptions.set(filter, {
      qos,
      noLocal: false,
      retainAsPublished: false,
      subscriptionIdentifier: undefined,
    });
  }
  return subscriptions;
}

describe("proposeReasonCodes", () => {
  const rows: {
    rule: string;
    limits?: Partial<SubscriptionLimits>;
    rules?: typeof v5;
    filter: string;
    expected: number;
  }[] = [
    {
      rule: "[MQTT-3.8.4-8] grants at most the server's Maximum QoS",
      limits: { maximumQoS: 1 },
      filter: "a/b",
      expected: 1,
    },
    {
      rule: "section 3.2.2.3.13: 0x9E without shared subscriptions",
      limits: { sharedSubscriptionAvailable: false },
      filter: "$share/g/a",
      expected: 0x9e,
    },
    {
      rule:
        "section 3.2.2.3.11: 0xA2 without wildcards, in a shared filter too",
      limits: { wildcardSubscriptionAvailable: false },
      filter: "$share/g/a/+",
      expected: 0xa2,
    },
    {
      rule: "0x97 past maximumSubscriptions",
      limits: { maximumSubscriptions: 1 },
      filter: "new",
      expected: 0x97,
    },
    {
      rule: "MQTT 3.1.1 says every refusal as 0x80",
      limits: { wildcardSubscriptionAvailable: false },
      rules: v4,
      filter: "a/#",
      expected: 0x80,
    },
  ];
  for (const row of rows) {
    it(row.rule, () => {
      const codes = proposeReasonCodes(
        subscribePacket([row.filter, 2]),
        held({ old: 0 }),
        row.rules ?? v5,
        { ...limits, ...row.limits },
      );
      assertEquals(codes, [row.expected]);
    });
  }

  it("counts the filters of one SUBSCRIBE against the quota, not a replaced one", () => {
    const codes = proposeReasonCodes(
      subscribePacket(["old", 1], ["x", 1], ["y", 1]),
      held({ old: 0 }),
      v5,
      { ...limits, maximumSubscriptions: 2 },
    );
    assertEquals(codes, [1, 1, 0x97]);
  });

  it("proposes 0x11 for a filter not subscribed to (MQTT 5.0 only)", () => {
    const packet: UnsubscribePacket = {
      type: "unsubscribe",
      packetId: 1,
      topicFilters: ["a", "none"],
    };
    assertEquals(proposeReasonCodes(packet, held({ a: 0 }), v5, limits), [
      0,
      0x11,
    ]);
    assertEquals(proposeReasonCodes(packet, held({ a: 0 }), v4, limits), [
      0,
      0,
    ]);
  });
});

describe("addSubscriptions and removeSubscriptions", () => {
  it("[MQTT-3.8.4-3] replaces a subscription to the same filter, and says it is not new", () => {
    const subscriptions = held({ a: 0 });
    const { granted, reasonCodes } = addSubscriptions(
      subscriptions,
      subscribePacket(["a", 2], ["b", 1]),
      [2, 1],
      v5,
      limits,
    );
    assertEquals(reasonCodes, [2, 1]);
    assertEquals(granted.map((g) => [g.topicFilter, g.isNew]), [
      ["a", false],
      ["b", true],
    ]);
    assertEquals(subscriptions.get("a")?.qos, 2);
  });

  it("refuses with 0x97 when the quota is reached meanwhile, and leaves the codes given untouched", () => {
    const subscriptions = held({ a: 0 });
    const codes = [1];
    const { reasonCodes } = addSubscriptions(
      subscriptions,
      subscribePacket(["b", 1]),
      codes,
      v5,
      { ...limits, maximumSubscriptions: 1 },
    );
    assertEquals(reasonCodes, [0x97]);
    assertEquals(codes, [1]);
    assertEquals([...subscriptions.keys()], ["a"]);
  });

  it("sends no retained messages for a shared subscription (section 4.8.2)", () => {
    const { granted } = addSubscriptions(
      new Map(),
      subscribePacket(["$share/g/a", 1], ["a", 1]),
      [1, 1],
      v5,
      limits,
    );
    assertEquals(granted.map((g) => g.sendRetained), [false, true]);
  });

  it("[MQTT-3.10.4-1] removes the filters not refused, compared character by character", () => {
    const subscriptions = held({ a: 0, "a/+": 1, b: 0 });
    const removed = removeSubscriptions(
      subscriptions,
      { type: "unsubscribe", packetId: 1, topicFilters: ["a/#", "a/+", "b"] },
      [0x11, 0, 0x87],
    );
    assertEquals(removed, ["a/+"]);
    assertEquals([...subscriptions.keys()], ["a", "b"]);
  });
});

describe("matchSubscriptions", () => {
  const subscriptions: Subscriptions = new Map([
    ["a/+", {
      qos: 1,
      noLocal: false,
      retainAsPublished: false,
      subscriptionIdentifier: 7,
    }],
    ["a/#", {
      qos: 2,
      noLocal: true,
      retainAsPublished: true,
      subscriptionIdentifier: undefined,
    }],
    ["$share/g/a/b", {
      qos: 0,
      noLocal: false,
      retainAsPublished: false,
      subscriptionIdentifier: 9,
    }],
  ]);

  it("[MQTT-3.3.4-2] takes the highest QoS, [MQTT-3.3.4-3] every identifier, of the non-shared matches", () => {
    assertEquals(
      matchSubscriptions(subscriptions, "a/b", undefined, false, v5),
      { qos: 2, retainAsPublished: true, identifiers: [7] },
    );
  });

  it("[MQTT-3.8.3-3] leaves out No Local subscriptions for the publisher's own message", () => {
    assertEquals(
      matchSubscriptions(subscriptions, "a/b", undefined, true, v5),
      { qos: 1, retainAsPublished: false, identifiers: [7] },
    );
  });

  it("takes a shared subscription only when named, matching without its prefix", () => {
    assertEquals(
      matchSubscriptions(subscriptions, "a/b", ["$share/g/a/b"], false, v5),
      { qos: 0, retainAsPublished: false, identifiers: [9] },
    );
    assertEquals(
      matchSubscriptions(subscriptions, "a/c", ["$share/g/a/b"], false, v5),
      undefined,
    );
  });

  it("refuses a filter that is not a string with 0x81", () => {
    const error = assertThrows(
      () =>
        matchSubscriptions(
          subscriptions,
          "a/b",
          [1 as unknown as string],
          false,
          v5,
        ),
      MqttError,
    );
    assertEquals(error.reasonCode, 0x81);
  });
});

describe("checkRequestAnswer and PendingRequests", () => {
  it("[MQTT-3.8.4-7] refuses a granted QoS above the requested one", () => {
    const error = assertThrows(
      () => checkRequestAnswer(subscribePacket(["a", 1]), [2], {}, v5),
      MqttError,
      "[MQTT-3.8.4-7]",
    );
    assertEquals(error.reasonCode, 0x82);
  });

  it("refuses an answer with the wrong number of codes", () => {
    assertThrows(
      () => checkRequestAnswer(subscribePacket(["a", 1]), [0, 0], {}, v5),
      MqttError,
      "needs 1 valid reason codes",
    );
  });

  it("[MQTT-2.2.1-3] refuses a Packet Identifier in use until its request is answered", () => {
    const pending = new PendingRequests();
    const request = subscribePacket(["a", 1]);
    pending.hold(1, request, v5);
    assertThrows(
      () => pending.hold(2, request, v5),
      MqttError,
      "[MQTT-2.2.1-3]",
    );
    assertEquals(pending.get(1), request);
    pending.delete(1);
    pending.hold(2, request, v5);
    assertEquals(pending.size, 1);
    pending.clear();
    assertEquals(pending.size, 0);
  });
});
