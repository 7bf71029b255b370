/**
 * Fields that several packets share: the Packet Identifier and the Reason
 * Code.
 *
 * @module
 */

import { MAXIMUM_PACKET_ID } from "../defaults.ts";
import type { PacketType } from "../packet.ts";
import type { Cursor } from "../primitives/cursor.ts";
import { checkInteger, describe, encodeError } from "../primitives/writer.ts";
import type { Protocol } from "../protocol.ts";
import { ReasonCode, reasonCodeName } from "../reason_code.ts";

/** Reads a Packet Identifier: a non-zero Two Byte Integer. */
export function readPacketId(c: Cursor, type: PacketType): number {
  const at = c.pos;
  const id = c.u16("Packet Identifier");
  if (id === 0) {
    c.fail(
      "Packet Identifier",
      `must not be 0 ${c.protocol.packetIdRules[type]}`,
      ReasonCode.ProtocolError,
      at,
    );
  }
  return id;
}

/** Checks a Packet Identifier to encode: an integer from 1 to 65535. */
export function checkPacketId(
  value: unknown,
  type: PacketType,
  protocol: Protocol,
): number {
  return checkInteger(
    value,
    1,
    MAXIMUM_PACKET_ID,
    protocol.where[type],
    "packetId",
    protocol.packetIdRules[type],
    ReasonCode.ProtocolError,
  );
}

/** Whether `protocol` lets a packet of `type` carry `code`. */
export function isValidCode(
  protocol: Protocol,
  type: PacketType,
  code: number,
): boolean {
  const table = protocol.validCodes[type];
  return table !== undefined && table[code] === 1;
}

function citation(protocol: Protocol, type: PacketType): string {
  const rule = protocol.rules.reasonCodes[type];
  return rule === undefined ? "" : ` ${rule}`;
}

/** Reads a reason code and checks that `type` may carry it. */
export function readReasonCode(
  c: Cursor,
  type: PacketType,
  field = "Reason Code",
): number {
  const at = c.pos;
  const code = c.u8(field);
  if (!isValidCode(c.protocol, type, code)) {
    c.fail(
      field,
      `0x${code.toString(16).padStart(2, "0")} is not valid in this packet${
        citation(c.protocol, type)
      }`,
      ReasonCode.MalformedPacket,
      at,
    );
  }
  return code;
}

/** Checks a reason code to encode against the codes `protocol` lists for `type`. */
export function checkReasonCode(
  value: unknown,
  type: PacketType,
  protocol: Protocol,
  where: string,
  field = "reasonCode",
): number {
  if (
    typeof value !== "number" || !Number.isInteger(value) ||
    !isValidCode(protocol, type, value)
  ) {
    throw encodeError(
      where,
      field,
      typeof value === "number"
        ? `${reasonCodeName(value)} (${value}) is not valid in this packet${
          citation(protocol, type)
        }`
        : `must be a number, got ${describe(value)}`,
      ReasonCode.MalformedPacket,
    );
  }
  return value;
}
