/**
 * CONNACK (section 3.2): the server's answer to a CONNECT.
 *
 * @module
 */

import type { ConnackPacket } from "../packet.ts";
import type { Cursor } from "../primitives/cursor.ts";
import {
  checkBoolean,
  encodeError,
  startPacket,
} from "../primitives/writer.ts";
import { Context, decodeProperties, propertiesSize } from "../properties.ts";
import type { Protocol } from "../protocol.ts";
import { checkReasonCode, readReasonCode } from "./fields.ts";
import { type PacketCodec, packetCodec } from "./packet_codec.ts";
import {
  checkFields,
  measureProperties,
  shape,
  writeFoundProperties,
} from "./shape.ts";
import { ReasonCode } from "../reason_code.ts";

const FIELDS = shape(
  "a CONNACK packet",
  ["type", "sessionPresent", "reasonCode"],
  Context.Connack,
);

/** Decodes the variable header of a CONNACK. */
function decodeConnack(c: Cursor): ConnackPacket {
  const protocol = c.protocol;
  const flagsAt = c.pos;
  const flags = c.u8("Connect Acknowledge Flags");
  // Session Present is bit 0 where it exists; every other bit is reserved
  if (flags & (protocol.sessionPresent ? 0xfe : 0xff)) {
    c.fail(
      "Connect Acknowledge Flags",
      `has reserved bits set ${protocol.rules.connackReserved}`,
      ReasonCode.MalformedPacket,
      flagsAt,
    );
  }
  const sessionPresent = flags === 1;
  const codeAt = c.pos;
  const reasonCode = readReasonCode(
    c,
    "connack",
    protocol.properties ? "Connect Reason Code" : "Connect Return Code",
  );
  if (sessionPresent && reasonCode !== 0) {
    c.fail(
      "Session Present",
      `must be 0 with a non-zero reason code ${protocol.rules.sessionPresent}`,
      ReasonCode.ProtocolError,
      codeAt,
    );
  }
  const packet: ConnackPacket = { type: "connack", sessionPresent, reasonCode };
  if (protocol.properties) decodeProperties(c, Context.Connack, packet);
  return packet;
}

/** Encodes a CONNACK. */
function encodeConnack(
  packet: ConnackPacket,
  protocol: Protocol,
  into?: Uint8Array,
): Uint8Array {
  const where = protocol.where.connack;
  const present = checkFields(packet, FIELDS, protocol, where);
  const size = measureProperties(packet, FIELDS, present, where);
  const sessionPresent = present & FIELDS.bits.sessionPresent
    ? checkBoolean(packet.sessionPresent, where, "sessionPresent")
    : false;
  const reasonCode = checkReasonCode(
    present & FIELDS.bits.reasonCode ? packet.reasonCode : undefined,
    "connack",
    protocol,
    where,
  );
  if (sessionPresent && !protocol.sessionPresent) {
    throw encodeError(
      where,
      "sessionPresent",
      `must be false: ${protocol.label} has no Session Present ${protocol.rules.connackReserved}`,
      ReasonCode.ProtocolError,
    );
  }
  if (sessionPresent && reasonCode !== 0) {
    throw encodeError(
      where,
      "sessionPresent",
      `must be false with a non-zero reason code ${protocol.rules.sessionPresent}`,
      ReasonCode.ProtocolError,
    );
  }
  const remainingLength = 2 + propertiesSize(size, protocol);
  const w = startPacket(CONNACK.firstByte, remainingLength, where, into);
  w.u8(sessionPresent ? 1 : 0);
  w.u8(reasonCode);
  if (protocol.properties) {
    writeFoundProperties(w, packet, FIELDS, present, size);
  }
  return w.bytes;
}

/** CONNACK: control packet type 2, flags 0000 (section 3.2.1). */
export const CONNACK: PacketCodec<ConnackPacket> = packetCodec(
  "connack",
  2,
  0,
  decodeConnack,
  encodeConnack,
);
