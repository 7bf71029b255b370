/**
 * PUBLISH (section 3.3): an application message.
 *
 * @module
 */

import type { PublishPacket } from "../packet.ts";
import type { Cursor } from "../primitives/cursor.ts";
import {
  checkBoolean,
  checkBytes,
  checkQoS,
  encodeError,
  startPacket,
  stringLength,
} from "../primitives/writer.ts";
import {
  Context,
  decodeProperties,
  propertiesSize,
  propertyOf,
} from "../properties.ts";
import { MAXIMUM_PACKET_ID } from "../defaults.ts";
import { writeTwoByteInteger } from "../primitives/two_byte_integer.ts";
import { measureUtf8 } from "../primitives/utf8.ts";
import { MAX_STRING_BYTES } from "../primitives/utf8_string.ts";
import type { Protocol } from "../protocol.ts";
import { topicNameProblem } from "../topic.ts";
import { checkPacketId, readPacketId } from "./fields.ts";
import {
  checkFields,
  isOwn,
  measureProperties,
  propertyBit,
  type Shape,
  shape,
  writeFoundProperties,
} from "./shape.ts";
import {
  MAX_VARIABLE_BYTE_INTEGER,
  vbiLength,
  writeVariableByteInteger,
} from "../primitives/variable_byte_integer.ts";
import { type PacketCodec, packetCodec } from "./packet_codec.ts";
import { ReasonCode } from "../reason_code.ts";

const EMPTY = new Uint8Array(0);

/** The fields and properties of a PUBLISH, for {@linkcode checkFields}. */
export const FIELDS: Shape = shape(
  "a PUBLISH packet",
  ["type", "topic", "payload", "qos", "retain", "dup", "packetId"],
  Context.Publish,
);
const { topic: TOPIC, payload: PAYLOAD, qos: QOS, retain: RETAIN } =
  FIELDS.bits;
const { dup: DUP, packetId: PACKET_ID, type: TYPE } = FIELDS.bits;
const USER_PROPERTIES = propertyBit(FIELDS, "userProperties");
/** What {@linkcode writeCommonPublish} writes: the fields and User Properties. */
const COMMON = TYPE | TOPIC | PAYLOAD | QOS | RETAIN | DUP | PACKET_ID |
  USER_PROPERTIES;

/** Decodes the variable header and payload of a PUBLISH; `flags` are the fixed header's low 4 bits. */
function decodePublish(c: Cursor, flags: number): PublishPacket {
  const qos = (flags >> 1) & 3;
  if (qos === 3) {
    c.fail(
      "QoS",
      "must not be 3 [MQTT-3.3.1-4]",
      ReasonCode.MalformedPacket,
      c.base,
    );
  }
  const dup = (flags & 8) !== 0;
  if (dup && qos === 0) {
    c.fail(
      "DUP flag",
      "must be 0 for QoS 0 [MQTT-3.3.1-2]",
      ReasonCode.MalformedPacket,
      c.base,
    );
  }
  const protocol = c.protocol;
  const topicAt = c.pos;
  const topic = c.utf8("Topic Name");
  if (topic.length > 0 || !protocol.emptyTopicWithAlias) {
    const problem = topicNameProblem(topic);
    if (problem !== undefined) {
      c.fail("Topic Name", problem, ReasonCode.MalformedPacket, topicAt);
    }
  }
  const packet: PublishPacket = {
    type: "publish",
    topic,
    payload: EMPTY,
    qos: qos as 0 | 1 | 2,
    retain: (flags & 1) !== 0,
    dup,
  };
  if (qos > 0) packet.packetId = readPacketId(c, "publish");
  if (protocol.properties) {
    decodeProperties(c, Context.Publish, packet);
    if (topic.length === 0 && !Object.hasOwn(packet, "topicAlias")) {
      c.fail(
        "Topic Name",
        "is empty and there is no Topic Alias (section 3.3.2.1)",
        ReasonCode.ProtocolError,
        topicAt,
      );
    }
  }
  packet.payload = c.rest();
  return packet;
}

/** Encodes a PUBLISH. */
function encodePublish(
  packet: PublishPacket,
  protocol: Protocol,
  into?: Uint8Array,
): Uint8Array {
  const where = protocol.where.publish;
  const present = checkFields(packet, FIELDS, protocol, where);
  if (generalOnly > 0) {
    generalOnly--;
  } else {
    const bytes = writeCommonPublish(packet, present, protocol, into);
    if (bytes) return bytes;
    if (bytes === null) generalOnly = NOT_ASCII_BACKOFF;
  }
  return encodeAnyPublish(packet, present, protocol, into);
}

/**
 * How many PUBLISH go straight to the general path after one whose strings
 * were not all ASCII. {@linkcode writeCommonPublish} finds that out while it
 * writes, into an array already allocated: without this a publisher whose
 * topics or properties are not ASCII would allocate every packet twice
 * (measured 1.2x to 1.7x slower than the general path alone); with it, one
 * packet in this many. The bytes are the same either way.
 */
