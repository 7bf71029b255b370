/**
 * encodeWithin: fitting a packet to the receiver's Maximum Packet Size by
 * leaving out what the specification lets a sender leave out, one row per
 * packet type.
 */

import { assertEquals, assertStrictEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { encode, MqttError, type Packet } from "../mod.ts";
import { encodeWithin } from "../src/fit.ts";

const long = "x".repeat(200);
const properties = {
  reasonString: long,
  userProperties: [["key", long]] as [string, string][],
};

/** Packets whose Reason String and User Properties may be left out, each with its rule. */
const DROPPABLE: [Packet, string][] = [
  [
    { type: "connack", sessionPresent: false, reasonCode: 0, ...properties },
    "[MQTT-3.2.2-19] [MQTT-3.2.2-20]",
  ],
  [
    { type: "puback", packetId: 1, reasonCode: 0x10, ...properties },
    "[MQTT-3.4.2-2] [MQTT-3.4.2-3]",
  ],
  [
    { type: "pubrec", packetId: 1, reasonCode: 0x10, ...properties },
    "[MQTT-3.5.2-2] [MQTT-3.5.2-3]",
  ],
  [
    { type: "pubrel", packetId: 1, reasonCode: 0x92, ...properties },
    "[MQTT-3.6.2-2] [MQTT-3.6.2-3]",
  ],
  [
    { type: "pubcomp", packetId: 1, reasonCode: 0, ...properties },
    "[MQTT-3.7.2-2] [MQTT-3.7.2-3]",
  ],
  [
    { type: "suback", packetId: 1, reasonCodes: [0], ...properties },
    "[MQTT-3.9.2-1] [MQTT-3.9.2-2]",
  ],
  [
    { type: "unsuback", packetId: 1, reasonCodes: [0], ...properties },
    "[MQTT-3.11.2-1] [MQTT-3.11.2-2]",
  ],
  [
    { type: "disconnect", reasonCode: 0, ...properties },
    "[MQTT-3.14.2-3] [MQTT-3.14.2-4]",
  ],
  [
    {
      type: "auth",
      reasonCode: 0x18,
      authenticationMethod: "m",
      ...properties,
    },
    "[MQTT-3.15.2-2] [MQTT-3.15.2-3]",
  ],
];

/** Packets whose User Properties are the application's: never left out. */
const KEPT: Packet[] = [
  {
    type: "publish",
    topic: "t",
    payload: new Uint8Array(),
    qos: 0,
    retain: false,
    dup: false,
    userProperties: properties.userProperties,
  },
  {
    type: "connect",
    protocolVersion: 5,
    clientId: "c",
    cleanStart: true,
    keepAlive: 0,
    userProperties: properties.userProperties,
  },
  {
    type: "subscribe",
    packetId: 1,
    subscriptions: [{ topicFilter: "a", qos: 0 }],
    userProperties: properties.userProperties,
  },
  {
    type: "unsubscribe",
    packetId: 1,
    topicFilters: ["a"],
    userProperties: properties.userProperties,
  },
];

function without(packet: Packet, ...fields: string[]): Packet {
  const copy: Record<string, unknown> = { ...packet };
  for (const field of fields) delete copy[field];
  return copy as unknown as Packet;
}

function assertTooLarge(fn: () => unknown, rules: string): void {
  const error = assertThrows(fn, MqttError);
  assertEquals(error.reasonCode, 0x95);
  for (const rule of rules.split(" ")) {
    assertEquals(error.message.includes(rule), true, error.message);
  }
}

describe("encodeWithin", () => {
  for (const [packet, rules] of DROPPABLE) {
    it(`${packet.type}: leaves out the Reason String, then the User Properties, then both ${rules}`, () => {
      const copy = structuredClone(packet);
      const full = encode(packet);
      const noReason = encode(without(packet, "reasonString"));
      const noUser = encode(without(packet, "userProperties"));
      const bare = encode(without(packet, "reasonString", "userProperties"));
      assertEquals(encodeWithin(packet, 5, full.length), full);
      assertEquals(encodeWithin(packet, 5, full.length - 1), noReason);
      // Either alone would fit: the Reason String goes first.
      assertEquals(
        encodeWithin(packet, 5, Math.max(noReason.length, noUser.length)),
        noReason,
      );
      assertEquals(
        encodeWithin(packet, 5, Math.min(noReason.length, noUser.length) - 1),
        bare,
      );
      assertTooLarge(
        () => encodeWithin(packet, 5, bare.length - 1),
        `[MQTT-3.1.2-24] ${rules}`,
      );
      // The packet given is left as it was.
      assertEquals(packet, copy);
    });
  }

  it("keeps the Reason String when leaving out the User Properties is enough", () => {
    const packet: Packet = {
      type: "puback",
      packetId: 1,
      reasonCode: 0x10,
      reasonString: "short",
      userProperties: [["key", long]],
    };
    const fits = encode(without(packet, "userProperties"));
    assertEquals(encodeWithin(packet, 5, fits.length), fits);
  });

  for (const packet of KEPT) {
    it(`${packet.type}: never leaves out User Properties, refuses with 0x95`, () => {
      const full = encode(packet);
      assertEquals(encodeWithin(packet, 5, full.length), full);
      assertTooLarge(
        () => encodeWithin(packet, 5, full.length - 1),
        "[MQTT-3.1.2-24]",
      );
    });
  }

  it("drops nothing in MQTT 3.1.1, which has no properties to drop", () => {
    const packet: Packet = { type: "puback", packetId: 1 };
    const bytes = encode(packet, { protocolVersion: 4 });
    assertEquals(encodeWithin(packet, 4, 4), bytes);
    assertTooLarge(() => encodeWithin(packet, 4, 3), "[MQTT-3.1.2-24]");
  });

  it("encodes into the buffer given when the packet fits there", () => {
    const into = new Uint8Array(64);
    const packet: Packet = { type: "puback", packetId: 9 };
    const bytes = encodeWithin(packet, 5, 100, into);
    assertStrictEquals(bytes.buffer, into.buffer);
    assertEquals(bytes, encode(packet));
    // A fitted packet is a new array: the buffer is not the place for it.
    const fitted = encodeWithin(DROPPABLE[1][0], 5, 20, into);
    assertEquals(
      fitted,
      encode(without(DROPPABLE[1][0], "reasonString", "userProperties")),
    );
  });

  it("passes encode's errors through", () => {
    const error = assertThrows(
      () => encodeWithin({ type: "puback", packetId: 0 }, 5, 100),
      MqttError,
    );
    assertEquals(error.reasonCode, 0x82);
  });
});
