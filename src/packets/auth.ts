/**
 * AUTH (section 3.15, MQTT 5.0 only): a step of extended authentication.
 *
 * @module
 */

import type { AuthPacket } from "../packet.ts";
import type { Cursor } from "../primitives/cursor.ts";
import { encodeError, label } from "../primitives/writer.ts";
import { Context } from "../properties.ts";
import { decodeReasonPacket, encodeReasonPacket } from "./disconnect.ts";

const PROTOCOL_ERROR = 0x82;
const WHERE = label("AUTH", 5);
const METHOD_RULE = "(section 3.15.2.2.2)";

/** Decodes an AUTH; the codec has rejected it already in MQTT 3.1.1. */
export function decodeAuth(c: Cursor): AuthPacket {
  const start = c.pos;
  const packet = decodeReasonPacket(c, "auth");
  // an AUTH that is not the short form names its method
  if (c.end > start && packet.authenticationMethod === undefined) {
    c.fail(
      "Authentication Method",
      `is missing ${METHOD_RULE}`,
      PROTOCOL_ERROR,
      start,
    );
  }
  return packet;
}

/** Encodes an AUTH. */
export function encodeAuth(
  packet: AuthPacket,
  version: 4 | 5,
  into?: Uint8Array,
): Uint8Array {
  if (version === 4) {
    throw encodeError(
      label("AUTH", 4),
      "type",
      "AUTH does not exist in MQTT 3.1.1, where type 15 is reserved (section 2.2.1)",
      PROTOCOL_ERROR,
    );
  }
  // Checked first, on a throwaway encoding: a failed encode leaves `into` untouched.
  if (
    packet.authenticationMethod === undefined &&
    encodeReasonPacket(packet, 0xf0, Context.Auth).length > 2
  ) {
    throw encodeError(
      WHERE,
      "authenticationMethod",
      `must be present unless the AUTH is empty ${METHOD_RULE}`,
      PROTOCOL_ERROR,
    );
  }
  return encodeReasonPacket(packet, 0xf0, Context.Auth, into);
}
