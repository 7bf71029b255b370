/**
 * PUBLISH (MQTT 5.0 section 3.3, MQTT 3.1.1 section 3.3): fixed byte
 * vectors derived by hand from the specifications, decoded to the expected
 * object and encoded back to the exact bytes.
 */

import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { decode, encode } from "../../mod.ts";
import type { ProtocolVersion, PublishPacket } from "../../mod.ts";
import { text, vector } from "./vector.ts";
import fc from "fast-check";
import {
  encodeAnyPublish,
  FIELDS,
  writeCommonPublish,
} from "../../src/packets/publish.ts";
import { checkFields } from "../../src/packets/shape.ts";
import { MQTT_5_0, protocolOf } from "../../src/protocol.ts";

describe("PUBLISH, MQTT 3.1.1", () => {
  it("QoS 0", () => {
    vector([
      0x30,
      0x07, // PUBLISH, DUP 0, QoS 0, RETAIN 0, Remaining Length 7
      0x00,
      0x03,
      0x61,
      0x2f,
      0x62, // Topic Name "a/b"
      0x68,
      0x69, // Payload "hi"
    ], {
      type: "publish",
      topic: "a/b",
      payload: text("hi"),
      qos: 0,
      retain: false,
      dup: false,
    }, 4);
  });

  it("QoS 1 with RETAIN", () => {
    vector([
      0x33,
      0x09, // PUBLISH, DUP 0, QoS 1, RETAIN 1, Remaining Length 9
      0x00,
      0x03,
      0x61,
      0x2f,
      0x62, // Topic Name "a/b"
      0x00,
      0x0a, // Packet Identifier 10
      0x68,
      0x69, // Payload "hi"
    ], {
      type: "publish",
      topic: "a/b",
      payload: text("hi"),
      qos: 1,
      retain: true,
      dup: false,
      packetId: 10,
    }, 4);
  });

  it("QoS 2 with DUP, Packet Identifier 65535", () => {
    vector([
      0x3c,
      0x09, // PUBLISH, DUP 1, QoS 2, RETAIN 0, Remaining Length 9
      0x00,
      0x03,
      0x61,
      0x2f,
      0x62, // Topic Name "a/b"
      0xff,
      0xff, // Packet Identifier 65535
      0x68,
      0x69, // Payload "hi"
    ], {
      type: "publish",
      topic: "a/b",
      payload: text("hi"),
      qos: 2,
      retain: false,
      dup: true,
      packetId: 65535,
    }, 4);
  });

  it("an empty payload", () => {
    vector([
      0x30,
      0x03, // PUBLISH, QoS 0, Remaining Length 3
      0x00,
      0x01,
      0x74, // Topic Name "t"
    ], {
      type: "publish",
      topic: "t",
      payload: new Uint8Array(0),
      qos: 0,
      retain: false,
      dup: false,
    }, 4);
  });

  it("a leading BOM in the Topic Name is kept, not stripped [MQTT-1.5.3-3]", () => {
    vector([
      0x30,
      0x06, // PUBLISH, QoS 0, Remaining Length 6
      0x00,
      0x04, // Topic Name: 4 bytes
      0xef,
      0xbb,
      0xbf, // U+FEFF ZERO WIDTH NO-BREAK SPACE (BOM)
      0x78, // "x"
    ], {
      type: "publish",
      topic: "\uFEFFx",
      payload: new Uint8Array(0),
      qos: 0,
      retain: false,
      dup: false,
    }, 4);
  });

  it("a '$' topic and spaces are valid Topic Names", () => {
    vector([
      0x30,
      0x0b, // PUBLISH, QoS 0, Remaining Length 11
      0x00,
      0x09,
      0x24,
      0x53,
      0x59,
      0x53,
      0x2f,
      0x20,
      0x2f,
      0x2f,
      0x78, // Topic Name "$SYS/ //x"
    ], {
      type: "publish",
      topic: "$SYS/ //x",
      payload: new Uint8Array(0),
      qos: 0,
      retain: false,
      dup: false,
    }, 4);
  });
});

