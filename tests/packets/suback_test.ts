/**
 * SUBACK (MQTT 5.0, 3.1.1 and 3.1 section 3.9): fixed byte
 * vectors derived by hand from the specifications, decoded to the expected
 * object and encoded back to the exact bytes.
 */

import { assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { decode, encode, MqttError } from "../../mod.ts";
import { vector } from "./vector.ts";

describe("SUBACK, MQTT 3.1.1", () => {
  it("every return code: 0, 1, 2 and 0x80 Failure", () => {
    vector(
      [
        0x90,
        0x06, // SUBACK, Remaining Length 6
        0x00,
        0x0a, // Packet Identifier 10
        0x00, // Success - Maximum QoS 0
        0x01, // Success - Maximum QoS 1
        0x02, // Success - Maximum QoS 2
        0x80, // Failure
      ],
      { type: "suback", packetId: 10, reasonCodes: [0, 1, 2, 0x80] },
      4,
    );
  });
});

describe("SUBACK, MQTT 5.0", () => {
  it("one code, no properties", () => {
    vector(
      [
        0x90,
        0x04, // SUBACK, Remaining Length 4
        0x00,
        0x01, // Packet Identifier 1
        0x00, // Property Length 0
        0x01, // Reason Code 0x01 Granted QoS 1
      ],
      { type: "suback", packetId: 1, reasonCodes: [1] },
      5,
    );
  });

  it("every SUBACK reason code, a Reason String and a User Property", () => {
    vector([
      0x90,
      0x1a, // SUBACK, Remaining Length 26
      0x00,
      0x0a, // Packet Identifier 10
      0x0b, // Property Length 11
      0x1f,
      0x00,
      0x01,
      0x78, // Reason String "x"
      0x26,
      0x00,
      0x01,
      0x61,
      0x00,
      0x01,
      0x62, // User Property "a" "b"
      0x00, // Granted QoS 0
      0x01, // Granted QoS 1
      0x02, // Granted QoS 2
      0x80, // Unspecified error
      0x83, // Implementation specific error
      0x87, // Not authorized
      0x8f, // Topic Filter invalid
      0x91, // Packet Identifier in use
      0x97, // Quota exceeded
      0x9e, // Shared Subscriptions not supported
      0xa1, // Subscription Identifiers not supported
      0xa2, // Wildcard Subscriptions not supported
    ], {
      type: "suback",
      packetId: 10,
      reasonString: "x",
      userProperties: [["a", "b"]],
      reasonCodes: [
        0x00,
        0x01,
        0x02,
        0x80,
        0x83,
        0x87,
        0x8f,
        0x91,
        0x97,
        0x9e,
        0xa1,
        0xa2,
      ],
    }, 5);
  });
});

describe("SUBACK, MQTT 3.1", () => {
  it("carries the granted QoS, 0 to 2 (3.1 section 3.9)", () => {
    vector(
      [0x90, 0x05, 0x00, 0x0a, 0x00, 0x01, 0x02],
      { type: "suback", packetId: 10, reasonCodes: [0, 1, 2] },
      3,
    );
  });

  it("has no failure code 0x80, which came with 3.1.1: refused on decode and encode", () => {
    const decodeError = assertThrows(
      () =>
        decode(new Uint8Array([0x90, 0x03, 0x00, 0x0a, 0x80]), {
          protocolVersion: 3,
        }),
      MqttError,
      "MQTT 3.1 section 3.9",
    );
    assertEquals(decodeError.reasonCode, 0x81);
    assertThrows(
      () =>
        encode({ type: "suback", packetId: 10, reasonCodes: [0x80] }, {
          protocolVersion: 3,
        }),
      MqttError,
      "MQTT 3.1 section 3.9",
    );
  });
});
