/**
 * Packet sizes without encoding: an upper bound that is cheap to compute,
 * and the exact size (by encoding) only when the bound comes near a limit.
 *
 * @module
 */

import { encode, MAXIMUM_PACKET_SIZE } from "../codec.ts";
import type {
  MessageProperties,
  Packet,
  ProtocolVersion,
  PublishPacket,
} from "../packet.ts";

/** A UTF-16 code unit takes at most 3 bytes in UTF-8 (a surrogate pair: 4 for 2). */
const UTF8_PER_UNIT = 3;

/** Bytes a UTF-8 Encoded String property of `text` takes at most: identifier, length, bytes. */
function stringBound(text: string | undefined): number {
  return text === undefined ? 0 : 3 + UTF8_PER_UNIT * text.length;
}

/** The most bytes the message properties can take, identifiers included. */
function messagePropertiesBound(message: MessageProperties): number {
  let size = 0;
  if (message.payloadFormatIndicator !== undefined) size += 2;
  if (message.messageExpiryInterval !== undefined) size += 5;
  size += stringBound(message.contentType);
  size += stringBound(message.responseTopic);
  if (message.correlationData !== undefined) {
    size += 3 + message.correlationData.length;
  }
  const pairs = message.userProperties;
  if (pairs !== undefined) {
    for (let i = 0; i < pairs.length; i++) {
      size += 5 + UTF8_PER_UNIT * (pairs[i][0].length + pairs[i][1].length);
    }
  }
  return size;
}

/**
 * An upper bound of the encoded size of a PUBLISH, fixed header included:
 * never below the exact size, and equal to it for an ASCII topic without
 * properties but for the Remaining Length's bytes.
 */
export function publishSizeBound(packet: PublishPacket): number {
  // type byte, Remaining Length (at most 4 bytes), topic length prefix
  let size = 1 + 4 + 2 + UTF8_PER_UNIT * packet.topic.length +
    packet.payload.length;
  if (packet.qos > 0) size += 2;
  // Properties (none in 3.1.1, where this only adds 4): a Property Length
  // of at most 4 bytes, then each property.
  size += 4 + messagePropertiesBound(packet);
  if (packet.topicAlias !== undefined) size += 3;
  const identifiers = packet.subscriptionIdentifiers;
  if (identifiers !== undefined) size += 5 * identifiers.length;
  return size;
}

/**
 * An upper bound of the encoded size of any packet, from its fields: every
 * string counted as 3 bytes per UTF-16 code unit plus a property
 * identifier and a length, binary data with the same overhead, every number
 * as 5 bytes, every boolean as 2, plus a fixed header and Property Length
 * of 9. Only used to skip encoding when a packet is far below a limit.
 */
function genericSizeBound(value: unknown): number {
  if (typeof value === "string") return 3 + UTF8_PER_UNIT * value.length;
  if (typeof value === "number") return 5;
  if (typeof value === "boolean") return 2;
  if (value instanceof Uint8Array) return 3 + value.length;
  let size = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) size += genericSizeBound(value[i]);
  } else if (typeof value === "object" && value !== null) {
    for (const key in value) {
      size += genericSizeBound((value as Record<string, unknown>)[key]);
    }
  }
  return size;
}

/**
 * Whether `packet` encodes to at most `maximum` bytes. A cheap upper bound
 * answers when it is within the limit; the packet is encoded only when the
 * bound is above it.
 */
export function fitsWithin(
  packet: Packet,
  maximum: number,
  version: ProtocolVersion,
): boolean {
  if (maximum >= MAXIMUM_PACKET_SIZE) return true;
  const bound = packet.type === "publish"
    ? publishSizeBound(packet)
    : 9 + genericSizeBound(packet);
  if (bound <= maximum) return true;
  return encode(packet, { protocolVersion: version }).length <= maximum;
}

/**
 * The bytes a message holds, at most, as counted against a session's queue
 * limit when its properties were not measured: its payload, topic and a
 * bound of its properties.
 */
export function messageSize(
  message: MessageProperties & { topic: string; payload: Uint8Array },
): number {
  return message.payload.length + message.topic.length +
    messagePropertiesBound(message);
}
