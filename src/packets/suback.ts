/**
 * SUBACK (section 3.9): one reason code per subscription. UNSUBACK shares
 * its layout, so the list codec here serves both.
 *
 * @module
 */

import type { SubackPacket, UnsubackPacket } from "../packet.ts";
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
import {
  checkPacketId,
  checkReasonCode,
  readPacketId,
  readReasonCode,
} from "./fields.ts";

const PROTOCOL_ERROR = 0x82;

/** SUBACK or UNSUBACK. */
export type AckListPacket = SubackPacket | UnsubackPacket;

const WHERE = {
  suback: { 4: label("SUBACK", 4), 5: label("SUBACK", 5) },
  unsuback: { 4: label("UNSUBACK", 4), 5: label("UNSUBACK", 5) },
} as const;

/** Decodes a Packet Identifier, properties (5.0) and a list of reason codes. */
export function decodeAckList<T extends AckListPacket["type"]>(
  c: Cursor,
  type: T,
): Extract<AckListPacket, { type: T }> {
  const packetId = readPacketId(c);
  const packet = { type, packetId, reasonCodes: [] as number[] };
  if (c.version === 5) {
    decodeProperties(
      c,
      type === "suback" ? Context.Suback : Context.Unsuback,
      packet as unknown as Record<string, unknown>,
    );
  } else if (type === "unsuback") {
    // an MQTT 3.1.1 UNSUBACK has no payload (section 3.11.3)
    return packet as Extract<AckListPacket, { type: T }>;
  }
  if (c.pos === c.end) {
    c.fail(
      "Payload",
      "must hold at least one reason code, one per topic filter (sections 3.9.3, 3.11.3)",
      PROTOCOL_ERROR,
    );
  }
  while (c.pos < c.end) packet.reasonCodes.push(readReasonCode(c, type));
  return packet as Extract<AckListPacket, { type: T }>;
}

/** Encodes a SUBACK or an UNSUBACK. */
export function encodeAckList(
  packet: AckListPacket,
  version: 4 | 5,
  into?: Uint8Array,
): Uint8Array {
  const type = packet.type;
  const where = WHERE[type][version];
  const packetId = checkPacketId(packet.packetId, where, version);
  const codes = packet.reasonCodes;
  if (!Array.isArray(codes)) {
    throw encodeError(where, "reasonCodes", "must be an array");
  }
  const context = type === "suback" ? Context.Suback : Context.Unsuback;
  // a 3.1.1 UNSUBACK has no codes, so codes are checked against 5.0's table
  const codeVersion = type === "unsuback" ? 5 : version;
  for (let i = 0; i < codes.length; i++) {
    checkReasonCode(codes[i], type, codeVersion, where, `reasonCodes[${i}]`);
  }
  if (version === 4) {
    assertNoProperties(packet, where);
    if (type === "unsuback") {
      if (codes.some((code) => code !== 0)) {
        throw encodeError(
          where,
          "reasonCodes",
          "other than Success cannot be carried by MQTT 3.1.1",
          PROTOCOL_ERROR,
        );
      }
      const w = startPacket(0xb0, 2, where, into);
      w.u16(packetId);
      return w.bytes;
    }
  }
  if (codes.length === 0) {
    throw encodeError(
      where,
      "reasonCodes",
      "must hold one reason code per topic filter, at least one (sections 3.9.3, 3.11.3)",
      PROTOCOL_ERROR,
    );
  }
  let propertiesSize = 0;
  let remainingLength = 2 + codes.length;
  if (version === 5) {
    propertiesSize = propertiesLength(packet, context, where);
    remainingLength += vbiLength(propertiesSize) + propertiesSize;
  }
  const w = startPacket(
    type === "suback" ? 0x90 : 0xb0,
    remainingLength,
    where,
    into,
  );
  w.u16(packetId);
  if (version === 5) writeProperties(w, packet, propertiesSize);
  for (const code of codes) w.u8(code);
  return w.bytes;
}

/** Decodes the variable header and payload of a SUBACK. */
export function decodeSuback(c: Cursor): SubackPacket {
  return decodeAckList(c, "suback");
}

/** Encodes a SUBACK. */
export function encodeSuback(
  packet: SubackPacket,
  version: 4 | 5,
  into?: Uint8Array,
): Uint8Array {
  return encodeAckList(packet, version, into);
}
