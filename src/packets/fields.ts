/**
 * Fields that several packets share: the Packet Identifier and the Reason
 * Code.
 *
 * @module
 */

import type { PacketType } from "../packet.ts";
import type { Cursor } from "../primitives/cursor.ts";
import { checkInteger, describe, encodeError } from "../primitives/writer.ts";
import { isValidReasonCode, reasonCodeName } from "../reason_code.ts";

const MALFORMED = 0x81;
const PROTOCOL_ERROR = 0x82;

/** The rule that a Packet Identifier is non-zero, as each version numbers it. */
export function packetIdRule(version: 4 | 5): string {
  return version === 5 ? "[MQTT-2.2.1-3]" : "[MQTT-2.3.1-1]";
}

/** Reads a Packet Identifier: a non-zero Two Byte Integer. */
export function readPacketId(c: Cursor): number {
  const at = c.pos;
  const id = c.u16("Packet Identifier");
  if (id === 0) {
    c.fail(
      "Packet Identifier",
      `must not be 0 ${packetIdRule(c.version)}`,
      PROTOCOL_ERROR,
      at,
    );
  }
  return id;
}

/** Checks a Packet Identifier to encode: an integer from 1 to 65535. */
export function checkPacketId(
  value: unknown,
  where: string,
  version: 4 | 5,
): number {
  return checkInteger(
    value,
    1,
    0xffff,
    where,
    "packetId",
    packetIdRule(version),
    PROTOCOL_ERROR,
  );
}

/** Reads a reason code and checks that `type` may carry it. */
export function readReasonCode(
  c: Cursor,
  type: PacketType,
  field = "Reason Code",
): number {
  const at = c.pos;
  const code = c.u8(field);
  if (!isValidReasonCode(type, code, c.version)) {
    c.fail(
      field,
      `0x${code.toString(16).padStart(2, "0")} is not valid in this packet${
        c.version === 5 ? " (section 2.4)" : ""
      }`,
      MALFORMED,
      at,
    );
  }
  return code;
}

/** Checks a reason code to encode. */
export function checkReasonCode(
  value: unknown,
  type: PacketType,
  version: 4 | 5,
  where: string,
  field = "reasonCode",
): number {
  if (
    typeof value !== "number" || !isValidReasonCode(type, value, version)
  ) {
    throw encodeError(
      where,
      field,
      typeof value === "number"
        ? `${reasonCodeName(value)} (${value}) is not valid in this packet`
        : `must be a number, got ${describe(value)}`,
      MALFORMED,
    );
  }
  return value;
}
