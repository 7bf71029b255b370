/**
 * DISCONNECT (section 3.14): the last packet on a connection, with a reason
 * in MQTT 5.0. Its layout is shared with AUTH (see `layouts.ts`).
 *
 * @module
 */

import type { DisconnectPacket } from "../packet.ts";
import { Context } from "../properties.ts";
import { decodeReasonPacket, encodeReasonPacket } from "./layouts.ts";
import { type PacketCodec, packetCodec } from "./packet_codec.ts";

/** DISCONNECT: control packet type 14, flags 0000 (section 3.14.1). */
export const DISCONNECT: PacketCodec<DisconnectPacket> = packetCodec<
  DisconnectPacket
>(
  "disconnect",
  14,
  0,
  (c) => decodeReasonPacket(c, "disconnect", Context.Disconnect),
  (packet, protocol, into) =>
    encodeReasonPacket(
      packet,
      protocol,
      DISCONNECT.firstByte,
      into,
    ),
);
