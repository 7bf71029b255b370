/**
 * PUBACK, PUBREC, PUBREL and PUBCOMP (sections 3.4 to 3.7): the four
 * acknowledgements of the QoS 1 and QoS 2 flows, which share one layout.
 *
 * @module
 */

import type { PublishAcknowledgement } from "../packet.ts";
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

/** The type of a PUBLISH acknowledgement. */
export type AckType = "puback" | "pubrec" | "pubrel" | "pubcomp";

const FIRST_BYTE: Record<AckType, number> = {
  puback: 0x40,
  pubrec: 0x50,
  // PUBREL's fixed header flags are 0010 [MQTT-3.6.1-1]
  pubrel: 0x62,
  pubcomp: 0x70,
};

const WHERE: Record<AckType, Record<4 | 5, string>> = {
  puback: { 4: label("PUBACK", 4), 5: label("PUBACK", 5) },
  pubrec: { 4: label("PUBREC", 4), 5: label("PUBREC", 5) },
  pubrel: { 4: label("PUBREL", 4), 5: label("PUBREL", 5) },
  pubcomp: { 4: label("PUBCOMP", 4), 5: label("PUBCOMP", 5) },
};

/** Decodes the variable header of a PUBLISH acknowledgement. */
export function decodeAck<T extends AckType>(
  c: Cursor,
  type: T,
): PublishAcknowledgement<T> {
  const packetId = readPacketId(c);
  if (c.version === 4) {
    return { type, packetId };
  }
  // A Remaining Length of 2 means Success with no properties (section 3.4.2.1)
  const packet: PublishAcknowledgement<T> = { type, packetId, reasonCode: 0 };
  if (c.pos < c.end) {
    packet.reasonCode = readReasonCode(c, type);
    // below a Remaining Length of 4 the Property Length is left out (section 3.4.2.2)
    if (c.pos < c.end) {
      decodeProperties(
        c,
        Context.PublishAck,
        packet as unknown as Record<string, unknown>,
      );
    }
  }
  return packet;
}

/** Encodes a PUBLISH acknowledgement, in the shortest form that carries its meaning. */
export function encodeAck(
  packet: PublishAcknowledgement<AckType>,
  version: 4 | 5,
  into?: Uint8Array,
): Uint8Array {
  const type = packet.type;
  const where = WHERE[type][version];
  const packetId = checkPacketId(packet.packetId, where, version);
  const reasonCode = packet.reasonCode === undefined
    ? 0
    : checkReasonCode(packet.reasonCode, type, 5, where);
  if (version === 4) {
    if (reasonCode !== 0) {
      throw encodeError(
        where,
        "reasonCode",
        "other than Success cannot be carried by MQTT 3.1.1",
        0x82,
      );
    }
    assertNoProperties(packet, where);
    const w = startPacket(FIRST_BYTE[type], 2, where, into);
    w.u16(packetId);
    return w.bytes;
  }
  const propertiesSize = propertiesLength(packet, Context.PublishAck, where);
  const remainingLength = propertiesSize > 0
    ? 3 + vbiLength(propertiesSize) + propertiesSize
    : reasonCode !== 0
    ? 3
    : 2;
  const w = startPacket(FIRST_BYTE[type], remainingLength, where, into);
  w.u16(packetId);
  if (remainingLength > 2) w.u8(reasonCode);
  if (propertiesSize > 0) {
    writeProperties(w, packet, propertiesSize);
  }
  return w.bytes;
}
