/**
 * CONNACK (MQTT 5.0 section 3.2, MQTT 3.1.1 section 3.2): fixed byte
 * vectors derived by hand from the specifications, decoded to the expected
 * object and encoded back to the exact bytes.
 */

import { assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { decode, encode, MqttError } from "../../mod.ts";
import type { Packet } from "../../mod.ts";
import { vector } from "./vector.ts";

describe("CONNACK, MQTT 3.1.1", () => {
  it("Connection Accepted, no session", () => {
    vector(
      [
        0x20,
        0x02, // CONNACK, Remaining Length 2
        0x00, // Connect Acknowledge Flags: Session Present 0
        0x00, // Connect Return Code 0: Connection Accepted
      ],
      { type: "connack", sessionPresent: false, reasonCode: 0 },
      4,
    );
  });

  it("Connection Accepted, Session Present", () => {
    vector(
      [
        0x20,
        0x02, // CONNACK, Remaining Length 2
        0x01, // Connect Acknowledge Flags: Session Present 1
        0x00, // Connect Return Code 0
      ],
      { type: "connack", sessionPresent: true, reasonCode: 0 },
      4,
    );
  });

  for (
    const [code, meaning] of [
      [1, "unacceptable protocol version"],
      [2, "identifier rejected"],
      [3, "Server unavailable"],
      [4, "bad user name or password"],
      [5, "not authorized"],
    ] as const
  ) {
    it(`Connect Return Code ${code}: ${meaning}`, () => {
      vector(
        [
          0x20,
          0x02, // CONNACK, Remaining Length 2
          0x00, // Connect Acknowledge Flags: Session Present 0
          code, // Connect Return Code
        ],
        { type: "connack", sessionPresent: false, reasonCode: code },
        4,
      );
    });
  }
});

describe("CONNACK, MQTT 5.0", () => {
  it("Success, no properties", () => {
    vector(
      [
        0x20,
        0x03, // CONNACK, Remaining Length 3
        0x00, // Connect Acknowledge Flags: Session Present 0
        0x00, // Connect Reason Code 0x00 Success
        0x00, // Property Length 0
      ],
      { type: "connack", sessionPresent: false, reasonCode: 0 },
      5,
    );
  });

  it("Success with Session Present", () => {
    vector(
      [
        0x20,
        0x03, // CONNACK, Remaining Length 3
        0x01, // Connect Acknowledge Flags: Session Present 1
        0x00, // Connect Reason Code 0x00 Success
        0x00, // Property Length 0
      ],
      { type: "connack", sessionPresent: true, reasonCode: 0 },
      5,
    );
  });

  it("Not authorized (0x87)", () => {
    vector(
      [
        0x20,
        0x03, // CONNACK, Remaining Length 3
        0x00, // Connect Acknowledge Flags: Session Present 0
        0x87, // Connect Reason Code 0x87 Not authorized
        0x00, // Property Length 0
      ],
      { type: "connack", sessionPresent: false, reasonCode: 0x87 },
      5,
    );
  });

  it("Use another server (0x9C) with a Server Reference", () => {
    vector([
      0x20,
      0x0a, // CONNACK, Remaining Length 10
      0x00, // Connect Acknowledge Flags: Session Present 0
      0x9c, // Connect Reason Code 0x9C Use another server
      0x07, // Property Length 7
      0x1c,
      0x00,
      0x04,
      0x68,
      0x3a,
      0x31,
      0x32, // Server Reference "h:12"
    ], {
      type: "connack",
      sessionPresent: false,
      reasonCode: 0x9c,
      serverReference: "h:12",
    }, 5);
  });

  it("every CONNACK property", () => {
    vector([
      0x20,
      0x42, // CONNACK, Remaining Length 66
      0x00, // Connect Acknowledge Flags: Session Present 0
      0x00, // Connect Reason Code 0x00 Success
      0x3f, // Property Length 63
      0x11,
      0x00,
      0x00,
      0x00,
      0x78, // Session Expiry Interval 120
      0x12,
      0x00,
      0x02,
      0x69,
      0x64, // Assigned Client Identifier "id"
      0x13,
      0x00,
      0x1e, // Server Keep Alive 30
      0x15,
      0x00,
      0x01,
      0x4d, // Authentication Method "M"
      0x16,
      0x00,
      0x01,
      0x00, // Authentication Data 00
      0x1a,
      0x00,
      0x02,
      0x72,
      0x2f, // Response Information "r/"
      0x1c,
      0x00,
      0x01,
      0x73, // Server Reference "s"
      0x1f,
      0x00,
      0x02,
      0x6f,
      0x6b, // Reason String "ok"
      0x21,
      0x00,
      0x64, // Receive Maximum 100
      0x22,
      0x00,
      0x05, // Topic Alias Maximum 5
      0x24,
      0x01, // Maximum QoS 1
      0x25,
      0x00, // Retain Available 0
      0x26,
      0x00,
      0x01,
      0x78,
      0x00,
      0x01,
      0x31, // User Property "x" "1"
      0x27,
      0x00,
      0x01,
      0x00,
      0x00, // Maximum Packet Size 65536
      0x28,
      0x01, // Wildcard Subscription Available 1
      0x29,
      0x00, // Subscription Identifiers Available 0
      0x2a,
      0x01, // Shared Subscription Available 1
    ], {
      type: "connack",
      sessionPresent: false,
      reasonCode: 0,
      sessionExpiryInterval: 120,
      receiveMaximum: 100,
      maximumQoS: 1,
      retainAvailable: false,
      maximumPacketSize: 65536,
      assignedClientIdentifier: "id",
      topicAliasMaximum: 5,
      reasonString: "ok",
      userProperties: [["x", "1"]],
      wildcardSubscriptionAvailable: true,
      subscriptionIdentifiersAvailable: false,
      sharedSubscriptionAvailable: true,
      serverKeepAlive: 30,
      responseInformation: "r/",
      serverReference: "s",
      authenticationMethod: "M",
      authenticationData: new Uint8Array([0]),
    }, 5);
  });

  it("Maximum QoS 0, Maximum Packet Size 0xFFFFFFFF as 4294967295 (unsigned)", () => {
    vector([
      0x20,
      0x0a, // CONNACK, Remaining Length 10
      0x00, // Connect Acknowledge Flags: Session Present 0
      0x00, // Connect Reason Code 0x00 Success
      0x07, // Property Length 7
      0x24,
      0x00, // Maximum QoS 0
      0x27,
      0xff,
      0xff,
      0xff,
      0xff, // Maximum Packet Size 4294967295
    ], {
      type: "connack",
      sessionPresent: false,
      reasonCode: 0,
      maximumQoS: 0,
      maximumPacketSize: 4294967295,
    }, 5);
  });

  it("the default version is 5.0", () => {
    const bytes = new Uint8Array([0x20, 0x03, 0x00, 0x00, 0x00]);
    const packet: Packet = {
      type: "connack",
      sessionPresent: false,
      reasonCode: 0,
    };
    assertEquals(decode(bytes), packet);
    assertEquals(encode(packet), bytes);
  });
});

describe("CONNACK, MQTT 3.1", () => {
  it("has a reserved byte, then the return code 0 to 5 (3.1 section 3.2)", () => {
    for (let code = 0; code <= 5; code++) {
      vector(
        [0x20, 0x02, 0x00, code],
        { type: "connack", sessionPresent: false, reasonCode: code },
        3,
      );
    }
  });

  it("has no Session Present: the bit is refused on decode, sessionPresent: true on encode", () => {
    const error = assertThrows(
      () =>
        decode(new Uint8Array([0x20, 0x02, 0x01, 0x00]), {
          protocolVersion: 3,
        }),
      MqttError,
      "MQTT 3.1 section 3.2",
    );
    assertEquals(error.reasonCode, 0x81);
    assertThrows(
      () =>
        encode({ type: "connack", sessionPresent: true, reasonCode: 0 }, {
          protocolVersion: 3,
        }),
      MqttError,
      "MQTT 3.1 has no Session Present",
    );
  });

  it("refuses return codes above 5 and MQTT 5.0 reason codes", () => {
    for (const code of [6, 0x80, 0x84]) {
      assertThrows(
        () =>
          decode(new Uint8Array([0x20, 0x02, 0x00, code]), {
            protocolVersion: 3,
          }),
        MqttError,
        "Connect Return Code",
      );
      assertThrows(
        () =>
          encode({ type: "connack", sessionPresent: false, reasonCode: code }, {
            protocolVersion: 3,
          }),
        MqttError,
        "reasonCode",
      );
    }
  });
});
