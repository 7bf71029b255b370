/**
 * DESIGN.md's public API, black box: one `it` per sentence or rule of its
 * "public API" section (encode/decode, MqttError, ReasonCode, Packet
 * objects, the 27 property fields, Streams) and of the entry points it
 * names. Only the public surface is imported, and packets are written as
 * bytes by hand from the MQTT specifications, as an outside tester would.
 */

import fc from "fast-check";
import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertMatch,
  assertNotStrictEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import {
  decode,
  encode,
  MqttError,
  type Packet,
  PacketReader,
  PacketWriter,
  ReasonCode,
} from "../mod.ts";
import * as codecEntry from "../src/entries/codec.ts";
import * as readerEntry from "../src/entries/reader.ts";
import * as writerEntry from "../src/entries/writer.ts";
import * as primitives from "../src/entries/primitives.ts";
import * as session from "../src/entries/session.ts";
import { SPEC_REASON_CODES } from "./support/spec_reason_codes.ts";

type Version = 3 | 4 | 5;
type Fields = Record<string, unknown>;

/** A packet's fields by name, for checks on any field. */
function fieldsOf(value: unknown): Fields {
  return value as Fields;
}

// ---------------------------------------------------------------------------
// Bytes by hand, from the specification's data types (MQTT 5.0 section 1.5).

function vbi(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}

function str(text: string): number[] {
  const bytes = new TextEncoder().encode(text);
  return [bytes.length >> 8, bytes.length & 0xff, ...bytes];
}

function bin(bytes: number[]): number[] {
  return [bytes.length >> 8, bytes.length & 0xff, ...bytes];
}

/** A whole control packet: first byte, remaining length, body. */
function packet(first: number, ...body: number[][]): Uint8Array {
  const flat = body.flat();
  return new Uint8Array([first, ...vbi(flat.length), ...flat]);
}

/** A property list: its length, then the properties. */
function props(...properties: number[][]): number[] {
  const flat = properties.flat();
  return [...vbi(flat.length), ...flat];
}

const publishWith = (p: number[]) => packet(0x30, str("t"), props(p));
const connectWith = (p: number[]) =>
  packet(0x10, str("MQTT"), [5, 0x02, 0, 0], props(p), str("c"));
const connackWith = (p: number[]) => packet(0x20, [0, 0], props(p));
const subscribeWith = (p: number[]) =>
  packet(0x82, [0, 1], props(p), str("a"), [0]);
const authWith = (p: number[]) => packet(0xf0, [0x18], props(p));
/** A CONNECT whose Will (topic "w", empty payload) has properties `p`. */
const willWith = (p: number[]) =>
  packet(0x10, str("MQTT"), [5, 0x06, 0, 0], props([]), str("c"), props(p), [
    ...str("w"),
    ...bin([]),
  ]);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function assertThrowsMqttError(
  call: () => unknown,
  reasonCode?: number,
): MqttError {
  const error = assertThrows(call, MqttError);
  if (reasonCode !== undefined) assertEquals(error.reasonCode, reasonCode);
  return error;
}

function sortedKeys(value: object): string[] {
  return Object.keys(value).sort();
}

/** A stream handing out `chunks`, then closing; records cancellation. */
function chunkStream(chunks: Uint8Array[]): {
  stream: ReadableStream<Uint8Array>;
  cancelled: () => boolean;
} {
  let next = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next < chunks.length) controller.enqueue(chunks[next++]);
      else controller.close();
    },
    cancel() {
      cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, cancelled: () => cancelled };
}

async function readAll(
  chunks: Uint8Array[],
  options?: { protocolVersion?: Version; maximumPacketSize?: number },
): Promise<Packet[]> {
  const packets: Packet[] = [];
  for await (const p of new PacketReader(chunkStream(chunks).stream, options)) {
    packets.push(p);
  }
  return packets;
}

/** A sink that keeps every chunk written to it. */
function collectingSink(): {
  stream: WritableStream<Uint8Array>;
  bytes: () => Uint8Array;
  closed: () => boolean;
} {
  const chunks: Uint8Array[] = [];
  let closed = false;
  const stream = new WritableStream<Uint8Array>({
    write(chunk) {
      chunks.push(chunk.slice());
    },
    close() {
      closed = true;
    },
  });
  return { stream, bytes: () => concat(chunks), closed: () => closed };
}

const PUBLISH_5: Packet = {
  type: "publish",
  topic: "a/b",
  payload: new Uint8Array([1, 2, 3]),
  qos: 1,
  retain: false,
  dup: false,
  packetId: 10,
  contentType: "text/plain",
};
const CONNECT_4 = packet(0x10, str("MQTT"), [4, 0x02, 0, 60], str("c"));
/** A 3.1.1 SUBSCRIBE: no property length, one filter "a" at QoS 1. */
const SUBSCRIBE_4 = packet(0x82, [0, 1], str("a"), [1]);

// ---------------------------------------------------------------------------

