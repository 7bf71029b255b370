/**
 * UNSUBACK (section 3.11): one reason code per topic filter in MQTT 5.0;
 * no payload before. Its layout is SUBACK's (see `layouts.ts`).
 *
 * @module
 */

import type { UnsubackPacket } from "../packet.ts";
import { Context } from "../properties.ts";
import { decodeAckList, encodeAckList } from "./layouts.ts";
import { type PacketCodec, packetCodec } from "./packet_codec.ts";

/** UNSUBACK: control packet type 11, flags 0000 (section 3.11.1). */
export const UNSUBACK: PacketCodec<UnsubackPacket> = packetCodec<
  UnsubackPacket
>(
  "unsuback",
  11,
  0,
  (c) => decodeAckList(c, "unsuback", Context.Unsuback),
  (packet, protocol, into) =>
    encodeAckList(
      packet,
      protocol,
      UNSUBACK.firstByte,
      into,
    ),
);