describe("PUBLISH, MQTT 5.0", () => {
  it("QoS 0, no properties", () => {
    vector([
      0x30,
      0x08, // PUBLISH, QoS 0, Remaining Length 8
      0x00,
      0x03,
      0x61,
      0x2f,
      0x62, // Topic Name "a/b"
      0x00, // Property Length 0
      0x68,
      0x69, // Payload "hi"
    ], {
      type: "publish",
      topic: "a/b",
      payload: text("hi"),
      qos: 0,
      retain: false,
      dup: false,
    }, 5);
  });

  it("QoS 1 with DUP, no properties, empty payload", () => {
    vector([
      0x3a,
      0x06, // PUBLISH, DUP 1, QoS 1, RETAIN 0, Remaining Length 6
      0x00,
      0x01,
      0x74, // Topic Name "t"
      0x00,
      0x01, // Packet Identifier 1
      0x00, // Property Length 0
    ], {
      type: "publish",
      topic: "t",
      payload: new Uint8Array(0),
      qos: 1,
      retain: false,
      dup: true,
      packetId: 1,
    }, 5);
  });

  it("every PUBLISH property; multi-byte UTF-8; User Properties repeated in order", () => {
    vector([
      0x35,
      0x4a, // PUBLISH, DUP 0, QoS 2, RETAIN 1, Remaining Length 74
      0x00,
      0x06, // Topic Name: 6 bytes
      0xc3,
      0xbc, // "ü" U+00FC
      0x2f, // "/"
      0xe2,
      0x82,
      0xac, // "€" U+20AC
      0x00,
      0x01, // Packet Identifier 1
      0x3c, // Property Length 60
      0x01,
      0x01, // Payload Format Indicator 1 (UTF-8)
      0x02,
      0xff,
      0xff,
      0xff,
      0xff, // Message Expiry Interval 4294967295
      0x03,
      0x00,
      0x04,
      0xf0,
      0x9f,
      0x98,
      0x80, // Content Type "😀" U+1F600
      0x08,
      0x00,
      0x03,
      0x72,
      0x2f,
      0x31, // Response Topic "r/1"
      0x09,
      0x00,
      0x03,
      0x00,
      0xff,
      0x7f, // Correlation Data 00 ff 7f
      0x0b,
      0x01, // Subscription Identifier 1
      0x0b,
      0x80,
      0x01, // Subscription Identifier 128 (2-byte Variable Byte Integer)
      0x0b,
      0xff,
      0xff,
      0xff,
      0x7f, // Subscription Identifier 268435455 (the maximum)
      0x23,
      0x00,
      0x07, // Topic Alias 7
      0x26,
      0x00,
      0x01,
      0x6b,
      0x00,
      0x01,
      0x31, // User Property "k" "1"
      0x26,
      0x00,
      0x01,
      0x6b,
      0x00,
      0x01,
      0x32, // User Property "k" "2"
      0x26,
      0x00,
      0x01,
      0x6b,
      0x00,
      0x01,
      0x31, // User Property "k" "1" again
      0x01,
      0x02,
      0x03, // Payload 01 02 03
    ], {
      type: "publish",
      topic: "ü/€",
      payload: new Uint8Array([1, 2, 3]),
      qos: 2,
      retain: true,
      dup: false,
      packetId: 1,
      payloadFormatIndicator: true,
      messageExpiryInterval: 4294967295,
      topicAlias: 7,
      responseTopic: "r/1",
      correlationData: new Uint8Array([0x00, 0xff, 0x7f]),
      userProperties: [["k", "1"], ["k", "2"], ["k", "1"]],
      subscriptionIdentifiers: [1, 128, 268435455],
      contentType: "😀",
    }, 5);
  });

  it("properties in any order decode; encode writes them in identifier order, whatever the key order", () => {
    const packet: PublishPacket = {
      type: "publish",
      topic: "t",
      payload: new Uint8Array(),
      qos: 0,
      retain: false,
      dup: false,
      userProperties: [["k", "v"]],
      topicAlias: 2,
      contentType: "a",
    };
    const wire = new Uint8Array([
      0x30,
      0x12, // PUBLISH, QoS 0, Remaining Length 18
      0x00,
      0x01,
      0x74, // Topic Name "t"
      0x0e, // Property Length 14
      0x26,
      0x00,
      0x01,
      0x6b,
      0x00,
      0x01,
      0x76, // User Property "k" "v"
      0x23,
      0x00,
      0x02, // Topic Alias 2
      0x03,
      0x00,
      0x01,
      0x61, // Content Type "a"
    ]);
    assertEquals(decode(wire), packet);
    const canonical = new Uint8Array([
      ...wire.subarray(0, 6),
      ...wire.subarray(16, 20), // Content Type
      ...wire.subarray(13, 16), // Topic Alias
      ...wire.subarray(6, 13), // User Property
    ]);
    assertEquals(encode(packet), canonical);
    assertEquals(encode(decode(wire)), canonical);
    const { contentType, ...rest } = packet;
    assertEquals(encode({ contentType, ...rest }), canonical);
  });

  it("an empty Topic Name with a Topic Alias", () => {
    vector([
      0x30,
      0x07, // PUBLISH, QoS 0, Remaining Length 7
      0x00,
      0x00, // Topic Name "" (the Topic Alias stands for it)
      0x03, // Property Length 3
      0x23,
      0x00,
      0x01, // Topic Alias 1
      0x78, // Payload "x"
    ], {
      type: "publish",
      topic: "",
      payload: text("x"),
      qos: 0,
      retain: false,
      dup: false,
      topicAlias: 1,
    }, 5);
  });

  it("a Topic Name together with a Topic Alias that sets it", () => {
    vector([
      0x30,
      0x08, // PUBLISH, QoS 0, Remaining Length 8
      0x00,
      0x01,
      0x74, // Topic Name "t"
      0x03, // Property Length 3
      0x23,
      0xff,
      0xff, // Topic Alias 65535
      0x78, // Payload "x"
    ], {
      type: "publish",
      topic: "t",
      payload: text("x"),
      qos: 0,
      retain: false,
      dup: false,
      topicAlias: 65535,
    }, 5);
  });

  it("Payload Format Indicator 0 is kept as false", () => {
    vector([
      0x30,
      0x06, // PUBLISH, QoS 0, Remaining Length 6
      0x00,
      0x01,
      0x74, // Topic Name "t"
      0x02, // Property Length 2
      0x01,
      0x00, // Payload Format Indicator 0 (unspecified bytes)
    ], {
      type: "publish",
      topic: "t",
      payload: new Uint8Array(0),
      qos: 0,
      retain: false,
      dup: false,
      payloadFormatIndicator: false,
    }, 5);
  });

  it("a two-byte Remaining Length (200-byte payload)", () => {
    const payload = new Uint8Array(200).fill(0xab);
    vector([
      0x30,
      0xcc,
      0x01, // PUBLISH, QoS 0, Remaining Length 204 = 0x4c + 1 * 128
      0x00,
      0x01,
      0x74, // Topic Name "t"
      0x00, // Property Length 0
      ...payload, // Payload: 200 bytes of ab
    ], {
      type: "publish",
      topic: "t",
      payload,
      qos: 0,
      retain: false,
      dup: false,
    }, 5);
  });

  it("the payload is a view into the input, not a copy", () => {
    const bytes = new Uint8Array([
      0x30,
      0x06, // PUBLISH, QoS 0, Remaining Length 6
      0x00,
      0x01,
      0x74, // Topic Name "t"
      0x00, // Property Length 0
      0x01,
      0x02, // Payload 01 02
    ]);
    const packet = decode(bytes) as PublishPacket;
    assertStrictEquals(packet.payload.buffer, bytes.buffer);
    assertEquals(packet.payload.byteOffset, 6);
  });

  it("an absent property is an absent field", () => {
    const packet = decode(
      new Uint8Array([0x30, 0x04, 0x00, 0x01, 0x74, 0x00]),
    );
    assertEquals(Object.keys(packet).sort(), [
      "dup",
      "payload",
      "qos",
      "retain",
      "topic",
      "type",
    ]);
    assert(!("packetId" in packet));
  });
});