describe("DESIGN.md: encode and decode", () => {
  it("mod.ts exports decode, encode, MqttError, PacketReader, PacketWriter, ReasonCode", () => {
    assertEquals(typeof decode, "function");
    assertEquals(typeof encode, "function");
    assertEquals(typeof MqttError, "function");
    assertEquals(typeof PacketReader, "function");
    assertEquals(typeof PacketWriter, "function");
    assertEquals(typeof ReasonCode, "object");
  });

  it("encode(packet, { protocolVersion }) accepts 3, 4 and 5 and returns a Uint8Array", () => {
    const puback: Packet = { type: "puback", packetId: 1 };
    for (const protocolVersion of [3, 4, 5] as const) {
      const bytes = encode(puback, { protocolVersion });
      assertInstanceOf(bytes, Uint8Array);
      assertEquals(bytes, new Uint8Array([0x40, 0x02, 0x00, 0x01]));
    }
  });

  it("protocolVersion 5 (MQTT 5.0) is the default of encode and decode", () => {
    const bytes = encode(PUBLISH_5);
    assertEquals(bytes, encode(PUBLISH_5, { protocolVersion: 5 }));
    // The property "content type" is on the wire: only MQTT 5.0 has it.
    assertEquals(
      bytes,
      packet(0x32, str("a/b"), [0, 10], props([0x03, ...str("text/plain")]), [
        1,
        2,
        3,
      ]),
    );
    assertEquals(decode(bytes), PUBLISH_5);
  });

  it("protocolVersion 4 is MQTT 3.1.1: a CONNECT named MQTT, level 4", () => {
    const bytes = encode({
      type: "connect",
      protocolVersion: 4,
      clientId: "c",
      cleanStart: true,
      keepAlive: 60,
    }, { protocolVersion: 4 });
    assertEquals(bytes, CONNECT_4);
  });

  it('protocolVersion 3 is MQTT 3.1: a CONNECT named "MQIsdp", level 3', () => {
    const bytes = encode({
      type: "connect",
      protocolVersion: 3,
      clientId: "c",
      cleanStart: true,
      keepAlive: 60,
    }, { protocolVersion: 3 });
    assertEquals(
      bytes,
      packet(0x10, str("MQIsdp"), [3, 0x02, 0, 60], str("c")),
    );
  });

  it("decode of a CONNECT needs no option: it carries its own version", () => {
    assertEquals(decode(CONNECT_4), {
      type: "connect",
      protocolVersion: 4,
      clientId: "c",
      cleanStart: true,
      keepAlive: 60,
    });
    // Even against the option: the CONNECT's own version wins.
    assertEquals(
      fieldsOf(decode(CONNECT_4, { protocolVersion: 5 })).protocolVersion,
      4,
    );
    const connect3 = packet(0x10, str("MQIsdp"), [3, 0x02, 0, 60], str("c"));
    assertEquals(fieldsOf(decode(connect3)).protocolVersion, 3);
    const connect5 = packet(0x10, str("MQTT"), [5, 0x02, 0, 60], [0], str("c"));
    assertEquals(fieldsOf(decode(connect5)).protocolVersion, 5);
  });

  it("a protocol name and level that do not belong together are refused", () => {
    const rows: [string, number][] = [
      ["MQTT", 3],
      ["MQIsdp", 4],
      ["MQIsdp", 5],
      ["MQTT", 6],
      ["MQTT", 0],
      ["MQTX", 4],
    ];
    for (const [name, level] of rows) {
      const bytes = packet(
        0x10,
        str(name),
        [level, 0x02, 0, 60],
        [0],
        str("c"),
      );
      const error = assertThrowsMqttError(() => decode(bytes));
      assert(
        error.reasonCode === ReasonCode.UnsupportedProtocolVersion ||
          error.reasonCode === ReasonCode.ProtocolError,
        `${name}/${level}: ${error.reasonCode}`,
      );
    }
  });

  it("decode takes exactly one whole packet: too short throws MqttError", () => {
    const whole = encode(PUBLISH_5);
    for (let length = 0; length < whole.length; length++) {
      assertThrowsMqttError(() => decode(whole.subarray(0, length)), 0x81);
    }
  });

  it("decode takes exactly one whole packet: trailing bytes throw MqttError", () => {
    const whole = encode(PUBLISH_5);
    assertThrowsMqttError(() => decode(concat([whole, new Uint8Array([0])])));
    assertThrowsMqttError(() => decode(concat([whole, whole])));
  });

  it("decode: a rule of the spec broken throws MqttError", () => {
    // PUBLISH with QoS 3 [MQTT-3.3.1-4]; SUBSCRIBE with flags 0 [MQTT-3.8.1-1].
    assertThrowsMqttError(() => decode(packet(0x36, str("t"), [0, 1], [0])));
    assertThrowsMqttError(() =>
      decode(packet(0x80, [0, 1], [0], str("a"), [0]))
    );
  });

  it("no input, however hostile, makes decode throw anything but MqttError", () => {
    const firstBytes = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(
        firstBytes,
        fc.uint8Array({ maxLength: 48 }),
        fc.constantFrom<Version>(3, 4, 5),
        (first, rest, protocolVersion) => {
          const bytes = new Uint8Array([first, ...vbi(rest.length), ...rest]);
          for (const input of [bytes, rest]) {
            try {
              decode(input, { protocolVersion });
            } catch (error) {
              if (!(error instanceof MqttError)) throw error;
            }
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("no input, not even one that is not a Uint8Array, makes decode throw anything but MqttError", () => {
    const inputs: unknown[] = [
      null,
      undefined,
      "\xc0\x00",
      [0xc0, 0],
      new Uint8Array([0xc0, 0]).buffer,
      new DataView(new ArrayBuffer(2)),
      new Uint16Array([0xc0]),
      { length: 2, 0: 0xc0, 1: 0 },
    ];
    for (const input of inputs) {
      assertThrowsMqttError(() => decode(input as Uint8Array));
    }
    for (const options of [{ protocolVersion: 6 }, { maximumPacketSize: -1 }]) {
      assertThrowsMqttError(() =>
        decode(packet(0xc0), options as { protocolVersion: Version })
      );
    }
  });

  it("no input makes decode hang or allocate for lengths it only claims", () => {
    const claims = [
      // A remaining length of 268,435,455 in a 5-byte input.
      new Uint8Array([0x30, 0xff, 0xff, 0xff, 0x7f]),
      // A property length of 2,097,151 with nothing after it.
      new Uint8Array([0x30, 0x06, 0, 1, 0x74, 0xff, 0xff, 0x7f]),
      // A topic announcing 65,535 bytes.
      packet(0x30, [0xff, 0xff]),
      // A CONNECT password announcing 65,535 bytes.
      packet(0x10, str("MQTT"), [4, 0xc2, 0, 0], str("c"), str("u"), [
        0xff,
        0xff,
      ]),
    ];
    for (const bytes of claims) {
      assertThrowsMqttError(() => decode(bytes), 0x81);
    }
  });

  it("encode never writes a packet that decode would reject, and throws MqttError instead", () => {
    const hostile = fc.constantFrom<unknown>(
      0,
      -1,
      1.5,
      65_536,
      2 ** 32,
      NaN,
      "",
      "a/+",
      "#",
      "\u0000",
      "\ud800",
      null,
      undefined,
      true,
      3,
      [],
      [[]],
      [["k", "\u0000"]],
      new Uint8Array(0),
      new Uint8Array(70_000),
    );
    const bases: Packet[] = [
      PUBLISH_5,
      { type: "puback", packetId: 1 },
      { type: "pubrel", packetId: 1, reasonCode: 0x92 },
      {
        type: "subscribe",
        packetId: 1,
        subscriptions: [{ topicFilter: "a/#", qos: 2, noLocal: true }],
      },
      { type: "suback", packetId: 1, reasonCodes: [0, 0x80] },
      { type: "unsubscribe", packetId: 1, topicFilters: ["a"] },
      { type: "unsuback", packetId: 1, reasonCodes: [0] },
      { type: "connack", sessionPresent: false, reasonCode: 0 },
      { type: "disconnect", reasonCode: 0x04 },
      { type: "auth", reasonCode: 0x18, authenticationMethod: "m" },
      {
        type: "connect",
        protocolVersion: 5,
        clientId: "c",
        cleanStart: true,
        keepAlive: 0,
        username: "u",
        password: new Uint8Array([1]),
        will: {
          topic: "w",
          payload: new Uint8Array(0),
          qos: 1,
          retain: false,
        },
      },
    ];
    const fieldNames = [
      "packetId",
      "qos",
      "topic",
      "reasonCode",
      "reasonCodes",
      "topicFilters",
      "subscriptions",
      "clientId",
      "keepAlive",
      "password",
      "will",
      "protocolVersion",
      "topicAlias",
      "userProperties",
      "maximumQoS",
      "subscriptionIdentifier",
      "subscriptionIdentifiers",
      "correlationData",
      "payloadFormatIndicator",
      "receiveMaximum",
      "sessionPresent",
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...bases),
        fc.constantFrom(...fieldNames),
        hostile,
        fc.constantFrom<Version>(3, 4, 5),
        (base, field, value, protocolVersion) => {
          const candidate = { ...base, [field]: value } as Packet;
          let bytes: Uint8Array;
          try {
            bytes = encode(candidate, { protocolVersion });
          } catch (error) {
            if (error instanceof MqttError) return;
            throw error;
          }
          decode(bytes, { protocolVersion });
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("encode of something that is not a packet throws MqttError", () => {
    for (const value of [null, undefined, 1, "publish", {}, { type: "nope" }]) {
      assertThrowsMqttError(() => encode(value as unknown as Packet));
    }
  });

  it("decode with maximumPacketSize refuses a larger packet with 0x95 Packet Too Large", () => {
    const bytes = encode(PUBLISH_5);
    assertEquals(decode(bytes, { maximumPacketSize: bytes.length }), PUBLISH_5);
    assertThrowsMqttError(
      () => decode(bytes, { maximumPacketSize: bytes.length - 1 }),
      ReasonCode.PacketTooLarge,
    );
  });
});

describe("DESIGN.md: MqttError", () => {
  const qos3 = () => decode(packet(0x36, str("t"), [0, 1], [0]));

  it("MqttError extends Error", () => {
    const error = assertThrowsMqttError(qos3);
    assertInstanceOf(error, Error);
  });

  it('name === "MqttError"', () => {
    assertEquals(assertThrowsMqttError(qos3).name, "MqttError");
    assertEquals(new MqttError("x").name, "MqttError");
  });

  it("reasonCode: number is 0x81 Malformed Packet for a malformed packet", () => {
    const error = assertThrowsMqttError(qos3);
    assertEquals(typeof error.reasonCode, "number");
    assertEquals(error.reasonCode, 0x81);
  });

  it("reasonCode is 0x82 Protocol Error for a protocol error (a property twice)", () => {
    const twice = publishWith([0x01, 1, 0x01, 1]);
    assertThrowsMqttError(() => decode(twice), 0x82);
  });

  it("reasonCode is 0x84 Unsupported Protocol Version for an unknown level", () => {
    const level9 = packet(0x10, str("MQTT"), [9, 0x02, 0, 60], [0], str("c"));
    assertThrowsMqttError(() => decode(level9), 0x84);
  });

  it("reasonCode is 0x95 Packet Too Large above maximumPacketSize", () => {
    assertThrowsMqttError(
      () => decode(encode(PUBLISH_5), { maximumPacketSize: 5 }),
      0x95,
    );
  });

  it("the message says what was wrong and where: packet type, field, byte offset", () => {
    const qos = assertThrowsMqttError(qos3);
    assertMatch(qos.message, /PUBLISH/);
    assertMatch(qos.message, /QoS/);
    assertMatch(qos.message, /offset 0\b/);
    // A Topic Name that is not UTF-8, starting at byte 2.
    const topic = assertThrowsMqttError(() =>
      decode(packet(0x30, [0, 1, 0xff], [0]))
    );
    assertMatch(topic.message, /PUBLISH/);
    assertMatch(topic.message, /topic/i);
    assertMatch(topic.message, /offset 2\b/);
  });

  it("encode's MqttError names the packet type and the field", () => {
    const error = assertThrowsMqttError(() =>
      encode({ type: "puback", packetId: 0 })
    );
    assertMatch(error.message, /PUBACK/);
    assertMatch(error.message, /packet ?id/i);
  });
});

describe("DESIGN.md: ReasonCode", () => {
  for (const [name, value] of SPEC_REASON_CODES) {
    it(`ReasonCode.${name} === 0x${value.toString(16).padStart(2, "0")}`, () => {
      assertStrictEquals((ReasonCode as Record<string, number>)[name], value);
    });
  }

  it("has one constant per name of the table, and no other", () => {
    assertEquals(
      Object.keys(ReasonCode).sort(),
      SPEC_REASON_CODES.map(([name]) => name).sort(),
    );
  });

  it("a value with several names (0x00 Success / Normal disconnection / Granted QoS 0) has each", () => {
    assertStrictEquals(ReasonCode.Success, 0);
    assertStrictEquals(ReasonCode.NormalDisconnection, 0);
    assertStrictEquals(ReasonCode.GrantedQoS0, 0);
  });

  it("is a frozen object: a constant cannot be changed or added", () => {
    assert(Object.isFrozen(ReasonCode));
    assertThrows(() => {
      (ReasonCode as Record<string, number>).Success = 1;
    }, TypeError);
    assertThrows(() => {
      (ReasonCode as Record<string, number>).Extra = 1;
    }, TypeError);
    assertStrictEquals(ReasonCode.Success, 0);
  });
});

describe("DESIGN.md: Packet objects", () => {
  it("Packet is a discriminated union on type, one per control packet", () => {
    const rows: [Uint8Array, string][] = [
      [CONNECT_4, "connect"],
      [packet(0x20, [0, 0], [0]), "connack"],
      [packet(0x30, str("t"), [0]), "publish"],
      [packet(0x40, [0, 1]), "puback"],
      [packet(0x50, [0, 1]), "pubrec"],
      [packet(0x62, [0, 1]), "pubrel"],
      [packet(0x70, [0, 1]), "pubcomp"],
      [subscribeWith([]), "subscribe"],
      [packet(0x90, [0, 1], [0], [1]), "suback"],
      [packet(0xa2, [0, 1], [0], str("a")), "unsubscribe"],
      [packet(0xb0, [0, 1], [0], [0]), "unsuback"],
      [packet(0xc0), "pingreq"],
      [packet(0xd0), "pingresp"],
      [packet(0xe0), "disconnect"],
      [packet(0xf0), "auth"],
    ];
    for (const [bytes, type] of rows) assertEquals(decode(bytes).type, type);
  });

  it("fields are flat: no properties sub-object", () => {
    const decoded = decode(publishWith([0x03, ...str("x"), 0x23, 0, 1]));
    assertFalse("properties" in decoded);
    assertEquals(fieldsOf(decoded).contentType, "x");
  });

  it("an absent property is an absent field, not undefined and not a default", () => {
    const rows: Uint8Array[] = [
      packet(0x30, str("t"), [0]),
      packet(0x10, str("MQTT"), [5, 0x02, 0, 0], [0], str("c")),
      packet(0x20, [0, 0], [0]),
      subscribeWith([]),
      packet(0xe0, [0x04], [0]),
    ];
    const propertyNames = PROPERTY_ROWS.map(([, name]) => name);
    for (const bytes of rows) {
      const decoded = decode(bytes);
      for (const name of propertyNames) {
        assertFalse(name in decoded, `${decoded.type} has ${name}`);
      }
      for (const [key, value] of Object.entries(decoded)) {
        assert(value !== undefined, `${decoded.type}.${key} is undefined`);
      }
    }
  });

  it("connect: protocolVersion, clientId, cleanStart, keepAlive; username?, password?: Uint8Array, will?", () => {
    const bare = decode(CONNECT_4);
    assertEquals(sortedKeys(bare), [
      "cleanStart",
      "clientId",
      "keepAlive",
      "protocolVersion",
      "type",
    ]);
    const full = fieldsOf(decode(
      packet(
        0x10,
        str("MQTT"),
        [4, 0xc0 | 0x04, 0, 10],
        str("id"),
        [
          ...str("w"),
          ...bin([7]),
        ],
        str("user"),
        bin([1, 2]),
      ),
    ));
    assertEquals(full.cleanStart, false);
    assertEquals(full.clientId, "id");
    assertEquals(full.keepAlive, 10);
    assertEquals(full.username, "user");
    assertEquals(full.password, new Uint8Array([1, 2]));
    assertInstanceOf(full.password, Uint8Array);
    assertEquals(full.will, {
      topic: "w",
      payload: new Uint8Array([7]),
      qos: 0,
      retain: false,
    });
  });

  it("Will: topic, payload, qos, retain, plus the will properties", () => {
    const decoded = fieldsOf(decode(
      packet(
        0x10,
        str("MQTT"),
        [5, 0x02 | 0x04 | 0x10 | 0x20, 0, 0],
        [0],
        str(
          "c",
        ),
        props(
          [0x18, 0, 0, 0, 9],
          [0x01, 1],
          [0x02, 0, 0, 0, 8],
          [0x03, ...str("ct")],
          [0x08, ...str("rt")],
          [0x09, ...bin([5])],
          [0x26, ...str("k"), ...str("v")],
        ),
        str("w"),
        bin([1]),
      ),
    ));
    assertEquals(decoded.will, {
      topic: "w",
      payload: new Uint8Array([1]),
      qos: 2,
      retain: true,
      willDelayInterval: 9,
      payloadFormatIndicator: true,
      messageExpiryInterval: 8,
      contentType: "ct",
      responseTopic: "rt",
      correlationData: new Uint8Array([5]),
      userProperties: [["k", "v"]],
    });
  });

  it("connack: sessionPresent: boolean, reasonCode: number", () => {
    assertEquals(decode(packet(0x20, [1, 0], [0])), {
      type: "connack",
      sessionPresent: true,
      reasonCode: 0,
    });
    assertEquals(decode(packet(0x20, [0, 0x87], [0])), {
      type: "connack",
      sessionPresent: false,
      reasonCode: 0x87,
    });
  });

  it("connack in 3.1.1: reasonCode is the return code 0-5; others are refused", () => {
    for (let code = 0; code <= 5; code++) {
      assertEquals(decode(packet(0x20, [0, code]), { protocolVersion: 4 }), {
        type: "connack",
        sessionPresent: false,
        reasonCode: code,
      });
    }
    assertThrowsMqttError(() =>
      decode(packet(0x20, [0, 6]), { protocolVersion: 4 })
    );
  });

  it("connack in 3.1: return code 0-5, no Session Present", () => {
    assertEquals(decode(packet(0x20, [0, 2]), { protocolVersion: 3 }), {
      type: "connack",
      sessionPresent: false,
      reasonCode: 2,
    });
    assertThrowsMqttError(() =>
      encode({ type: "connack", sessionPresent: true, reasonCode: 0 }, {
        protocolVersion: 3,
      })
    );
  });

  it("publish: topic, payload, qos, retain, dup, packetId present exactly when qos > 0", () => {
    const qos0 = decode(packet(0x31, str("t"), [0], [9]));
    assertEquals(sortedKeys(qos0), [
      "dup",
      "payload",
      "qos",
      "retain",
      "topic",
      "type",
    ]);
    assertEquals(qos0, {
      type: "publish",
      topic: "t",
      payload: new Uint8Array([9]),
      qos: 0,
      retain: true,
      dup: false,
    });
    const qos2 = fieldsOf(decode(packet(0x3c, str("t"), [0, 5], [0])));
    assertEquals(qos2.qos, 2);
    assertEquals(qos2.dup, true);
    assertEquals(qos2.packetId, 5);
    const base = {
      type: "publish" as const,
      topic: "t",
      payload: new Uint8Array(0),
      retain: false,
      dup: false,
    };
    assertThrowsMqttError(() => encode({ ...base, qos: 0, packetId: 1 }));
    assertThrowsMqttError(() => encode({ ...base, qos: 1 }));
  });

  it("publish: subscriptionIdentifiers?: number[]", () => {
    const decoded = fieldsOf(decode(publishWith([0x0b, 1, 0x0b, 0xff, 0x7f])));
    assertEquals(decoded.subscriptionIdentifiers, [1, 16_383]);
  });

  for (
    const [type, first, code] of [
      ["puback", 0x40, 0x10],
      ["pubrec", 0x50, 0x10],
      ["pubrel", 0x62, 0x92],
      ["pubcomp", 0x70, 0x92],
    ] as const
  ) {
    it(`${type}: packetId, reasonCode? (absent means Success; present on decode)`, () => {
      assertEquals(decode(packet(first, [0, 7])), {
        type,
        packetId: 7,
        reasonCode: 0,
      });
      assertEquals(decode(encode({ type, packetId: 7 })), {
        type,
        packetId: 7,
        reasonCode: 0,
      });
      assertEquals(decode(packet(first, [0, 7, code])), {
        type,
        packetId: 7,
        reasonCode: code,
      });
    });
  }

  it("subscribe: packetId, subscriptions, subscriptionIdentifier?", () => {
    const decoded = decode(subscribeWith([0x0b, 3]));
    assertEquals(decoded, {
      type: "subscribe",
      packetId: 1,
      subscriptionIdentifier: 3,
      subscriptions: [{
        topicFilter: "a",
        qos: 0,
        noLocal: false,
        retainAsPublished: false,
        retainHandling: 0,
      }],
    });
  });

  it("on decode, an MQTT 5 SUBSCRIBE's options are always present, as read", () => {
    const options = 0x02 | 0x04 | 0x08 | 0x20; // QoS 2, NL, RAP, RH 2
    const decoded = decode(packet(0x82, [0, 1], [0], str("a"), [options]));
    assertEquals(fieldsOf(decoded).subscriptions, [{
      topicFilter: "a",
      qos: 2,
      noLocal: true,
      retainAsPublished: true,
      retainHandling: 2,
    }]);
  });

  it("suback: packetId, reasonCodes: number[]", () => {
    assertEquals(decode(packet(0x90, [0, 2], [0], [0, 1, 2, 0x80, 0x97])), {
      type: "suback",
      packetId: 2,
      reasonCodes: [0, 1, 2, 0x80, 0x97],
    });
  });

  it("unsubscribe: packetId, topicFilters: string[]", () => {
    assertEquals(decode(packet(0xa2, [0, 3], [0], str("a"), str("b/#"))), {
      type: "unsubscribe",
      packetId: 3,
      topicFilters: ["a", "b/#"],
    });
  });

  it("unsuback: packetId, reasonCodes: number[] (empty in 3.1.1)", () => {
    assertEquals(decode(packet(0xb0, [0, 4], [0], [0, 0x11])), {
      type: "unsuback",
      packetId: 4,
      reasonCodes: [0, 0x11],
    });
    assertEquals(decode(packet(0xb0, [0, 4]), { protocolVersion: 4 }), {
      type: "unsuback",
      packetId: 4,
      reasonCodes: [],
    });
  });

  it("pingreq, pingresp: nothing", () => {
    assertEquals(decode(packet(0xc0)), { type: "pingreq" });
    assertEquals(decode(packet(0xd0)), { type: "pingresp" });
  });

  it("disconnect, auth: reasonCode? (absent means 0; present on decode)", () => {
    assertEquals(decode(packet(0xe0)), { type: "disconnect", reasonCode: 0 });
    assertEquals(decode(packet(0xf0)), { type: "auth", reasonCode: 0 });
    assertEquals(decode(encode({ type: "disconnect" })), {
      type: "disconnect",
      reasonCode: 0,
    });
    assertEquals(decode(encode({ type: "auth" })), {
      type: "auth",
      reasonCode: 0,
    });
  });

  it("binary data is Uint8Array", () => {
    const decoded = fieldsOf(decode(publishWith([0x09, ...bin([1, 2])])));
    assertInstanceOf(decoded.correlationData, Uint8Array);
    assertInstanceOf(decoded.payload, Uint8Array);
  });

  it("properties that are a byte of 0 or 1 are booleans; other values are refused", () => {
    for (const [id, name] of [[0x01, "payloadFormatIndicator"]] as const) {
      assertStrictEquals(fieldsOf(decode(publishWith([id, 0])))[name], false);
      assertStrictEquals(fieldsOf(decode(publishWith([id, 1])))[name], true);
      assertThrowsMqttError(() => decode(publishWith([id, 2])));
    }
    for (
      const [id, name] of [[0x17, "requestProblemInformation"], [
        0x19,
        "requestResponseInformation",
      ]] as const
    ) {
      assertStrictEquals(fieldsOf(decode(connectWith([id, 0])))[name], false);
      assertStrictEquals(fieldsOf(decode(connectWith([id, 1])))[name], true);
      assertThrowsMqttError(() => decode(connectWith([id, 2])));
    }
    for (
      const [id, name] of [
        [0x25, "retainAvailable"],
        [0x28, "wildcardSubscriptionAvailable"],
        [0x29, "subscriptionIdentifiersAvailable"],
        [0x2a, "sharedSubscriptionAvailable"],
      ] as const
    ) {
      assertStrictEquals(fieldsOf(decode(connackWith([id, 0])))[name], false);
      assertStrictEquals(fieldsOf(decode(connackWith([id, 1])))[name], true);
      assertThrowsMqttError(() => decode(connackWith([id, 2])));
    }
  });

  it("maximumQoS is 0 | 1, a number, not a boolean", () => {
    assertStrictEquals(
      fieldsOf(decode(connackWith([0x24, 0]))).maximumQoS,
      0,
    );
    assertStrictEquals(
      fieldsOf(decode(connackWith([0x24, 1]))).maximumQoS,
      1,
    );
    assertThrowsMqttError(() => decode(connackWith([0x24, 2])));
    assertThrowsMqttError(() =>
      encode({
        type: "connack",
        sessionPresent: false,
        reasonCode: 0,
        maximumQoS: 2 as 1,
      })
    );
  });

  it("userProperties is [string, string][] in wire order, duplicates kept", () => {
    const pairs: [string, string][] = [
      ["b", "1"],
      ["a", "2"],
      ["b", "1"],
      ["a", "0"],
    ];
    const bytes = publishWith(
      pairs.flatMap(([k, v]) => [0x26, ...str(k), ...str(v)]),
    );
    const decoded = fieldsOf(decode(bytes));
    assertEquals(decoded.userProperties, pairs);
    assertEquals(encode(decoded as unknown as Packet), bytes);
  });

  it("packet identifiers are 1-65535 in every packet that carries one", () => {
    const carriers: ((id: number) => Packet)[] = [
      (packetId) => ({ ...PUBLISH_5, packetId }),
      (packetId) => ({ type: "puback", packetId }),
      (packetId) => ({ type: "pubrec", packetId }),
      (packetId) => ({ type: "pubrel", packetId }),
      (packetId) => ({ type: "pubcomp", packetId }),
      (packetId) => ({
        type: "subscribe",
        packetId,
        subscriptions: [{ topicFilter: "a", qos: 0 }],
      }),
      (packetId) => ({ type: "suback", packetId, reasonCodes: [0] }),
      (packetId) => ({ type: "unsubscribe", packetId, topicFilters: ["a"] }),
      (packetId) => ({ type: "unsuback", packetId, reasonCodes: [0] }),
    ];
    for (const make of carriers) {
      for (const id of [1, 65_535]) {
        assertEquals(fieldsOf(decode(encode(make(id)))).packetId, id);
      }
      for (const id of [0, 65_536, -1, 1.5]) {
        assertThrowsMqttError(() => encode(make(id)));
      }
      // The same packet with identifier 0 on the wire.
      const bytes = encode(make(1));
      const zeroed = bytes.slice();
      const at = make(1).type === "publish" ? 2 + 2 + 3 : 2;
      assertEquals(zeroed[at + 1], 1, make(1).type);
      zeroed[at + 1] = 0;
      assertThrowsMqttError(() => decode(zeroed));
    }
  });
});

/** Each property identifier, its field, bytes carrying it, and the value. */
const PROPERTY_ROWS: [
  id: number,
  name: string,
  bytes: Uint8Array,
  value: unknown,
  holder?: (packet: Packet) => Fields,
][] = [
  [0x01, "payloadFormatIndicator", publishWith([0x01, 1]), true],
  [0x02, "messageExpiryInterval", publishWith([0x02, 0, 1, 0, 0]), 65_536],
  [0x03, "contentType", publishWith([0x03, ...str("x/y")]), "x/y"],
  [0x08, "responseTopic", publishWith([0x08, ...str("r/t")]), "r/t"],
  [
    0x09,
    "correlationData",
    publishWith([0x09, ...bin([1, 2])]),
    new Uint8Array([1, 2]),
  ],
  [0x0b, "subscriptionIdentifiers", publishWith([0x0b, 0x80, 0x01, 0x0b, 5]), [
    128,
    5,
  ]],
  [0x0b, "subscriptionIdentifier", subscribeWith([0x0b, 7]), 7],
  [0x11, "sessionExpiryInterval", connectWith([0x11, 0, 0, 0, 10]), 10],
  [0x12, "assignedClientIdentifier", connackWith([0x12, ...str("id")]), "id"],
  [0x13, "serverKeepAlive", connackWith([0x13, 0, 30]), 30],
  [0x15, "authenticationMethod", connectWith([0x15, ...str("m")]), "m"],
  [
    0x16,
    "authenticationData",
    authWith([0x15, ...str("m"), 0x16, ...bin([9])]),
    new Uint8Array([9]),
  ],
  [0x17, "requestProblemInformation", connectWith([0x17, 0]), false],
  [
    0x18,
    "willDelayInterval",
    willWith([0x18, 0, 0, 0, 5]),
    5,
    (p) => fieldsOf(fieldsOf(p).will),
  ],
  [0x19, "requestResponseInformation", connectWith([0x19, 1]), true],
  [0x1a, "responseInformation", connackWith([0x1a, ...str("ri")]), "ri"],
  [0x1c, "serverReference", connackWith([0x1c, ...str("s")]), "s"],
  [0x1f, "reasonString", connackWith([0x1f, ...str("why")]), "why"],
  [0x21, "receiveMaximum", connectWith([0x21, 0, 10]), 10],
  [0x22, "topicAliasMaximum", connectWith([0x22, 0, 4]), 4],
  [0x23, "topicAlias", publishWith([0x23, 0, 3]), 3],
  [0x24, "maximumQoS", connackWith([0x24, 1]), 1],
  [0x25, "retainAvailable", connackWith([0x25, 0]), false],
  [0x26, "userProperties", publishWith([0x26, ...str("k"), ...str("v")]), [[
    "k",
    "v",
  ]]],
  [0x27, "maximumPacketSize", connectWith([0x27, 0, 0, 4, 0]), 1024],
  [0x28, "wildcardSubscriptionAvailable", connackWith([0x28, 1]), true],
  [0x29, "subscriptionIdentifiersAvailable", connackWith([0x29, 0]), false],
  [0x2a, "sharedSubscriptionAvailable", connackWith([0x2a, 1]), true],
];

describe("DESIGN.md: the 27 property fields, by identifier", () => {
  it("there are 27 identifiers", () => {
    assertEquals(new Set(PROPERTY_ROWS.map(([id]) => id)).size, 27);
  });

  for (const [id, name, bytes, value, holder] of PROPERTY_ROWS) {
    const hex = `0x${id.toString(16).padStart(2, "0").toUpperCase()}`;
    it(`${hex} is ${name}, decoded and encoded back to the same bytes`, () => {
      const decoded = decode(bytes);
      const fields = fieldsOf(holder ? holder(decoded) : decoded);
      assertEquals(fields[name], value);
      assertEquals(encode(decoded), bytes);
    });
  }
});

describe("DESIGN.md: what MQTT 3.1.1 cannot carry makes encode throw", () => {
  const connect = (version: 3 | 4, extra: Fields = {}): Packet =>
    ({
      type: "connect",
      protocolVersion: version,
      clientId: "c",
      cleanStart: true,
      keepAlive: 0,
      ...extra,
    }) as Packet;
  const rows: [string, (version: 3 | 4) => Packet][] = [
    ["a PUBLISH property", () => ({ ...PUBLISH_5 })],
    ["PUBLISH userProperties", () => ({
      type: "publish",
      topic: "t",
      payload: new Uint8Array(0),
      qos: 0,
      retain: false,
      dup: false,
      userProperties: [["k", "v"]],
    })],
    ["a CONNECT property", (v) => connect(v, { sessionExpiryInterval: 5 })],
    ["a Will property", (v) =>
      connect(v, {
        will: {
          topic: "w",
          payload: new Uint8Array(0),
          qos: 0,
          retain: false,
          willDelayInterval: 5,
        },
      })],
    ["a CONNACK property", () => ({
      type: "connack",
      sessionPresent: false,
      reasonCode: 0,
      reasonString: "r",
    })],
    ["a CONNACK code above 5", () => ({
      type: "connack",
      sessionPresent: false,
      reasonCode: 0x87,
    })],
    ["a PUBACK reason code other than Success", () => ({
      type: "puback",
      packetId: 1,
      reasonCode: 0x10,
    })],
    ["a PUBREC reason code other than Success", () => ({
      type: "pubrec",
      packetId: 1,
      reasonCode: 0x80,
    })],
    ["a PUBREL reason code other than Success", () => ({
      type: "pubrel",
      packetId: 1,
      reasonCode: 0x92,
    })],
    ["a PUBCOMP reason code other than Success", () => ({
      type: "pubcomp",
      packetId: 1,
      reasonCode: 0x92,
    })],
    ["a PUBACK property", () => ({
      type: "puback",
      packetId: 1,
      reasonString: "r",
    })],
    ["subscription option noLocal", () => ({
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "a", qos: 0, noLocal: true }],
    })],
    ["subscription option retainAsPublished", () => ({
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "a", qos: 0, retainAsPublished: true }],
    })],
    ["subscription option retainHandling", () => ({
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "a", qos: 0, retainHandling: 2 }],
    })],
    ["subscriptionIdentifier", () => ({
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "a", qos: 0 }],
      subscriptionIdentifier: 1,
    })],
    ["a SUBACK code 3.1.1 lacks", () => ({
      type: "suback",
      packetId: 1,
      reasonCodes: [0x87],
    })],
    ["UNSUBACK reason codes", () => ({
      type: "unsuback",
      packetId: 1,
      reasonCodes: [0x11],
    })],
    ["an UNSUBSCRIBE property", () => ({
      type: "unsubscribe",
      packetId: 1,
      topicFilters: ["a"],
      userProperties: [["k", "v"]],
    })],
    ["a DISCONNECT reason code", () => ({
      type: "disconnect",
      reasonCode: 0x04,
    })],
    ["an AUTH packet", () => ({ type: "auth" })],
  ];
  for (const [what, make] of rows) {
    it(`${what} throws MqttError with protocolVersion 4 (and 3)`, () => {
      for (const protocolVersion of [4, 3] as const) {
        const candidate = make(protocolVersion);
        assertThrowsMqttError(() => encode(candidate, { protocolVersion }));
      }
      // MQTT 5.0 carries it.
      const five = fieldsOf(make(4));
      if (five.type === "connect") five.protocolVersion = 5;
      decode(encode(five as unknown as Packet, { protocolVersion: 5 }));
    });
  }

  it("what 3.1.1 can carry is encoded with protocolVersion 4 (the rows above can fail)", () => {
    assertEquals(
      encode({ type: "puback", packetId: 1, reasonCode: 0 }, {
        protocolVersion: 4,
      }),
      new Uint8Array([0x40, 2, 0, 1]),
    );
    assertEquals(
      encode({
        type: "subscribe",
        packetId: 1,
        subscriptions: [{ topicFilter: "a", qos: 1 }],
      }, { protocolVersion: 4 }),
      SUBSCRIBE_4,
    );
    assertEquals(
      encode({ type: "disconnect" }, { protocolVersion: 4 }),
      new Uint8Array([0xe0, 0]),
    );
    assertEquals(encode(decode(CONNECT_4), { protocolVersion: 4 }), CONNECT_4);
    // A decoded MQTT 5 SUBSCRIBE whose options are the defaults loses
    // nothing in 3.1.1, so a bridge can forward it.
    const five = decode(packet(0x82, [0, 1], [0], str("a"), [1]));
    assertEquals(encode(five, { protocolVersion: 4 }), SUBSCRIBE_4);
  });
});