const NOT_ASCII_BACKOFF = 64;
let generalOnly = 0;

/**
 * Writes the common PUBLISH — a topic name, User Properties and no other
 * property, all strings ASCII — checking each character as it writes it,
 * without the property table or a `ByteWriter`. Returns `undefined` for
 * anything else, valid or not, and `null` when it is so because a string is
 * not ASCII (or not valid): {@linkcode encodeAnyPublish} then writes it or
 * throws the error that names the problem, so this function only decides
 * whether a packet is one it can write, never how to refuse one. Its checks
 * are those of the general path (tests/packets/publish_test.ts compares the
 * two on random packets, valid and not, and on mutants of this function).
 *
 * `into`, the caller's buffer, is written only once the strings are known
 * to be ASCII: a packet refused leaves it as it was.
 */
export function writeCommonPublish(
  packet: PublishPacket,
  present: number,
  protocol: Protocol,
  into: Uint8Array | undefined,
): Uint8Array | undefined | null {
  if ((present & ~COMMON) !== 0) return undefined;
  const qos = present & QOS ? packet.qos : undefined; // required, as QoS 0 too
  if (qos !== 0 && qos !== 1 && qos !== 2) return undefined; // [MQTT-3.3.1-4]
  const retain = present & RETAIN ? packet.retain : false;
  const dup = present & DUP ? packet.dup : false;
  if (typeof retain !== "boolean" || typeof dup !== "boolean") return undefined;
  if (dup && qos === 0) return undefined; // [MQTT-3.3.1-2]
  let packetId = 0;
  if (qos > 0) {
    const id = present & PACKET_ID ? packet.packetId : undefined;
    // [MQTT-2.2.1-3]: an integer from 1 to 65535 (NaN fails the range test;
    // "| 0" keeps integers in range as they are, and is cheaper than "% 1")
    if (
      typeof id !== "number" || !(id >= 1 && id <= MAXIMUM_PACKET_ID) ||
      (id | 0) !== id
    ) {
      return undefined;
    }
    packetId = id;
  } else if (present & PACKET_ID) {
    return undefined; // [MQTT-2.2.1-2]
  }
  const payload = present & PAYLOAD ? packet.payload : undefined;
  if (!(payload instanceof Uint8Array)) return undefined;
  const topic = present & TOPIC ? packet.topic : undefined;
  // an empty topic name needs a Topic Alias [MQTT-4.7.3-1]; ASCII strings
  // take a byte a character, so their length is their size (section 1.5.4)
  if (
    typeof topic !== "string" || topic.length === 0 ||
    topic.length > MAX_STRING_BYTES
  ) {
    return undefined;
  }
  let pairs: readonly (readonly [string, string])[] = NO_PAIRS;
  let propertyLength = 0;
  if (present & USER_PROPERTIES) {
    pairs = packet.userProperties!;
    if (!Array.isArray(pairs)) return undefined;
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i];
      if (!Array.isArray(pair) || pair.length !== 2) return undefined;
      const name = pair[0];
      const value = pair[1];
      if (
        typeof name !== "string" || typeof value !== "string" ||
        name.length > MAX_STRING_BYTES || value.length > MAX_STRING_BYTES
      ) {
        return undefined;
      }
      propertyLength += 5 + name.length + value.length; // 0x26, two strings
    }
  }
  if (into !== undefined && !stringsAreAscii(topic, pairs)) return null;
  const remainingLength = 2 + topic.length + (qos > 0 ? 2 : 0) +
    (protocol.properties ? vbiLength(propertyLength) + propertyLength : 0) +
    payload.length;
  if (remainingLength > MAX_VARIABLE_BYTE_INTEGER) return undefined;
  const size = 1 + vbiLength(remainingLength) + remainingLength;
  const out = into !== undefined && into.length >= size
    ? into.subarray(0, size)
    : new Uint8Array(size);
  out[0] = PUBLISH.firstByte | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0);
  let p = writeVariableByteInteger(out, 1, remainingLength);
  p = writeAscii(out, p, topic, TOPIC_NAME);
  if (p < 0) return null;
  if (qos > 0) p = writeTwoByteInteger(out, p, packetId);
  if (protocol.properties) {
    p = writeVariableByteInteger(out, p, propertyLength);
    for (let i = 0; i < pairs.length && p >= 0; i++) {
      const pair = pairs[i];
      out[p++] = USER_PROPERTY_ID;
      p = writeAscii(out, p, pair[0], STRING);
      if (p >= 0) p = writeAscii(out, p, pair[1], STRING);
    }
  }
  if (p < 0) return null;
  // a list whose items changed since they were measured (a getter, a Proxy)
  // wrote other bytes than were counted: the general path decides
  if (p + payload.length !== size) return undefined;
  out.set(payload, p);
  return out;
}

