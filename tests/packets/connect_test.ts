/**
 * CONNECT (MQTT 5.0 section 3.1, MQTT 3.1.1 section 3.1): fixed byte
 * vectors derived by hand from the specifications, decoded to the expected
 * object and encoded back to the exact bytes.
 */

import { assertEquals, assertStrictEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { decode, encode, MqttError } from "../../mod.ts";
import type { ConnectPacket } from "../../mod.ts";
import { text, vector } from "./vector.ts";

describe("CONNECT, MQTT 3.1.1", () => {
  it("minimal: Clean Session, no Will, no User Name or Password", () => {
    vector([
      0x10,
      0x0e, // CONNECT, Remaining Length 14
      0x00,
      0x04,
      0x4d,
      0x51,
      0x54,
      0x54, // Protocol Name "MQTT"
      0x04, // Protocol Level 4
      0x02, // Connect Flags: Clean Session
      0x00,
      0x3c, // Keep Alive 60
      0x00,
      0x02,
      0x63,
      0x31, // Client Identifier "c1"
    ], {
      type: "connect",
      protocolVersion: 4,
      clientId: "c1",
      cleanStart: true,
      keepAlive: 60,
    });
  });

  it("decodes without a protocolVersion option, and ignores one: the CONNECT names its version", () => {
    const bytes = new Uint8Array([
      0x10,
      0x0e, // CONNECT, Remaining Length 14
      0x00,
      0x04,
      0x4d,
      0x51,
      0x54,
      0x54, // Protocol Name "MQTT"
      0x04, // Protocol Level 4
      0x02, // Connect Flags: Clean Session
      0x00,
      0x3c, // Keep Alive 60
      0x00,
      0x02,
      0x63,
      0x31, // Client Identifier "c1"
    ]);
    const expected: ConnectPacket = {
      type: "connect",
      protocolVersion: 4,
      clientId: "c1",
      cleanStart: true,
      keepAlive: 60,
    };
    assertEquals(decode(bytes), expected);
    assertEquals(decode(bytes, { protocolVersion: 5 }), expected);
    assertEquals(encode(expected, { protocolVersion: 5 }), bytes);
  });

  it("everything: Will (QoS 1, Retain), User Name, Password, Clean Session 0", () => {
    vector([
      0x10,
      0x1f, // CONNECT, Remaining Length 31
      0x00,
      0x04,
      0x4d,
      0x51,
      0x54,
      0x54, // Protocol Name "MQTT"
      0x04, // Protocol Level 4
      0xec, // Connect Flags: User Name, Password, Will Retain, Will QoS 1, Will
      0x01,
      0x2c, // Keep Alive 300
      0x00,
      0x02,
      0x63,
      0x31, // Client Identifier "c1"
      0x00,
      0x03,
      0x77,
      0x2f,
      0x74, // Will Topic "w/t"
      0x00,
      0x03,
      0x62,
      0x79,
      0x65, // Will Message "bye"
      0x00,
      0x01,
      0x75, // User Name "u"
      0x00,
      0x02,
      0x70,
      0x77, // Password "pw"
    ], {
      type: "connect",
      protocolVersion: 4,
      clientId: "c1",
      cleanStart: false,
      keepAlive: 300,
      will: { topic: "w/t", payload: text("bye"), qos: 1, retain: true },
      username: "u",
      password: text("pw"),
    });
  });

  it("Will QoS 2 without Retain, empty Will Message, User Name without Password", () => {
    vector([
      0x10,
      0x14, // CONNECT, Remaining Length 20
      0x00,
      0x04,
      0x4d,
      0x51,
      0x54,
      0x54, // Protocol Name "MQTT"
      0x04, // Protocol Level 4
      0x96, // Connect Flags: User Name, Will QoS 2, Will, Clean Session
      0x00,
      0x00, // Keep Alive 0 (off)
      0x00,
      0x00, // Client Identifier "" (allowed with Clean Session 1)
      0x00,
      0x01,
      0x77, // Will Topic "w"
      0x00,
      0x00, // Will Message, empty
      0x00,
      0x01,
      0x75, // User Name "u"
    ], {
      type: "connect",
      protocolVersion: 4,
      clientId: "",
      cleanStart: true,
      keepAlive: 0,
      will: { topic: "w", payload: new Uint8Array(0), qos: 2, retain: false },
      username: "u",
    });
  });

  it("Keep Alive 65535 and a multi-byte UTF-8 Client Identifier", () => {
    vector([
      0x10,
      0x11, // CONNECT, Remaining Length 17
      0x00,
      0x04,
      0x4d,
      0x51,
      0x54,
      0x54, // Protocol Name "MQTT"
      0x04, // Protocol Level 4
      0x00, // Connect Flags: none
      0xff,
      0xff, // Keep Alive 65535
      0x00,
      0x05, // Client Identifier: 5 bytes
      0xc3,
      0xa9, // "é" U+00E9
      0xe2,
      0x82,
      0xac, // "€" U+20AC
    ], {
      type: "connect",
      protocolVersion: 4,
      clientId: "é€",
      cleanStart: false,
      keepAlive: 65535,
    });
  });
});

describe("CONNECT, MQTT 5.0", () => {
  it("minimal: Clean Start, no properties", () => {
    vector([
      0x10,
      0x0f, // CONNECT, Remaining Length 15
      0x00,
      0x04,
      0x4d,
      0x51,
      0x54,
      0x54, // Protocol Name "MQTT"
      0x05, // Protocol Version 5
      0x02, // Connect Flags: Clean Start
      0x00,
      0x3c, // Keep Alive 60
      0x00, // Property Length 0
      0x00,
      0x02,
      0x63,
      0x31, // Client Identifier "c1"
    ], {
      type: "connect",
      protocolVersion: 5,
      clientId: "c1",
      cleanStart: true,
      keepAlive: 60,
    });
  });

  it("an empty Client Identifier without Clean Start, and a Password without a User Name (both allowed in 5.0)", () => {
    vector([
      0x10,
      0x11, // CONNECT, Remaining Length 17
      0x00,
      0x04,
      0x4d,
      0x51,
      0x54,
      0x54, // Protocol Name "MQTT"
      0x05, // Protocol Version 5
      0x40, // Connect Flags: Password
      0x00,
      0x0a, // Keep Alive 10
      0x00, // Property Length 0
      0x00,
      0x00, // Client Identifier ""
      0x00,
      0x02,
      0x01,
      0x02, // Password 01 02
    ], {
      type: "connect",
      protocolVersion: 5,
      clientId: "",
      cleanStart: false,
      keepAlive: 10,
      password: new Uint8Array([1, 2]),
    });
  });

  it("every CONNECT property and every Will property", () => {
    vector([
      0x10,
      0x72, // CONNECT, Remaining Length 114
      0x00,
      0x04,
      0x4d,
      0x51,
      0x54,
      0x54, // Protocol Name "MQTT"
      0x05, // Protocol Version 5
      0xd6, // Connect Flags: User Name, Password, Will QoS 2, Will, Clean Start
      0x00,
      0x0a, // Keep Alive 10
      0x31, // Property Length 49
      0x11,
      0xff,
      0xff,
      0xff,
      0xff, // Session Expiry Interval 4294967295
      0x15,
      0x00,
      0x05,
      0x53,
      0x43,
      0x52,
      0x41,
      0x4d, // Authentication Method "SCRAM"
      0x16,
      0x00,
      0x03,
      0x01,
      0x02,
      0x03, // Authentication Data 01 02 03
      0x17,
      0x00, // Request Problem Information 0
      0x19,
      0x01, // Request Response Information 1
      0x21,
      0x00,
      0x14, // Receive Maximum 20
      0x22,
      0x00,
      0x0a, // Topic Alias Maximum 10
      0x26,
      0x00,
      0x01,
      0x6b,
      0x00,
      0x01,
      0x76, // User Property "k" "v"
      0x26,
      0x00,
      0x01,
      0x6b,
      0x00,
      0x02,
      0x76,
      0x32, // User Property "k" "v2"
      0x27,
      0x00,
      0x10,
      0x00,
      0x00, // Maximum Packet Size 1048576
      0x00,
      0x02,
      0x63,
      0x31, // Client Identifier "c1"
      0x22, // Will Property Length 34
      0x01,
      0x01, // Payload Format Indicator 1
      0x02,
      0x00,
      0x00,
      0x0e,
      0x10, // Message Expiry Interval 3600
      0x03,
      0x00,
      0x03,
      0x74,
      0x78,
      0x74, // Content Type "txt"
      0x08,
      0x00,
      0x01,
      0x72, // Response Topic "r"
      0x09,
      0x00,
      0x02,
      0xca,
      0xfe, // Correlation Data ca fe
      0x18,
      0x00,
      0x00,
      0x00,
      0x3c, // Will Delay Interval 60
      0x26,
      0x00,
      0x01,
      0x61,
      0x00,
      0x01,
      0x62, // User Property "a" "b"
      0x00,
      0x01,
      0x77, // Will Topic "w"
      0x00,
      0x03,
      0x62,
      0x79,
      0x65, // Will Payload "bye"
      0x00,
      0x01,
      0x75, // User Name "u"
      0x00,
      0x02,
      0x70,
      0x77, // Password "pw"
    ], {
      type: "connect",
      protocolVersion: 5,
      clientId: "c1",
      cleanStart: true,
      keepAlive: 10,
      sessionExpiryInterval: 4294967295,
      receiveMaximum: 20,
      maximumPacketSize: 1048576,
      topicAliasMaximum: 10,
      requestResponseInformation: true,
      requestProblemInformation: false,
      userProperties: [["k", "v"], ["k", "v2"]],
      authenticationMethod: "SCRAM",
      authenticationData: new Uint8Array([1, 2, 3]),
      will: {
        topic: "w",
        payload: text("bye"),
        qos: 2,
        retain: false,
        willDelayInterval: 60,
        payloadFormatIndicator: true,
        messageExpiryInterval: 3600,
        contentType: "txt",
        responseTopic: "r",
        correlationData: new Uint8Array([0xca, 0xfe]),
        userProperties: [["a", "b"]],
      },
      username: "u",
      password: text("pw"),
    });
  });

  it("Will with Retain and QoS 0, Will properties empty", () => {
    vector([
      0x10,
      0x16, // CONNECT, Remaining Length 22
      0x00,
      0x04,
      0x4d,
      0x51,
      0x54,
      0x54, // Protocol Name "MQTT"
      0x05, // Protocol Version 5
      0x24, // Connect Flags: Will Retain, Will QoS 0, Will
      0x00,
      0x3c, // Keep Alive 60
      0x00, // Property Length 0
      0x00,
      0x02,
      0x63,
      0x31, // Client Identifier "c1"
      0x00, // Will Property Length 0
      0x00,
      0x01,
      0x77, // Will Topic "w"
      0x00,
      0x01,
      0x78, // Will Payload "x"
    ], {
      type: "connect",
      protocolVersion: 5,
      clientId: "c1",
      cleanStart: false,
      keepAlive: 60,
      will: { topic: "w", payload: text("x"), qos: 0, retain: true },
    });
  });

  it("payloads and binary properties decode as views into the input", () => {
    const bytes = encode({
      type: "connect",
      protocolVersion: 5,
      clientId: "c",
      cleanStart: true,
      keepAlive: 0,
      authenticationMethod: "m",
      authenticationData: new Uint8Array([7]),
      will: { topic: "w", payload: new Uint8Array([9]), qos: 0, retain: false },
      password: new Uint8Array([8]),
    });
    const packet = decode(bytes) as ConnectPacket;
    for (
      const view of [
        packet.authenticationData!,
        packet.will!.payload,
        packet.password!,
      ]
    ) {
      assertStrictEquals(view.buffer, bytes.buffer);
    }
  });

  it("encode defaults cleanStart and will.retain to false when absent", () => {
    const bytes = encode({
      type: "connect",
      protocolVersion: 4,
      clientId: "c1",
      keepAlive: 60,
    } as unknown as ConnectPacket);
    assertEquals(bytes[9], 0x00); // Connect Flags
    assertThrows(
      () =>
        encode(
          {
            type: "connect",
            protocolVersion: 4,
            clientId: "",
            keepAlive: 0,
          } as unknown as ConnectPacket,
        ),
      MqttError,
      "clientId",
    );
  });
});

describe("CONNECT, MQTT 3.1 (protocol name MQIsdp, level 3)", () => {
  /** An MQTT 3.1 CONNECT, Keep Alive 60, with these flags and payload. */
  function mqisdp(flags: number, ...payload: number[]): Uint8Array {
    const body = [
      0x00,
      0x06,
      0x4d,
      0x51,
      0x49,
      0x73,
      0x64,
      0x70, // Protocol Name "MQIsdp"
      0x03, // Protocol Version 3
      flags,
      0x00,
      0x3c, // Keep Alive 60
      ...payload,
    ];
    return new Uint8Array([0x10, body.length, ...body]);
  }
  const clientId = (id: string) => [0x00, id.length, ...text(id)];

  it("reads and writes MQIsdp level 3, with a Will, a User Name and a Password (section 3.1)", () => {
    vector(
      [
        ...mqisdp(
          0xee, // User Name, Password, Will Retain, Will QoS 1, Will, Clean Session
          ...clientId("c1"),
          0x00,
          0x01,
          0x77, // Will Topic "w"
          0x00,
          0x02,
          0x68,
          0x69, // Will Message "hi"
          0x00,
          0x01,
          0x75, // User Name "u"
          0x00,
          0x01,
          0x70, // Password "p"
        ),
      ],
      {
        type: "connect",
        protocolVersion: 3,
        clientId: "c1",
        cleanStart: true,
        keepAlive: 60,
        will: { topic: "w", payload: text("hi"), qos: 1, retain: true },
        username: "u",
        password: text("p"),
      },
    );
  });

  it("needs a Client Identifier of 1 to 23 characters (3.1 section 3.1, Client Identifier), on decode and encode, with 0x85", () => {
    for (const id of ["a", "x".repeat(23), "é".repeat(23), "😀".repeat(23)]) {
      const packet: ConnectPacket = {
        type: "connect",
        protocolVersion: 3,
        clientId: id,
        cleanStart: false,
        keepAlive: 60,
      };
      assertEquals(decode(encode(packet)), packet);
    }
    for (const id of ["", "x".repeat(24), "😀".repeat(24)]) {
      const encodeError = assertThrows(
        () =>
          encode({
            type: "connect",
            protocolVersion: 3,
            clientId: id,
            cleanStart: true,
            keepAlive: 60,
          }),
        MqttError,
        "MQTT 3.1 section 3.1, Client Identifier",
      );
      assertEquals(encodeError.reasonCode, 0x85);
      const bytes = [...text(id)];
      const decodeError = assertThrows(
        () => decode(mqisdp(0x02, 0x00, bytes.length, ...bytes)),
        MqttError,
        "Client Identifier",
      );
      assertEquals(decodeError.reasonCode, 0x85);
      assertEquals(decodeError.message.includes("byte offset 14"), true);
    }
  });

  it("refuses a name and level that do not belong together, with 0x84 [MQTT-3.1.2-2]", () => {
    // "MQIsdp" with level 4, and "MQTT" with level 3
    const wrongLevel = mqisdp(0x02, ...clientId("c"));
    wrongLevel[10] = 4;
    assertEquals(
      assertThrows(() => decode(wrongLevel), MqttError, "MQIsdp").reasonCode,
      0x84,
    );
    const mqtt3 = new Uint8Array([
      0x10,
      0x0d,
      0x00,
      0x04,
      0x4d,
      0x51,
      0x54,
      0x54, // "MQTT"
      0x03, // level 3
      0x02,
      0x00,
      0x3c,
      ...clientId("c"),
    ]);
    assertEquals(
      assertThrows(() => decode(mqtt3), MqttError, "Protocol Level 3")
        .reasonCode,
      0x84,
    );
  });

  it("needs a User Name with a Password, on decode and encode", () => {
    assertThrows(
      () => decode(mqisdp(0x42, ...clientId("c"), 0x00, 0x01, 0x70)),
      MqttError,
      "MQTT 3.1 section 3.1, User name and password flags",
    );
    assertThrows(
      () =>
        encode({
          type: "connect",
          protocolVersion: 3,
          clientId: "c",
          cleanStart: true,
          keepAlive: 60,
          password: text("p"),
        }),
      MqttError,
      "needs a username in MQTT 3.1",
    );
  });

  it("takes U+0000 in strings, which 3.1 does not forbid (section 2.5), but not ill-formed UTF-8", () => {
    const packet: ConnectPacket = {
      type: "connect",
      protocolVersion: 3,
      clientId: "a\0b",
      cleanStart: true,
      keepAlive: 60,
      username: "\0",
    };
    const bytes = encode(packet);
    assertEquals(bytes.includes(0x00, 14), true);
    assertEquals(decode(bytes), packet);
    assertThrows(
      () => decode(mqisdp(0x02, 0x00, 0x02, 0x63, 0xff)),
      MqttError,
      "MQTT 3.1 section 2.5",
    );
    assertThrows(
      () => encode({ ...packet, username: "\ud800" }),
      MqttError,
      "MQTT 3.1 section 2.5",
    );
  });

  it("refuses what 3.1 cannot carry: properties, a Will property", () => {
    const base: ConnectPacket = {
      type: "connect",
      protocolVersion: 3,
      clientId: "c",
      cleanStart: true,
      keepAlive: 60,
    };
    assertThrows(
      () => encode({ ...base, sessionExpiryInterval: 10 }),
      MqttError,
      "which MQTT 3.1 cannot carry",
    );
    assertThrows(
      () =>
        encode({
          ...base,
          will: {
            topic: "w",
            payload: text(""),
            qos: 0,
            retain: false,
            contentType: "text/plain",
          },
        }),
      MqttError,
      "which MQTT 3.1 cannot carry",
    );
  });
});
