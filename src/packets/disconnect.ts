/**
 * DISCONNECT (section 3.14): the last packet on a connection, with a reason
 * in MQTT 5.0. AUTH shares its layout (a reason code, then properties, both
 * left out when they say nothing), so the codec here serves both.
 *
 * @module
 */

import type { AuthPacket, DisconnectPacket } from "../packet.ts";
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
  decodeProperties,
  propertiesLength,
  writeProperties,
} from "../properties.ts";
import { checkReasonCode, readReasonCode } from "./fields.ts";

/** DISCONNECT or AUTH. */
export type ReasonPacket = DisconnectPacket | AuthPacket;

const WHERE = {
  disconnect: { 4: label("DISCONNECT", 4), 5: label("DISCONNECT", 5) },
  auth: { 4: label("AUTH", 4), 5: label("AUTH", 5) },
} as const;

/**
 * Decodes an MQTT 5.0 reason code and properties; a Remaining Length of 0
 * means 0x00 and no properties, of 1 a reason code and no properties
 * (sections 3.14.2.1, 3.15.2.1).
 */
export function decodeReasonPacket<T extends ReasonPacket["type"]>(
  c: Cursor,
  type: T,
): Extract<ReasonPacket, { type: T }> {
  const packet = { type, reasonCode: 0 };
  if (c.pos < c.end) {
    packet.reasonCode = readReasonCode(c, type);
    if (c.pos < c.end) {
      decodeProperties(
        c,
        type === "disconnect" ? Context.Disconnect : Context.Auth,
        packet as unknown as Record<string, unknown>,
      );
    }
  }
  return packet as Extract<ReasonPacket, { type: T }>;
}

/** Encodes an MQTT 5.0 DISCONNECT or AUTH in its shortest form. */
export function encodeReasonPacket(
  packet: ReasonPacket,
  firstByte: number,
  context: Context,
  into?: Uint8Array,
): Uint8Array {
  const type = packet.type;
  const where = WHERE[type][5];
  const reasonCode = packet.reasonCode === undefined
    ? 0
    : checkReasonCode(packet.reasonCode, type, 5, where);
  const propertiesSize = propertiesLength(packet, context, where);
  const remainingLength = propertiesSize > 0
    ? 1 + vbiLength(propertiesSize) + propertiesSize
    : reasonCode !== 0
    ? 1
    : 0;
  const w = startPacket(firstByte, remainingLength, where, into);
  if (remainingLength > 0) w.u8(reasonCode);
  if (propertiesSize > 0) writeProperties(w, packet, propertiesSize);
  return w.bytes;
}

/** Decodes a DISCONNECT: in MQTT 3.1.1 its Remaining Length is 0, checked by the codec. */
export function decodeDisconnect(c: Cursor): DisconnectPacket {
  if (c.version === 4) return { type: "disconnect" };
  return decodeReasonPacket(c, "disconnect");
}

/** Encodes a DISCONNECT. */
export function encodeDisconnect(
  packet: DisconnectPacket,
  version: 4 | 5,
  into?: Uint8Array,
): Uint8Array {
  if (version === 5) {
    return encodeReasonPacket(packet, 0xe0, Context.Disconnect, into);
  }
  const where = WHERE.disconnect[4];
  if (packet.reasonCode !== undefined && packet.reasonCode !== 0) {
    throw encodeError(
      where,
      "reasonCode",
      "other than Normal disconnection cannot be carried by MQTT 3.1.1",
      0x82,
    );
  }
  assertNoProperties(packet, where);
  return startPacket(0xe0, 0, where, into).bytes;
}
