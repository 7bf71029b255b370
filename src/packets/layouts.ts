/**
 * Layouts that several control packets share, so that no packet file
 * imports another:
 *
 * - the PUBLISH acknowledgement (PUBACK, PUBREC, PUBREL, PUBCOMP): a Packet
 *   Identifier, then in MQTT 5.0 a reason code and properties, both left out
 *   when they say nothing;
 * - the acknowledgement list (SUBACK, UNSUBACK): a Packet Identifier,
 *   properties, then one code per topic filter;
 * - the reason-only packet (DISCONNECT, AUTH): a reason code and
 *   properties, both left out when they say nothing;
 * - the topic filter list (SUBSCRIBE, UNSUBSCRIBE): a Packet Identifier,
 *   properties, then at least one topic filter.
 *
 * @module
 */

import { DEFAULT_REASON_CODE } from "../defaults.ts";
import type {
  AuthPacket,
  DisconnectPacket,
  PublishAcknowledgement,
  SubackPacket,
  SubscribePacket,
  UnsubackPacket,
  UnsubscribePacket,
} from "../packet.ts";
import type { Cursor } from "../primitives/cursor.ts";
import {
  encodeError,
  startPacket,
  stringLength,
} from "../primitives/writer.ts";
import { Context, decodeProperties, propertiesSize } from "../properties.ts";
import type { Protocol } from "../protocol.ts";
import { topicFilterProblem } from "../topic.ts";
import {
  checkPacketId,
  checkReasonCode,
  readPacketId,
  readReasonCode,
} from "./fields.ts";
import {
  checkFields,
  measureProperties,
  type Shape,
  shape,
  writeFoundProperties,
} from "./shape.ts";
import { ReasonCode } from "../reason_code.ts";

// ---------------------------------------------------------------------------
// PUBLISH acknowledgements

/** The type of a PUBLISH acknowledgement. */
export type AckType = "puback" | "pubrec" | "pubrel" | "pubcomp";

type AckField = "type" | "packetId" | "reasonCode";
const ACK_FIELDS: readonly AckField[] = ["type", "packetId", "reasonCode"];

/** The fields of each PUBLISH acknowledgement. */
const ACK_SHAPES: Readonly<Record<AckType, Shape<AckField>>> = {
  puback: shape("a PUBACK packet", ACK_FIELDS, Context.PublishAck),
  pubrec: shape("a PUBREC packet", ACK_FIELDS, Context.PublishAck),
  pubrel: shape("a PUBREL packet", ACK_FIELDS, Context.PublishAck),
  pubcomp: shape("a PUBCOMP packet", ACK_FIELDS, Context.PublishAck),
};

/** Decodes the variable header of a PUBLISH acknowledgement. */
export function decodeAck<T extends AckType>(
  c: Cursor,
  type: T,
  context: Context,
): PublishAcknowledgement<T> {
  const packetId = readPacketId(c, type);
  if (!c.protocol.ackReasonCodes) return { type, packetId };
  // A Remaining Length of 2 means Success with no properties (section 3.4.2.1)
  const packet: PublishAcknowledgement<T> = {
    type,
    packetId,
    reasonCode: DEFAULT_REASON_CODE,
  };
  if (c.pos < c.end) {
    packet.reasonCode = readReasonCode(c, type);
    // below a Remaining Length of 4 the Property Length is left out (section 3.4.2.2)
    if (c.pos < c.end) decodeProperties(c, context, packet);
  }
  return packet;
}

/** Encodes a PUBLISH acknowledgement, in the shortest form that carries its meaning. */
export function encodeAck(
  packet: PublishAcknowledgement<AckType>,
  protocol: Protocol,
  firstByte: number,
  into: Uint8Array | undefined,
): Uint8Array {
  const type = packet.type;
  const where = protocol.where[type];
  const fields = ACK_SHAPES[type];
  const present = checkFields(packet, fields, protocol, where);
  const size = measureProperties(packet, fields, present, where);
  const bits = fields.bits;
  const packetId = checkPacketId(
    present & bits.packetId ? packet.packetId : undefined,
    type,
    protocol,
  );
  const reasonCode = reasonCodeOf(
    present & bits.reasonCode ? packet.reasonCode : undefined,
    type,
    protocol,
    where,
  );
  const remainingLength = size > 0
    ? 3 + propertiesSize(size, protocol)
    : reasonCode !== 0
    ? 3
    : 2;
  const w = startPacket(firstByte, remainingLength, where, into);
  w.u16(packetId);
  if (remainingLength > 2) w.u8(reasonCode);
  if (size > 0) writeFoundProperties(w, packet, fields, present, size);
  return w.bytes;
}

/**
 * The reason code to write for an optional `reasonCode` field: absent means
 * 0. A version without reason codes on this packet carries only that 0.
 */