/** Values that break one rule of a PUBLISH field each, or sit on its edge. */
const EDGES: Record<string, unknown[]> = {
  qos: [0, 1, 2, 3, -1, 1.5, "1", null, undefined, true],
  retain: [true, false, 1, "true", null, undefined],
  dup: [true, false, 0, null, undefined],
  packetId: [1, 65_535, 0, 65_536, 1.5, NaN, -1, "7", null, undefined],
  topic: [
    "a",
    "a/b/c",
    "",
    "a/+",
    "#",
    "a\0b",
    "\ud800",
    "\udc00x",
    "é/😀",
    "\ufeffbom",
    "t".repeat(65_535),
    "t".repeat(65_536),
    5,
    undefined,
  ],
  payload: [
    new Uint8Array(0),
    new Uint8Array(200),
    undefined,
    [1, 2],
    "x",
    new ArrayBuffer(2),
    new Uint16Array(2),
    new DataView(new ArrayBuffer(2)),
  ],
  userProperties: [
    [],
    [["a", "b"]],
    [["", ""], ["a", "b"], ["a", "c"]],
    [["a"]],
    [["a", "b", "c"]],
    [[1, "b"]],
    [["a\0", "b"]],
    [["é", "b"]],
    [["a", "\ud800"]],
    [["n".repeat(65_536), "v"]],
    // deno-lint-ignore no-sparse-arrays
    [, ["a", "b"]],
    "x",
    { 0: ["a", "b"], length: 1 },
    undefined,
  ],
  // fields the fast path leaves to the general one, and fields no PUBLISH has
  topicAlias: [1, 0],
  contentType: ["text/plain"],
  subscriptionIdentifiers: [[], [1]],
  extra: [1],
  messageId: [7],
};

