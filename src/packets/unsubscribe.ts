/**
 * UNSUBSCRIBE (section 3.10): topic filters to remove.
 *
 * @module
 */

import type { UnsubscribePacket } from "../packet.ts";
import type { Cursor } from "../primitives/cursor.ts";
import {
  encodeError,
  label,
  startPacket,
  vbiLength,
} from "../primitives/writer.ts";
import {
  assertNoProperties,
  Context,
  propertiesLength,
  writeProperties,
} from "../properties.ts";
import { checkPacketId, readPacketId } from "./fields.ts";
import {
  atLeastOneRule,
  readFilterListStart,
  readTopicFilter,
  topicFilterLength,
} from "./subscribe.ts";

const PROTOCOL_ERROR = 0x82;
const WHERE = {
  4: label("UNSUBSCRIBE", 4),
  5: label("UNSUBSCRIBE", 5),
} as const;

/** Decodes the variable header and payload of an UNSUBSCRIBE. */
export function decodeUnsubscribe(c: Cursor): UnsubscribePacket {
  const packetId = readPacketId(c);
  const packet: UnsubscribePacket = {
    type: "unsubscribe",
    packetId,
    topicFilters: [],
  };
  readFilterListStart(c, packet, Context.Unsubscribe, "UNSUBSCRIBE");
  while (c.pos < c.end) packet.topicFilters.push(readTopicFilter(c));
  return packet;
}

/** Encodes an UNSUBSCRIBE. */
export function encodeUnsubscribe(
  packet: UnsubscribePacket,
  version: 4 | 5,
  into?: Uint8Array,
): Uint8Array {
  const where = WHERE[version];
  const packetId = checkPacketId(packet.packetId, where, version);
  const filters = packet.topicFilters;
  if (!Array.isArray(filters) || filters.length === 0) {
    throw encodeError(
      where,
      "topicFilters",
      `must hold at least one topic filter ${
        atLeastOneRule("UNSUBSCRIBE", version)
      }`,
      PROTOCOL_ERROR,
    );
  }
  // an index loop, not map(): a hole in the array must be refused, not skipped
  const lengths = new Array<number>(filters.length);
  let remainingLength = 2;
  for (let i = 0; i < filters.length; i++) {
    lengths[i] = topicFilterLength(
      filters[i],
      where,
      `topicFilters[${i}]`,
      version,
    );
    remainingLength += 2 + lengths[i];
  }
  let propertiesSize = 0;
  if (version === 5) {
    propertiesSize = propertiesLength(packet, Context.Unsubscribe, where);
    remainingLength += vbiLength(propertiesSize) + propertiesSize;
  } else {
    assertNoProperties(packet, where);
  }
  // UNSUBSCRIBE's fixed header flags are 0010 [MQTT-3.10.1-1]
  const w = startPacket(0xa2, remainingLength, where, into);
  w.u16(packetId);
  if (version === 5) {
    writeProperties(w, packet, propertiesSize);
  }
  for (let i = 0; i < filters.length; i++) w.utf8(filters[i], lengths[i]);
  return w.bytes;
}