function reasonCodeOf(
  value: unknown,
  type: AckType | ReasonType,
  protocol: Protocol,
  where: string,
): number {
  if (value === undefined) return DEFAULT_REASON_CODE;
  if (protocol.ackReasonCodes) {
    return checkReasonCode(value, type, protocol, where);
  }
  if (value !== 0) {
    throw encodeError(
      where,
      "reasonCode",
      `other than ${
        type === "disconnect" ? "Normal disconnection" : "Success"
      } cannot be carried by ${protocol.label}`,
      ReasonCode.ProtocolError,
    );
  }
  return 0;
}

// ---------------------------------------------------------------------------
// SUBACK and UNSUBACK

/** SUBACK or UNSUBACK. */
export type AckListPacket = SubackPacket | UnsubackPacket;

type AckListField = "type" | "packetId" | "reasonCodes";
const ACK_LIST_FIELDS: readonly AckListField[] = [
  "type",
  "packetId",
  "reasonCodes",
];
const ACK_LIST_SHAPES: Readonly<
  Record<AckListPacket["type"], Shape<AckListField>>
> = {
  suback: shape("a SUBACK packet", ACK_LIST_FIELDS, Context.Suback),
  unsuback: shape("an UNSUBACK packet", ACK_LIST_FIELDS, Context.Unsuback),
};

/** Decodes a Packet Identifier, properties (5.0) and a list of reason codes. */
export function decodeAckList<T extends AckListPacket["type"]>(
  c: Cursor,
  type: T,
  context: Context,
): Extract<AckListPacket, { type: T }> {
  const packetId = readPacketId(c, type);
  const packet: AckListPacket = { type, packetId, reasonCodes: [] };
  const protocol = c.protocol;
  if (protocol.properties) decodeProperties(c, context, packet);
  if (type === "unsuback" && !protocol.unsubackReasonCodes) {
    // an UNSUBACK before 5.0 has no payload (3.1.1 section 3.11.3); the
    // codec refuses any byte after the Packet Identifier
    return packet as Extract<AckListPacket, { type: T }>;
  }
  if (c.pos === c.end) {
    c.fail(
      "Payload",
      "must hold at least one reason code, one per topic filter (sections 3.9.3, 3.11.3)",
      ReasonCode.ProtocolError,
    );
  }
  while (c.pos < c.end) packet.reasonCodes.push(readReasonCode(c, type));
  return packet as Extract<AckListPacket, { type: T }>;
}

/** Encodes a SUBACK or an UNSUBACK. */
export function encodeAckList(
  packet: AckListPacket,
  protocol: Protocol,
  firstByte: number,
  into: Uint8Array | undefined,
): Uint8Array {
  const type = packet.type;
  const where = protocol.where[type];
  const fields = ACK_LIST_SHAPES[type];
  const present = checkFields(packet, fields, protocol, where);
  const size = measureProperties(packet, fields, present, where);
  const packetId = checkPacketId(
    present & fields.bits.packetId ? packet.packetId : undefined,
    type,
    protocol,
  );
  const codes = present & fields.bits.reasonCodes
    ? packet.reasonCodes
    : undefined;
  if (!Array.isArray(codes)) {
    throw encodeError(where, "reasonCodes", "must be an array");
  }
  if (type === "unsuback" && !protocol.unsubackReasonCodes) {
    // no codes on the wire: only Success ones say nothing that is lost
    for (let i = 0; i < codes.length; i++) {
      if (codes[i] !== 0) {
        throw encodeError(
          where,
          `reasonCodes[${i}]`,
          `other than Success cannot be carried by ${protocol.label}`,
          ReasonCode.ProtocolError,
        );
      }
    }
    const w = startPacket(firstByte, 2, where, into);
    w.u16(packetId);
    return w.bytes;
  }
  for (let i = 0; i < codes.length; i++) {
    checkReasonCode(codes[i], type, protocol, where, `reasonCodes[${i}]`);
  }
  if (codes.length === 0) {
    throw encodeError(
      where,
      "reasonCodes",
      "must hold one reason code per topic filter, at least one (sections 3.9.3, 3.11.3)",
      ReasonCode.ProtocolError,
    );
  }
  const remainingLength = 2 + propertiesSize(size, protocol) + codes.length;
  const w = startPacket(firstByte, remainingLength, where, into);
  w.u16(packetId);
  if (protocol.properties) {
    writeFoundProperties(w, packet, fields, present, size);
  }
  for (let i = 0; i < codes.length; i++) w.u8(codes[i]);
  return w.bytes;
}

// ---------------------------------------------------------------------------
// DISCONNECT and AUTH

/** DISCONNECT or AUTH. */
export type ReasonPacket = DisconnectPacket | AuthPacket;
type ReasonType = ReasonPacket["type"];