const NO_PAIRS: readonly (readonly [string, string])[] = [];
/** The identifier of the User Property (section 3.3.2.3.7). */
const USER_PROPERTY_ID = propertyOf("userProperties")!.id;
/** {@linkcode writeAscii}: any UTF-8 Encoded String. */
const STRING = 0;
/** {@linkcode writeAscii}: a Topic Name, which holds no wildcard [MQTT-3.3.2-2]. */
const TOPIC_NAME = 1;

/**
 * Whether `code` is a character {@linkcode writeAscii} writes: ASCII
 * (one byte, the same in UTF-8), not U+0000 [MQTT-1.5.4-2], and in a Topic
 * Name not '#' or '+' [MQTT-3.3.2-2].
 */
function isPlainAscii(code: number, kind: number): boolean {
  // code - 1 wraps U+0000 round to the top: one test for 1 to 0x7F
  return (code - 1) >>> 0 < 0x7f &&
    (kind === STRING || (code !== 0x23 && code !== 0x2b));
}

/**
 * Writes `text` with its Two Byte length at `p` and returns the offset after
 * it, or -1 at the first character it cannot write as one byte
 * ({@linkcode isPlainAscii}).
 */
function writeAscii(
  out: Uint8Array,
  p: number,
  text: string,
  kind: number,
): number {
  const length = text.length;
  p = writeTwoByteInteger(out, p, length);
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (!isPlainAscii(code, kind)) return -1;
    out[p++] = code;
  }
  return p;
}

/**
 * Whether {@linkcode writeAscii} would write the topic and every pair: the
 * codec's own checks, both remembering the strings they passed last.
 */
function stringsAreAscii(
  topic: string,
  pairs: readonly (readonly [string, string])[],
): boolean {
  if (!isAscii(topic) || topicNameProblem(topic) !== undefined) return false;
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i];
    if (!isAscii(pair[0]) || !isAscii(pair[1])) return false;
  }
  return true;
}

/** A valid UTF-8 Encoded String of one byte per character (no U+0000, [MQTT-1.5.4-2]). */
function isAscii(text: string): boolean {
  return measureUtf8(text) === text.length;
}

/** Encodes any PUBLISH, or throws the {@linkcode MqttError} that says why it cannot. */
export function encodeAnyPublish(
  packet: PublishPacket,
  present: number,
  protocol: Protocol,
  into: Uint8Array | undefined,
): Uint8Array {
  const where = protocol.where.publish;
  const size = measureProperties(packet, FIELDS, present, where);
  const qos = checkQoS(
    present & QOS ? packet.qos : undefined,
    where,
    "qos",
    "[MQTT-3.3.1-4]",
  );
  const retain = present & RETAIN
    ? checkBoolean(packet.retain, where, "retain")
    : false;
  const dup = present & DUP ? checkBoolean(packet.dup, where, "dup") : false;
  if (dup && qos === 0) {
    throw encodeError(where, "dup", "must be false for QoS 0 [MQTT-3.3.1-2]");
  }
  const topic = present & TOPIC ? packet.topic : undefined;
  const topicLength = stringLength(topic, where, "topic", protocol);
  if (topicLength > 0 || !protocol.emptyTopicWithAlias) {
    const problem = topicNameProblem(topic as string);
    if (problem !== undefined) throw encodeError(where, "topic", problem);
  } else if (
    !isOwn(packet, "topicAlias") || packet.topicAlias === undefined
  ) {
    throw encodeError(
      where,
      "topic",
      "is empty and there is no topicAlias (section 3.3.2.1)",
      ReasonCode.ProtocolError,
    );
  }
  let packetId = 0;
  if (qos > 0) {
    packetId = checkPacketId(
      present & PACKET_ID ? packet.packetId : undefined,
      "publish",
      protocol,
    );
  } else if (present & PACKET_ID) {
    throw encodeError(
      where,
      "packetId",
      `must be absent for QoS 0 ${protocol.rules.packetIdWithQoS0}`,
      ReasonCode.ProtocolError,
    );
  }
  const payload = checkBytes(
    present & PAYLOAD ? packet.payload : undefined,
    where,
    "payload",
  );
  const remainingLength = 2 + topicLength + (qos > 0 ? 2 : 0) +
    propertiesSize(size, protocol) + payload.length;
  const w = startPacket(
    PUBLISH.firstByte | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0),
    remainingLength,
    where,
    into,
  );
  w.utf8(topic as string, topicLength);
  if (qos > 0) w.u16(packetId);
  if (protocol.properties) {
    writeFoundProperties(w, packet, FIELDS, present, size);
  }
  w.raw(payload);
  return w.bytes;
}

/** PUBLISH: control packet type 3; its flags are DUP, QoS and RETAIN (section 3.3.1). */
export const PUBLISH: PacketCodec<PublishPacket> = packetCodec(
  "publish",
  3,
  -1,
  decodePublish,
  encodePublish,
);
