/**
 * The packets every benchmark measures, as wire bytes and as the packet
 * objects of each codec: ours, npm:mqtt-packet and opifex's mqttPacket.
 *
 * The wire bytes are made once, by our `encode`. Each codec then gets its
 * packet objects by decoding those same bytes with its own decoder, and the
 * module checks, when it loads, that each codec encodes its objects back to
 * exactly these bytes: so every codec decodes and encodes the very same
 * packets, and a benchmark never measures a codec doing something else.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import mqttPacket from "mqtt-packet";
import * as opifex from "@seriousme/opifex/mqttPacket";
import { decode, encode, type Packet } from "../mod.ts";

export { mqttPacket, opifex };

/** A protocol version as the three codecs name it. */
export type Version = 4 | 5;

/** The packet objects of each codec, for one list of wire packets. */
export interface Fixture {
  /** A short name for tables. */
  readonly name: string;
  readonly version: Version;
  /** Each packet's bytes. */
  readonly wire: Uint8Array[];
  /** The same bytes as Node Buffers sharing the memory (mqtt-packet's input type). */
  readonly buffers: Buffer[];
  /** Our packet objects. */
  readonly ours: Packet[];
  /** mqtt-packet's packet objects. */
  readonly mqttPacket: mqttPacket.Packet[];
  /** opifex's packet objects. */
  readonly opifex: opifex.AnyPacket[];
  /** The options opifex's codec takes for this version. */
  readonly opifexOptions: OpifexOptions;
  /** The total size in bytes. */
  readonly bytes: number;
}

/** opifex's codec options (its `CodecOpts`). */
export interface OpifexOptions {
  protocolLevel: Version;
  maxIncomingPacketSize: number;
  maxOutgoingPacketSize: number;
}

/** opifex's options for `version`, with no size limit below MQTT's own. */
export function opifexOptions(version: Version): OpifexOptions {
  return {
    protocolLevel: version,
    maxIncomingPacketSize: 268_435_460,
    maxOutgoingPacketSize: 268_435_460,
  };
}

/** `length` bytes of a repeating pattern (content does not matter to a codec). */
export function payload(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

/** A view of `bytes` as a Buffer, without a copy. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A new mqtt-packet parser that hands each packet to `onPacket` and throws on any error. */
export function mqttPacketParser(
  version: Version,
  onPacket: (packet: mqttPacket.Packet) => void,
): mqttPacket.Parser {
  const parser = mqttPacket.parser({ protocolVersion: version });
  parser.on("packet", onPacket);
  parser.on("error", (error: Error) => {
    throw error;
  });
  return parser;
}

/** Decodes one whole packet with mqtt-packet: a parser fed the packet, as its users do. */
function mqttPacketDecode(bytes: Uint8Array, version: Version) {
  const found: mqttPacket.Packet[] = [];
  mqttPacketParser(version, (packet) => found.push(packet)).parse(
    toBuffer(bytes),
  );
  if (found.length !== 1) {
    throw new Error(`mqtt-packet parsed ${found.length} packets, not 1`);
  }
  return found[0];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Builds a fixture from our packets, checking that every codec round-trips each one. */
export function fixture(
  name: string,
  version: Version,
  packets: Packet[],
): Fixture {
  const wire = packets.map((packet) =>
    encode(packet, { protocolVersion: version })
  );
  const options = opifexOptions(version);
  const result: Fixture = {
    name,
    version,
    wire,
    buffers: wire.map(toBuffer),
    ours: wire.map((bytes) => decode(bytes, { protocolVersion: version })),
    mqttPacket: wire.map((bytes) => mqttPacketDecode(bytes, version)),
    opifex: wire.map((bytes) => opifex.decode(bytes, options)),
    opifexOptions: options,
    bytes: wire.reduce((sum, bytes) => sum + bytes.length, 0),
  };
  for (let i = 0; i < wire.length; i++) {
    const what = `${name}: packet ${i} (${packets[i].type})`;
    const checks: [string, Uint8Array][] = [
      ["ours", encode(result.ours[i], { protocolVersion: version })],
      [
        "mqtt-packet",
        mqttPacket.generate(result.mqttPacket[i], {
          protocolVersion: version,
        }),
      ],
      ["opifex", opifex.encode(result.opifex[i], options)],
    ];
    for (const [codec, bytes] of checks) {
      if (!sameBytes(bytes, wire[i])) {
        throw new Error(`${what}: ${codec} does not re-encode the same bytes`);
      }
    }
  }
  return result;
}

const TOPIC_20 = "sensors/room-12/temp";

/**
 * A small MQTT 5 PUBLISH: QoS 1, a 20-character topic, a 64-byte payload and
 * one User Property.
 */
export const SMALL_PUBLISH: Packet = {
  type: "publish",
  topic: TOPIC_20,
  payload: payload(64),
  qos: 1,
  retain: false,
  dup: false,
  packetId: 4242,
  userProperties: [["unit", "celsius"]],
};

/** A realistic session: CONNECT, SUBSCRIBE, PUBLISHes of 16 B to 4 KiB, PUBACKs, a PINGREQ. */
function mix(version: Version): Packet[] {
  const v5 = version === 5;
  const publish = (
    topic: string,
    size: number,
    qos: 0 | 1,
    packetId?: number,
  ): Packet => ({
    type: "publish",
    topic,
    payload: payload(size),
    qos,
    retain: false,
    dup: false,
    ...(packetId === undefined ? {} : { packetId }),
    ...(v5 && size <= 64 ? { userProperties: [["unit", "celsius"]] } : {}),
    ...(v5 && size >= 1024 ? { contentType: "application/json" } : {}),
  });
  return [
    {
      type: "connect",
      protocolVersion: version,
      clientId: "sensor-gateway-0042",
      cleanStart: true,
      keepAlive: 60,
      username: "gateway",
      password: payload(16),
      ...(v5 ? { sessionExpiryInterval: 3600, receiveMaximum: 100 } : {}),
    },
    {
      type: "subscribe",
      packetId: 1,
      subscriptions: [
        { topicFilter: "commands/gateway-0042/#", qos: 1 },
        { topicFilter: "config/+/gateway", qos: 0 },
        { topicFilter: "broadcast", qos: 1 },
      ],
    },
    publish("sensors/room-12/temp", 16, 0),
    publish(TOPIC_20, 64, 1, 2),
    { type: "puback", packetId: 2 },
    publish("sensors/room-12/humidity", 256, 1, 3),
    { type: "puback", packetId: 3 },
    publish("logs/gateway-0042/batch", 1024, 0),
    publish("images/camera-3/thumbnail", 4096, 1, 4),
    { type: "puback", packetId: 4 },
    { type: "pingreq" },
  ];
}

/** The small PUBLISH, alone. */
export const small: Fixture = fixture("small PUBLISH v5", 5, [SMALL_PUBLISH]);
/** The realistic mix, MQTT 5.0. */
export const mix5: Fixture = fixture("mix v5", 5, mix(5));
/** The realistic mix, MQTT 3.1.1. */
export const mix4: Fixture = fixture("mix v4", 4, mix(4));

/** The 1 MiB PUBLISH: the small PUBLISH's header with a 1 MiB payload. */
export const large: Fixture = fixture("1 MiB PUBLISH v5", 5, [
  { ...SMALL_PUBLISH, payload: payload(1 << 20) },
]);