const REASON_SHAPES: Readonly<
  Record<ReasonType, Shape<"type" | "reasonCode">>
> = {
  disconnect: shape(
    "a DISCONNECT packet",
    ["type", "reasonCode"],
    Context.Disconnect,
  ),
  auth: shape("an AUTH packet", ["type", "reasonCode"], Context.Auth),
};

/**
 * Decodes a reason code and properties; a Remaining Length of 0 means 0x00
 * and no properties, of 1 a reason code and no properties (sections
 * 3.14.2.1, 3.15.2.1). Before 5.0 the packet has no variable header: its
 * Remaining Length is 0, which the codec checks.
 */
export function decodeReasonPacket<T extends ReasonType>(
  c: Cursor,
  type: T,
  context: Context,
): Extract<ReasonPacket, { type: T }> {
  if (!c.protocol.ackReasonCodes) {
    return { type } as Extract<ReasonPacket, { type: T }>;
  }
  const packet: ReasonPacket = { type, reasonCode: DEFAULT_REASON_CODE };
  if (c.pos < c.end) {
    packet.reasonCode = readReasonCode(c, type);
    if (c.pos < c.end) decodeProperties(c, context, packet);
  }
  return packet as Extract<ReasonPacket, { type: T }>;
}

/** Encodes a DISCONNECT or AUTH in its shortest form. */
export function encodeReasonPacket(
  packet: ReasonPacket,
  protocol: Protocol,
  firstByte: number,
  into: Uint8Array | undefined,
): Uint8Array {
  const type = packet.type;
  const where = protocol.where[type];
  const fields = REASON_SHAPES[type];
  const present = checkFields(packet, fields, protocol, where);
  const size = measureProperties(packet, fields, present, where);
  const reasonCode = reasonCodeOf(
    present & fields.bits.reasonCode ? packet.reasonCode : undefined,
    type,
    protocol,
    where,
  );
  const remainingLength = size > 0
    ? 1 + propertiesSize(size, protocol)
    : reasonCode !== 0
    ? 1
    : 0;
  const w = startPacket(firstByte, remainingLength, where, into);
  if (remainingLength > 0) w.u8(reasonCode);
  if (size > 0) writeFoundProperties(w, packet, fields, present, size);
  return w.bytes;
}

// ---------------------------------------------------------------------------
// SUBSCRIBE and UNSUBSCRIBE

/** The rule that SUBSCRIBE and UNSUBSCRIBE carry at least one topic filter. */
function atLeastOneRule(
  type: "subscribe" | "unsubscribe",
  protocol: Protocol,
): string {
  return type === "subscribe"
    ? protocol.rules.subscribeAtLeastOne
    : protocol.rules.unsubscribeAtLeastOne;
}

/** Reads a Topic Filter and checks its wildcards. */
export function readTopicFilter(c: Cursor): string {
  const at = c.pos;
  const filter = c.utf8("Topic Filter");
  const problem = topicFilterProblem(filter, c.protocol.version);
  if (problem !== undefined) {
    c.fail("Topic Filter", problem, ReasonCode.MalformedPacket, at);
  }
  return filter;
}

/** Checks a topic filter to encode and returns its length in bytes. */
export function topicFilterLength(
  filter: unknown,
  where: string,
  field: string,
  protocol: Protocol,
): number {
  const length = stringLength(filter, where, field, protocol);
  const problem = topicFilterProblem(filter as string, protocol.version);
  if (problem !== undefined) throw encodeError(where, field, problem);
  return length;
}

/**
 * Reads what SUBSCRIBE and UNSUBSCRIBE have after the Packet Identifier and
 * before the topic filters (the properties, in MQTT 5.0), and checks that
 * at least one topic filter follows.
 */
export function readFilterListStart(
  c: Cursor,
  packet: SubscribePacket | UnsubscribePacket,
  context: Context,
): void {
  if (c.protocol.properties) decodeProperties(c, context, packet);
  if (c.pos === c.end) {
    c.fail(
      "Payload",
      `must hold at least one Topic Filter ${
        atLeastOneRule(packet.type, c.protocol)
      }`,
      ReasonCode.ProtocolError,
    );
  }
}

/** Checks that a SUBSCRIBE or UNSUBSCRIBE to encode has a non-empty list. */
export function checkFilterList(
  list: unknown,
  type: "subscribe" | "unsubscribe",
  field: string,
  protocol: Protocol,
): unknown[] {
  if (!Array.isArray(list) || list.length === 0) {
    throw encodeError(
      protocol.where[type],
      field,
      `must hold at least one ${
        type === "subscribe" ? "subscription" : "topic filter"
      } ${atLeastOneRule(type, protocol)}`,
      ReasonCode.ProtocolError,
    );
  }
  return list;
}