describe("PUBLISH: the common packet's own writer", () => {
  it("writes exactly the bytes of the general path, and only where it writes without an error", () => {
    const field = fc.constantFrom(...Object.keys(EDGES));
    const edit = field.chain((name) =>
      fc.tuple(fc.constant(name), fc.constantFrom(...EDGES[name]))
    );
    let written = 0;
    let declined = 0;
    fc.assert(
      fc.property(
        fc.constantFrom<ProtocolVersion>(5, 4, 3),
        fc.constantFrom(...EDGES.topic.slice(0, 2), "sensors/room-12/temp"),
        fc.constantFrom<0 | 1 | 2>(0, 1, 2),
        fc.array(edit, { maxLength: 3 }),
        fc.constantFrom(undefined, 4, 64, 1024),
        (version, topic, qos, edits, intoSize) => {
          const protocol = protocolOf(version)!;
          const packet: Record<string, unknown> = {
            type: "publish",
            topic,
            payload: new Uint8Array([1, 2, 3]),
            qos,
            retain: false,
            dup: false,
          };
          if (qos > 0) packet.packetId = 42;
          for (const [name, value] of edits) packet[name] = value;
          const publish = packet as unknown as PublishPacket;
          let present: number;
          try {
            // shared by both paths: its errors are not the fast path's
            present = checkFields(publish, FIELDS, protocol, "encode");
          } catch {
            return;
          }
          const into = intoSize === undefined
            ? undefined
            : new Uint8Array(intoSize);
          const fast = writeCommonPublish(publish, present, protocol, into);
          if (fast === null) {
            // null says a string is not plain ASCII: the caller backs off
            const pairs = Array.isArray(packet.userProperties)
              ? packet.userProperties.flat()
              : [];
            // one byte per character in UTF-8, not U+0000, not a wildcard
            const plain = (text: unknown, wildcards: string) =>
              typeof text !== "string" ||
              [...text].every((char) =>
                char >= "\u0001" && char <= "\u007f" &&
                !wildcards.includes(char)
              );
            assert(
              !plain(packet.topic, "+#") ||
                !pairs.every((text) => plain(text, "")),
              `null for ${JSON.stringify([packet.topic, pairs])}`,
            );
          }
          if (fast === undefined || fast === null) {
            declined++;
            return;
          }
          written++;
          // the general path must agree that the packet is valid, byte for byte
          const general = encodeAnyPublish(
            publish,
            present,
            protocol,
            undefined,
          );
          assertEquals([...fast], [...general]);
          if (into !== undefined && into.length >= fast.length) {
            assertStrictEquals(fast.buffer, into.buffer);
            assertEquals(fast.byteOffset, 0);
          } else {
            assert(into === undefined || fast.buffer !== into.buffer);
          }
        },
      ),
      { numRuns: 3_000 },
    );
    // both branches taken often, or the property says little
    assert(written > 300, `fast path wrote ${written} packets`);
    assert(declined > 300, `fast path declined ${declined} packets`);
  });

  it("declines a list of User Properties that changes while it is written", () => {
    let reads = 0;
    const pair = new Proxy(["a", "b"], {
      get(target, key, receiver) {
        // the name grows after the check read it
        if (key === "0" && ++reads > 1) return "longer";
        return Reflect.get(target, key, receiver);
      },
    });
    const packet = {
      type: "publish",
      topic: "t",
      payload: new Uint8Array(0),
      qos: 0,
      retain: false,
      dup: false,
      userProperties: [pair],
    } as unknown as PublishPacket;
    const present = checkFields(packet, FIELDS, MQTT_5_0, "encode");
    assertEquals(
      writeCommonPublish(packet, present, MQTT_5_0, undefined),
      undefined,
    );
  });
});
