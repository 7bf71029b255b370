/**
 * Sample packets and byte helpers shared by the parser, reader and decoder
 * stream tests: one packet of every type in each version, in the form the
 * decoder gives (so that decoding their encoding gives them back).
 */

import { encode, type Packet, type ProtocolVersion } from "../../mod.ts";

export const text = (value: string): Uint8Array =>
  new TextEncoder().encode(value);

/** A QoS 0 PUBLISH of 1,000 bytes of payload (1,009 on the wire), as bytes. */
export const BIG_PUBLISH: Uint8Array = encode({
  type: "publish",
  topic: "a/b",
  payload: new Uint8Array(1_000),
  qos: 0,
  retain: false,
  dup: false,
});

/** One packet of every type MQTT 5.0 has, in decoded (canonical) form, starting with its CONNECT. */
export const PACKETS_5: Packet[] = [
  {
    type: "connect",
    protocolVersion: 5,
    clientId: "reader-test",
    cleanStart: true,
    keepAlive: 30,
    sessionExpiryInterval: 60,
    userProperties: [["a", "1"]],
    will: {
      topic: "status/reader",
      payload: text("gone"),
      qos: 1,
      retain: true,
      willDelayInterval: 5,
    },
    username: "user",
    password: text("secret"),
  },
  {
    type: "connack",
    sessionPresent: false,
    reasonCode: 0,
    maximumPacketSize: 1_000_000,
    assignedClientIdentifier: "assigned",
  },
  {
    type: "publish",
    topic: "sensors/1/temperature",
    payload: text("21.5"),
    qos: 0,
    retain: false,
    dup: false,
    contentType: "text/plain",
  },
  {
    type: "publish",
    topic: "big",
    // 200 bytes of payload: a 2-byte Remaining Length
    payload: new Uint8Array(200).map((_, i) => i),
    qos: 2,
    retain: true,
    dup: true,
    packetId: 65_535,
    subscriptionIdentifiers: [1, 268_435_455],
  },
  { type: "puback", packetId: 1, reasonCode: 0 },
  { type: "pubrec", packetId: 2, reasonCode: 0x10, reasonString: "none" },
  { type: "pubrel", packetId: 3, reasonCode: 0x92 },
  { type: "pubcomp", packetId: 4, reasonCode: 0, userProperties: [["k", "v"]] },
  {
    type: "subscribe",
    packetId: 5,
    subscriptions: [
      {
        topicFilter: "sensors/+/temperature",
        qos: 1,
        noLocal: true,
        retainAsPublished: false,
        retainHandling: 2,
      },
      {
        topicFilter: "#",
        qos: 0,
        noLocal: false,
        retainAsPublished: true,
        retainHandling: 0,
      },
    ],
    subscriptionIdentifier: 42,
  },
  { type: "suback", packetId: 5, reasonCodes: [1, 0x80] },
  { type: "unsubscribe", packetId: 6, topicFilters: ["a/b", "c/#"] },
  { type: "unsuback", packetId: 6, reasonCodes: [0, 0x11] },
  { type: "pingreq" },
  { type: "pingresp" },
  {
    type: "auth",
    reasonCode: 0x18,
    authenticationMethod: "SCRAM-SHA-1",
    authenticationData: new Uint8Array([1, 2, 3]),
  },
  { type: "disconnect", reasonCode: 0x04, reasonString: "bye" },
];

/** One packet of every type MQTT 3.1.1 has (it has no AUTH), starting with its CONNECT. */
export const PACKETS_4: Packet[] = [
  {
    type: "connect",
    protocolVersion: 4,
    clientId: "reader-test",
    cleanStart: false,
    keepAlive: 0,
    username: "user",
    password: text("secret"),
    will: { topic: "w", payload: text("x"), qos: 2, retain: false },
  },
  { type: "connack", sessionPresent: true, reasonCode: 0 },
  {
    type: "publish",
    topic: "a/b",
    payload: new Uint8Array(130).fill(0xaa),
    qos: 1,
    retain: false,
    dup: false,
    packetId: 9,
  },
  { type: "puback", packetId: 9 },
  { type: "pubrec", packetId: 10 },
  { type: "pubrel", packetId: 10 },
  { type: "pubcomp", packetId: 10 },
  {
    type: "subscribe",
    packetId: 11,
    subscriptions: [{ topicFilter: "a/+", qos: 2 }],
  },
  { type: "suback", packetId: 11, reasonCodes: [2, 0x80] },
  { type: "unsubscribe", packetId: 12, topicFilters: ["a/+"] },
  { type: "unsuback", packetId: 12, reasonCodes: [] },
  { type: "pingreq" },
  { type: "pingresp" },
  { type: "disconnect" },
];

export function concat(parts: Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

export function encodeAll(
  packets: Packet[],
  version: ProtocolVersion,
): Uint8Array {
  return concat(
    packets.map((packet) => encode(packet, { protocolVersion: version })),
  );
}

/** Splits `bytes` at the given offsets (sorted, within bounds). */
export function splitAt(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const offset of offsets) {
    chunks.push(bytes.subarray(start, offset));
    start = offset;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}
