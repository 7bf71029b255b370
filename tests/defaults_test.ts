/**
 * The specification's default values: one row per constant with the value
 * its section gives, and the codec filling in or enforcing the same values.
 */

import { assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import * as codec from "../mod.ts";
import { decode, encode, MqttError } from "../mod.ts";

/** Name, value, and the section that states it. */
const TABLE: [string, unknown, string][] = [
  ["DEFAULT_RECEIVE_MAXIMUM", 65_535, "3.1.2.11.3, 3.2.2.3.3"],
  ["DEFAULT_TOPIC_ALIAS_MAXIMUM", 0, "3.1.2.11.5, 3.2.2.3.8"],
  ["DEFAULT_MAXIMUM_QOS", 2, "3.2.2.3.4"],
  ["DEFAULT_RETAIN_AVAILABLE", true, "3.2.2.3.5"],
  ["DEFAULT_MAXIMUM_PACKET_SIZE", 268_435_460, "3.1.2.11.4, 2.1.4"],
  ["DEFAULT_SESSION_EXPIRY_INTERVAL", 0, "3.1.2.11.2"],
  ["SESSION_NEVER_EXPIRES", 0xffffffff, "3.1.2.11.2"],
  ["DEFAULT_WILL_DELAY_INTERVAL", 0, "3.1.3.2.2"],
  ["DEFAULT_REQUEST_RESPONSE_INFORMATION", false, "3.1.2.11.6"],
  ["DEFAULT_REQUEST_PROBLEM_INFORMATION", true, "3.1.2.11.7"],
  ["DEFAULT_WILDCARD_SUBSCRIPTION_AVAILABLE", true, "3.2.2.3.11"],
  ["DEFAULT_SUBSCRIPTION_IDENTIFIERS_AVAILABLE", true, "3.2.2.3.12"],
  ["DEFAULT_SHARED_SUBSCRIPTION_AVAILABLE", true, "3.2.2.3.13"],
  ["DEFAULT_KEEP_ALIVE", 60, "(a client's choice, not the specification's)"],
  ["MAXIMUM_PACKET_ID", 65_535, "2.2.1"],
  ["MAXIMUM_TOPIC_ALIAS", 65_535, "3.2.2.3.8"],
  ["DEFAULT_PAYLOAD_FORMAT_INDICATOR", false, "3.3.2.3.2"],
  ["DEFAULT_REASON_CODE", 0, "3.4.2.1, 3.14.2.1, 3.15.2.1"],
  ["DEFAULT_RETAIN_HANDLING", 0, "3.8.3.1"],
];

describe("defaults", () => {
  for (const [name, value, section] of TABLE) {
    it(`${name} is ${String(value)} (section ${section})`, () => {
      assertEquals((codec as Record<string, unknown>)[name], value);
    });
  }

  it("every DEFAULT_ and MAXIMUM_ constant of the module is in the table", () => {
    const exported = Object.keys(codec).filter((key) =>
      /^(DEFAULT_|MAXIMUM_|SESSION_)/.test(key)
    ).sort();
    assertEquals(
      exported,
      [...TABLE.map(([name]) => name), "MAXIMUM_PACKET_SIZE"].sort(),
    );
  });

  it("decode fills in DEFAULT_REASON_CODE for the short forms", () => {
    assertEquals(decode(new Uint8Array([0x50, 0x02, 0x00, 0x01])), {
      type: "pubrec",
      packetId: 1,
      reasonCode: codec.DEFAULT_REASON_CODE,
    });
    assertEquals(decode(new Uint8Array([0xe0, 0x00])), {
      type: "disconnect",
      reasonCode: codec.DEFAULT_REASON_CODE,
    });
  });

  it("encode takes packet identifiers up to MAXIMUM_PACKET_ID, and an absent Retain Handling as the default", () => {
    encode({ type: "puback", packetId: codec.MAXIMUM_PACKET_ID });
    assertThrows(
      () => encode({ type: "puback", packetId: codec.MAXIMUM_PACKET_ID + 1 }),
      MqttError,
      "packetId",
    );
    const subscribe = decode(encode({
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "a", qos: 0 }],
    }));
    assertEquals(
      subscribe.type === "subscribe" &&
        subscribe.subscriptions[0].retainHandling,
      codec.DEFAULT_RETAIN_HANDLING,
    );
  });

  it("the largest packet a decoder takes by default is MAXIMUM_PACKET_SIZE", () => {
    assertEquals(codec.DEFAULT_MAXIMUM_PACKET_SIZE, codec.MAXIMUM_PACKET_SIZE);
  });
});
