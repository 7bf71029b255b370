/**
 * AUTH (section 3.15, MQTT 5.0 only): a step of extended authentication.
 * Its layout is DISCONNECT's (see `layouts.ts`).
 *
 * @module
 */

import type { AuthPacket } from "../packet.ts";
import type { Cursor } from "../primitives/cursor.ts";
import { encodeError } from "../primitives/writer.ts";
import { Context } from "../properties.ts";
import type { Protocol } from "../protocol.ts";
import { decodeReasonPacket, encodeReasonPacket } from "./layouts.ts";
import { type PacketCodec, packetCodec } from "./packet_codec.ts";
import { isOwn } from "./shape.ts";
import { ReasonCode } from "../reason_code.ts";

const METHOD_RULE = "(section 3.15.2.2.2)";

/** Decodes an AUTH; the codec has refused it already where the version has none. */
function decodeAuth(c: Cursor): AuthPacket {
  const start = c.pos;
  const packet = decodeReasonPacket(c, "auth", Context.Auth);
  // an AUTH that is not the short form names its method
  if (c.end > start && !Object.hasOwn(packet, "authenticationMethod")) {
    c.fail(
      "Authentication Method",
      `is missing ${METHOD_RULE}`,
      ReasonCode.ProtocolError,
      start,
    );
  }
  return packet;
}

/** Encodes an AUTH. */
function encodeAuth(
  packet: AuthPacket,
  protocol: Protocol,
  into?: Uint8Array,
): Uint8Array {
  const where = protocol.where.auth;
  if (!protocol.auth) {
    throw encodeError(
      where,
      "type",
      `AUTH does not exist in ${protocol.label}, where type 15 is reserved ${protocol.rules.reservedType}`,
      ReasonCode.ProtocolError,
    );
  }
  // Checked first, on a throwaway encoding: a failed encode leaves `into` untouched.
  if (
    !(isOwn(packet, "authenticationMethod") &&
      packet.authenticationMethod !== undefined) &&
    encodeReasonPacket(
        packet,
        protocol,
        AUTH.firstByte,
        undefined,
      )
        .length > 2
  ) {
    throw encodeError(
      where,
      "authenticationMethod",
      `must be present unless the AUTH is empty ${METHOD_RULE}`,
      ReasonCode.ProtocolError,
    );
  }
  return encodeReasonPacket(
    packet,
    protocol,
    AUTH.firstByte,
    into,
  );
}

/** AUTH: control packet type 15, flags 0000 (section 3.15.1). */
export const AUTH: PacketCodec<AuthPacket> = packetCodec(
  "auth",
  15,
  0,
  decodeAuth,
  encodeAuth,
);
