/**
 * PINGREQ and PINGRESP (sections 3.12, 3.13): a fixed header alone; the
 * codec checks that their Remaining Length is 0.
 *
 * @module
 */

import type { PingreqPacket, PingrespPacket } from "../packet.ts";
import { startPacket } from "../primitives/writer.ts";
import { type PacketCodec, packetCodec } from "./packet_codec.ts";
import { checkFields, shape } from "./shape.ts";

const PINGREQ_FIELDS = shape("a PINGREQ packet", ["type"], 0);
const PINGRESP_FIELDS = shape("a PINGRESP packet", ["type"], 0);

/** PINGREQ: control packet type 12, flags 0000 (section 3.12.1). */
export const PINGREQ: PacketCodec<PingreqPacket> = packetCodec<PingreqPacket>(
  "pingreq",
  12,
  0,
  () => ({ type: "pingreq" }),
  (packet, protocol, into) => {
    checkFields(packet, PINGREQ_FIELDS, protocol, protocol.where.pingreq);
    return startPacket(PINGREQ.firstByte, 0, protocol.where.pingreq, into)
      .bytes;
  },
);

/** PINGRESP: control packet type 13, flags 0000 (section 3.13.1). */
export const PINGRESP: PacketCodec<PingrespPacket> = packetCodec<
  PingrespPacket
>(
  "pingresp",
  13,
  0,
  () => ({ type: "pingresp" }),
  (packet, protocol, into) => {
    checkFields(packet, PINGRESP_FIELDS, protocol, protocol.where.pingresp);
    return startPacket(PINGRESP.firstByte, 0, protocol.where.pingresp, into)
      .bytes;
  },
);
