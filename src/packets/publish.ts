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
  label,
  startPacket,
  stringLength,
  vbiLength,
} from "../primitives/writer.ts";
import {
  assertNoProperties,
  Context,
  decodeProperties,
  propertiesLength,
  writeProperties,
} from "../properties.ts";
import { topicNameProblem } from "../topic.ts";
import { checkPacketId, readPacketId } from "./fields.ts";

const MALFORMED = 0x81;
const PROTOCOL_ERROR = 0x82;
const EMPTY = new Uint8Array(0);
const WHERE = { 4: label("PUBLISH", 4), 5: label("PUBLISH", 5) } as const;

/** Decodes the variable header and payload of a PUBLISH; `flags` are the fixed header's low 4 bits. */
export function decodePublish(c: Cursor, flags: number): PublishPacket {
  const qos = (flags >> 1) & 3;
  if (qos === 3) {
    c.fail("QoS", "must not be 3 [MQTT-3.3.1-4]", MALFORMED, c.base);
  }
  const dup = (flags & 8) !== 0;
  if (dup && qos === 0) {
    c.fail("DUP flag", "must be 0 for QoS 0 [MQTT-3.3.1-2]", MALFORMED, c.base);
  }
  const topicAt = c.pos;
  const topic = c.utf8("Topic Name");
  if (topic.length > 0 || c.version === 4) {
    const problem = topicNameProblem(topic);
    if (problem !== undefined) {
      c.fail("Topic Name", problem, MALFORMED, topicAt);
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
  if (qos > 0) packet.packetId = readPacketId(c);
  if (c.version === 5) {
    decodeProperties(
      c,
      Context.Publish,
      packet as unknown as Record<string, unknown>,
    );
    if (topic.length === 0 && packet.topicAlias === undefined) {
      c.fail(
        "Topic Name",
        "is empty and there is no Topic Alias (section 3.3.2.1)",
        PROTOCOL_ERROR,
        topicAt,
      );
    }
  }
  packet.payload = c.rest();
  return packet;
}

/** Encodes a PUBLISH. */
export function encodePublish(
  packet: PublishPacket,
  version: 4 | 5,
  into?: Uint8Array,
): Uint8Array {
  const where = WHERE[version];
  const qos = checkQoS(packet.qos, where, "qos", "[MQTT-3.3.1-4]");
  const retain = packet.retain === undefined
    ? false
    : checkBoolean(packet.retain, where, "retain");
  const dup = packet.dup === undefined
    ? false
    : checkBoolean(packet.dup, where, "dup");
  if (dup && qos === 0) {
    throw encodeError(where, "dup", "must be false for QoS 0 [MQTT-3.3.1-2]");
  }
  const topic = packet.topic;
  const topicLength = stringLength(topic, where, "topic");
  if (topicLength > 0 || version === 4) {
    const problem = topicNameProblem(topic);
    if (problem !== undefined) throw encodeError(where, "topic", problem);
  } else if (packet.topicAlias === undefined) {
    throw encodeError(
      where,
      "topic",
      "is empty and there is no topicAlias (section 3.3.2.1)",
      PROTOCOL_ERROR,
    );
  }
  let packetId = 0;
  if (qos > 0) {
    packetId = checkPacketId(packet.packetId, where, version);
  } else if (packet.packetId !== undefined) {
    throw encodeError(
      where,
      "packetId",
      `must be absent for QoS 0 ${
        version === 5 ? "[MQTT-2.2.1-2]" : "[MQTT-2.3.1-5]"
      }`,
      PROTOCOL_ERROR,
    );
  }
  const payload = checkBytes(packet.payload, where, "payload");
  let propertiesSize = 0;
  let remainingLength = 2 + topicLength + (qos > 0 ? 2 : 0) + payload.length;
  if (version === 5) {
    propertiesSize = propertiesLength(packet, Context.Publish, where);
    remainingLength += vbiLength(propertiesSize) + propertiesSize;
  } else {
    assertNoProperties(packet, where);
  }
  const w = startPacket(
    0x30 | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0),
    remainingLength,
    where,
    into,
  );
  w.utf8(topic, topicLength);
  if (qos > 0) w.u16(packetId);
  if (version === 5) {
    writeProperties(w, packet, propertiesSize);
  }
  w.raw(payload);
  return w.bytes;
}
