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
import { Context, decodeProperties, propertiesSize } from "../properties.ts";
import type { Protocol } from "../protocol.ts";
import { topicNameProblem } from "../topic.ts";
import { checkPacketId, readPacketId } from "./fields.ts";
import {
  checkFields,
  isOwn,
  measureProperties,
  shape,
  writeFoundProperties,
} from "./shape.ts";
import { type PacketCodec, packetCodec } from "./packet_codec.ts";
import { ReasonCode } from "../reason_code.ts";

const EMPTY = new Uint8Array(0);

const FIELDS = shape(
  "a PUBLISH packet",
  ["type", "topic", "payload", "qos", "retain", "dup", "packetId"],
  Context.Publish,
);
const { topic: TOPIC, payload: PAYLOAD, qos: QOS, retain: RETAIN } =
  FIELDS.bits;
const { dup: DUP, packetId: PACKET_ID } = FIELDS.bits;

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
