/**
 * SUBACK (section 3.9): one reason code per subscription. Its layout is
 * shared with UNSUBACK (see `layouts.ts`).
 *
 * @module
 */

import type { SubackPacket } from "../packet.ts";
import { Context } from "../properties.ts";
import { decodeAckList, encodeAckList } from "./layouts.ts";
import { type PacketCodec, packetCodec } from "./packet_codec.ts";

/** SUBACK: control packet type 9, flags 0000 (section 3.9.1). */
export const SUBACK: PacketCodec<SubackPacket> = packetCodec<SubackPacket>(
  "suback",
  9,
  0,
  (c) => decodeAckList(c, "suback", Context.Suback),
  (packet, protocol, into) =>
    encodeAckList(packet, protocol, SUBACK.firstByte, into),
);