describe("DESIGN.md: Streams", () => {
  const samples: Packet[] = [
    PUBLISH_5,
    { type: "puback", packetId: 10, reasonCode: 0 },
    {
      type: "publish",
      topic: "big",
      payload: new Uint8Array(3000).map((_, i) => i % 251),
      qos: 0,
      retain: false,
      dup: false,
    },
    { type: "pingreq" },
    { type: "disconnect", reasonCode: 0 },
  ];
  const wire = concat(samples.map((p) => encode(p)));

  it("a PacketReader is an AsyncIterable<Packet> that ends when the stream ends", async () => {
    const reader = new PacketReader(chunkStream([wire]).stream);
    assertEquals(typeof reader[Symbol.asyncIterator], "function");
    assertEquals(await readAll([wire]), samples);
  });

  it("handles many packets in one chunk", async () => {
    assertEquals(await readAll([wire]), samples);
  });

  it("handles one packet over thousands of chunks", async () => {
    const big = encode(samples[2]);
    const chunks = Array.from(big, (byte) => new Uint8Array([byte]));
    assert(chunks.length > 3000);
    assertEquals(await readAll(chunks), [samples[2]]);
  });

  it("handles a chunk boundary inside the remaining-length bytes", async () => {
    const big = encode(samples[2]);
    assert(big[1] & 0x80, "the remaining length takes two bytes");
    assertEquals(await readAll([big.subarray(0, 2), big.subarray(2)]), [
      samples[2],
    ]);
  });

  it("handles any chunking (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: wire.length - 1 }), {
          maxLength: 20,
        }),
        async (cuts) => {
          const at = [0, ...cuts.sort((a, b) => a - b), wire.length];
          const chunks = at.slice(1).map((end, i) => wire.slice(at[i], end));
          assertEquals(await readAll(chunks), samples);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("without protocolVersion, a reader that sees a CONNECT first uses its version", async () => {
    const packets = await readAll([CONNECT_4, SUBSCRIBE_4]);
    assertEquals(packets[1], decode(SUBSCRIBE_4, { protocolVersion: 4 }));
    // Read as MQTT 5.0, the same bytes are refused: the version mattered.
    assertThrowsMqttError(() => decode(SUBSCRIBE_4));
  });

  it("without protocolVersion and no CONNECT first, a reader uses 5", async () => {
    const bytes = publishWith([0x03, ...str("x")]);
    assertEquals(await readAll([bytes]), [
      decode(bytes, { protocolVersion: 5 }),
    ]);
    await assertRejects(() => readAll([SUBSCRIBE_4]), MqttError);
  });

  it("a reader given protocolVersion uses it", async () => {
    assertEquals(await readAll([SUBSCRIBE_4], { protocolVersion: 4 }), [
      decode(SUBSCRIBE_4, { protocolVersion: 4 }),
    ]);
  });

  it("a writer writes packets; write resolves when the bytes are accepted; close closes", async () => {
    const sink = collectingSink();
    const writer = new PacketWriter(sink.stream);
    await writer.write(PUBLISH_5);
    await writer.write({ type: "pingreq" });
    await writer.close();
    assert(sink.closed());
    assertEquals(sink.bytes(), concat([encode(PUBLISH_5), packet(0xc0)]));
  });

  it("a writer respects back-pressure: writes wait while the sink is busy", async () => {
    const big: Packet = {
      type: "publish",
      topic: "t",
      payload: new Uint8Array(100_000),
      qos: 0,
      retain: false,
      dup: false,
    };
    const releases: (() => void)[] = [];
    const written: Uint8Array[] = [];
    const sink = new WritableStream<Uint8Array>({
      write(chunk) {
        written.push(chunk.slice());
        return new Promise<void>((resolve) => releases.push(resolve));
      },
    }, { highWaterMark: 1 });
    const writer = new PacketWriter(sink);
    let resolved = 0;
    const writes = [1, 2, 3, 4].map(() =>
      writer.write(big).then(() => resolved++)
    );
    // Let every queued callback run: the sink still holds the first write.
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert(resolved < writes.length, "all writes resolved into a busy sink");
    while (resolved < writes.length) {
      releases.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await Promise.all(writes);
    assertEquals(concat(written), concat(writes.map(() => encode(big))));
  });

  it("a writer that writes a CONNECT switches to that CONNECT's version", async () => {
    const sink = collectingSink();
    const writer = new PacketWriter(sink.stream);
    await writer.write(decode(CONNECT_4));
    await writer.write({
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "a", qos: 1 }],
    });
    await assertRejects(() => writer.write(PUBLISH_5), MqttError);
    await writer.close().catch(() => {});
    assertEquals(
      sink.bytes().subarray(0, CONNECT_4.length + SUBSCRIBE_4.length),
      concat([CONNECT_4, SUBSCRIBE_4]),
    );
  });

  it("a packet larger than maximumPacketSize is rejected from its fixed header, before its body is buffered", async () => {
    // A PUBLISH claiming 100 MiB: the source errors if asked for more.
    const header = new Uint8Array([0x30, ...vbi(100 * 1024 * 1024), 0, 1]);
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        if (pulls === 1) controller.enqueue(header);
        else controller.error(new Error("the reader waited for the body"));
      },
    }, { highWaterMark: 0 });
    const reader = new PacketReader(stream, { maximumPacketSize: 1024 * 1024 });
    const error = await assertRejects(async () => {
      for await (const _ of reader) { /* nothing arrives */ }
    }, MqttError);
    assertEquals(error.reasonCode, ReasonCode.PacketTooLarge);
    assertEquals(pulls, 1);
  });

  it("a malformed packet makes the iteration throw MqttError after the packets before it", async () => {
    const bad = packet(0x36, str("t"), [0, 1], [0]);
    const seen: Packet[] = [];
    const error = await assertRejects(async () => {
      for await (
        const p of new PacketReader(chunkStream([wire, bad, wire]).stream)
      ) seen.push(p);
    }, MqttError);
    assertEquals(error.reasonCode, 0x81);
    assertEquals(seen, samples);
  });

  it("a stream that ends inside a packet makes the iteration throw MqttError", async () => {
    const whole = encode(samples[2]);
    for (const cut of [1, 2, 3, whole.length - 1]) {
      const seen: Packet[] = [];
      await assertRejects(async () => {
        for await (
          const p of new PacketReader(
            chunkStream([encode(PUBLISH_5), whole.subarray(0, cut)]).stream,
          )
        ) seen.push(p);
      }, MqttError);
      assertEquals(seen, [PUBLISH_5]);
    }
  });

  it("breaking out of for await cancels the underlying stream", async () => {
    const source = chunkStream([wire, wire]);
    for await (const _ of new PacketReader(source.stream)) break;
    assert(source.cancelled());
  });

  it("reader.cancel() cancels the underlying stream", async () => {
    const source = chunkStream([wire]);
    const reader = new PacketReader(source.stream);
    await reader.cancel();
    assert(source.cancelled());
  });

  it("payloads decoded from a chunk are views into that chunk (no copy)", async () => {
    const chunk = encode(samples[2]);
    const [decoded] = await readAll([chunk]);
    const payload = fieldsOf(decoded).payload as Uint8Array;
    assertStrictEquals(payload.buffer, chunk.buffer);
    assertEquals(payload, fieldsOf(samples[2]).payload);
  });

  it("the reader never reuses or mutates a chunk it handed out", async () => {
    // Packets split across chunks, the chunks kept to compare after.
    const chunks: Uint8Array[] = [];
    for (let start = 0; start < wire.length; start += 777) {
      chunks.push(wire.slice(start, start + 777));
    }
    const copies = chunks.map((c) => c.slice());
    const payloads: Uint8Array[] = [];
    for await (const p of new PacketReader(chunkStream(chunks).stream)) {
      if (p.type === "publish") payloads.push(p.payload);
    }
    assertEquals(chunks, copies);
    assertEquals(payloads, [
      fieldsOf(samples[0]).payload,
      fieldsOf(samples[2]).payload,
    ]);
    assertNotStrictEquals(payloads[0].buffer, payloads[1].buffer);
  });
});

