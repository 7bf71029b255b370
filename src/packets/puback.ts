/**
 * PUBACK, PUBREC, PUBREL and PUBCOMP (sections 3.4 to 3.7): the four
 * acknowledgements of the QoS 1 and QoS 2 flows, which share one layout
 * (see `layouts.ts`).
 *
 * @module
 */

import type {
  PubackPacket,
  PubcompPacket,
  PublishAcknowledgement,
  PubrecPacket,
  PubrelPacket,
} from "../packet.ts";
import { Context } from "../properties.ts";
import { type AckType, decodeAck, encodeAck } from "./layouts.ts";
import { type PacketCodec, packetCodec } from "./packet_codec.ts";

function ackCodec<T extends AckType>(
  type: T,
  code: number,
  flags: number,
): PacketCodec<PublishAcknowledgement<T>> {
  const firstByte = (code << 4) | flags;
  return packetCodec<PublishAcknowledgement<T>>(
    type,
    code,
    flags,
    (c) => decodeAck(c, type, Context.PublishAck),
    (packet, protocol, into) => encodeAck(packet, protocol, firstByte, into),
  );
}

/** PUBACK: control packet type 4, flags 0000 (section 3.4.1). */
export const PUBACK: PacketCodec<PubackPacket> = ackCodec("puback", 4, 0);
/** PUBREC: control packet type 5, flags 0000 (section 3.5.1). */
export const PUBREC: PacketCodec<PubrecPacket> = ackCodec("pubrec", 5, 0);
/** PUBREL: control packet type 6, flags 0010 [MQTT-3.6.1-1]. */
export const PUBREL: PacketCodec<PubrelPacket> = ackCodec("pubrel", 6, 2);
/** PUBCOMP: control packet type 7, flags 0000 (section 3.7.1). */
export const PUBCOMP: PacketCodec<PubcompPacket> = ackCodec("pubcomp", 7, 0);
