/**
 * UNSUBACK (section 3.11): one reason code per topic filter in MQTT 5.0;
 * no payload in MQTT 3.1.1. Its layout is SUBACK's.
 *
 * @module
 */

import type { UnsubackPacket } from "../packet.ts";
import type { Cursor } from "../primitives/cursor.ts";
import { decodeAckList, encodeAckList } from "./suback.ts";

/** Decodes the variable header and payload of an UNSUBACK. */
export function decodeUnsuback(c: Cursor): UnsubackPacket {
  return decodeAckList(c, "unsuback");
}

/** Encodes an UNSUBACK. */
export function encodeUnsuback(
  packet: UnsubackPacket,
  version: 4 | 5,
  into?: Uint8Array,
): Uint8Array {
  return encodeAckList(packet, version, into);
}