describe("DESIGN.md: entry points", () => {
  it("@mqtt/codec/codec, /reader, /writer export the same encode, decode, MqttError, ReasonCode, reader and writer", () => {
    assertStrictEquals(codecEntry.encode, encode);
    assertStrictEquals(codecEntry.decode, decode);
    assertStrictEquals(codecEntry.MqttError, MqttError);
    assertStrictEquals(codecEntry.ReasonCode, ReasonCode);
    assertStrictEquals(readerEntry.PacketReader, PacketReader);
    assertStrictEquals(writerEntry.PacketWriter, PacketWriter);
  });

  it("@mqtt/codec/primitives: each data type of section 1.5 as encode/decode/length", () => {
    const rows: [
      string,
      unknown,
      (value: never) => number,
      (value: never, target: Uint8Array, offset?: number) => number,
      (source: Uint8Array, offset?: number) => [unknown, number],
      number[],
    ][] = [
      [
        "Two Byte Integer",
        0x1234,
        primitives.twoByteIntegerLength,
        primitives.encodeTwoByteInteger,
        primitives.decodeTwoByteInteger,
        [0x12, 0x34],
      ],
      [
        "Four Byte Integer",
        0x01020304,
        primitives.fourByteIntegerLength,
        primitives.encodeFourByteInteger,
        primitives.decodeFourByteInteger,
        [1, 2, 3, 4],
      ],
      [
        "Variable Byte Integer",
        16_384,
        primitives.variableByteIntegerLength,
        primitives.encodeVariableByteInteger,
        primitives.decodeVariableByteInteger,
        [0x80, 0x80, 0x01],
      ],
      [
        "UTF-8 String",
        "é",
        primitives.utf8StringLength,
        primitives.encodeUtf8String,
        primitives.decodeUtf8String,
        [0, 2, 0xc3, 0xa9],
      ],
      [
        "Binary Data",
        new Uint8Array([7]),
        primitives.binaryDataLength,
        primitives.encodeBinaryData,
        primitives.decodeBinaryData,
        [0, 1, 7],
      ],
      [
        "UTF-8 String Pair",
        ["k", "v"],
        primitives.utf8StringPairLength,
        primitives.encodeUtf8StringPair,
        primitives.decodeUtf8StringPair,
        [0, 1, 0x6b, 0, 1, 0x76],
      ],
    ];
    for (const [name, value, length, encodeIt, decodeIt, bytes] of rows) {
      assertEquals(length(value as never), bytes.length, name);
      const target = new Uint8Array(bytes.length + 1);
      assertEquals(encodeIt(value as never, target, 1), bytes.length + 1, name);
      assertEquals(target.subarray(1), new Uint8Array(bytes), name);
      assertEquals(decodeIt(target, 1), [value, bytes.length + 1], name);
      // Cut off: an MqttError, never a RangeError or a wrong value.
      assertThrows(
        () => decodeIt(target.subarray(0, bytes.length), 1),
        primitives.MqttError,
      );
    }
  });

  it("@mqtt/codec/session: a client and a server session", () => {
    assertEquals(typeof session.ClientSession, "function");
    assertEquals(typeof session.ServerSession, "function");
  });
});
