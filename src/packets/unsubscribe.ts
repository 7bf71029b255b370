/**
 * UNSUBSCRIBE (section 3.10): topic filters to remove. The topic filter
 * list is shared with SUBSCRIBE (see `layouts.ts`).
 *
 * @module
 */

import type { UnsubscribePacket } from "../packet.ts";
import type { Cursor } from "../primitives/cursor.ts";
import { startPacket } from "../primitives/writer.ts";
import { Context, propertiesSize } from "../properties.ts";
import type { Protocol } from "../protocol.ts";
import { checkPacketId, readPacketId } from "./fields.ts";
import {
  checkFilterList,
  readFilterListStart,
  readTopicFilter,
  topicFilterLength,
} from "./layouts.ts";
import { type PacketCodec, packetCodec } from "./packet_codec.ts";
import {
  checkFields,
  measureProperties,
  shape,
  writeFoundProperties,
} from "./shape.ts";

const FIELDS = shape(
  "an UNSUBSCRIBE packet",
  ["type", "packetId", "topicFilters"],
  Context.Unsubscribe,
);

/** Decodes the variable header and payload of an UNSUBSCRIBE. */
function decodeUnsubscribe(c: Cursor): UnsubscribePacket {
  const packetId = readPacketId(c, "unsubscribe");
  const packet: UnsubscribePacket = {
    type: "unsubscribe",
    packetId,
    topicFilters: [],
  };
  readFilterListStart(c, packet, Context.Unsubscribe);
  while (c.pos < c.end) packet.topicFilters.push(readTopicFilter(c));
  return packet;
}

/** Encodes an UNSUBSCRIBE. */
function encodeUnsubscribe(
  packet: UnsubscribePacket,
  protocol: Protocol,
  into?: Uint8Array,
): Uint8Array {
  const where = protocol.where.unsubscribe;
  const present = checkFields(packet, FIELDS, protocol, where);
  const size = measureProperties(packet, FIELDS, present, where);
  const packetId = checkPacketId(
    present & FIELDS.bits.packetId ? packet.packetId : undefined,
    "unsubscribe",
    protocol,
  );
  const filters = checkFilterList(
    present & FIELDS.bits.topicFilters ? packet.topicFilters : undefined,
    "unsubscribe",
    "topicFilters",
    protocol,
  ) as string[];
  // an index loop, not map(): a hole in the array must be refused, not skipped
  const lengths = new Array<number>(filters.length);
  let remainingLength = 2;
  for (let i = 0; i < filters.length; i++) {
    lengths[i] = topicFilterLength(
      filters[i],
      where,
      `topicFilters[${i}]`,
      protocol,
    );
    remainingLength += 2 + lengths[i];
  }
  remainingLength += propertiesSize(size, protocol);
  const w = startPacket(UNSUBSCRIBE.firstByte, remainingLength, where, into);
  w.u16(packetId);
  if (protocol.properties) {
    writeFoundProperties(w, packet, FIELDS, present, size);
  }
  for (let i = 0; i < filters.length; i++) w.utf8(filters[i], lengths[i]);
  return w.bytes;
}

/** UNSUBSCRIBE: control packet type 10, flags 0010 [MQTT-3.10.1-1]. */
export const UNSUBSCRIBE: PacketCodec<UnsubscribePacket> = packetCodec(
  "unsubscribe",
  10,
  2,
  decodeUnsubscribe,
  encodeUnsubscribe,
);
