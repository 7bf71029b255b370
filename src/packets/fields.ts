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

/**
 * The rule that a Packet Identifier is non-zero, as each version numbers it.
 * It is stated for the packets that assign one; an acknowledgement repeats
 * the identifier it answers, so it cannot be 0 either (section 2.2.1).
 */
export function packetIdRule(version: 4 | 5, packet = "PUBLISH"): string {
  if (
    packet === "PUBLISH" || packet === "SUBSCRIBE" || packet === "UNSUBSCRIBE"
  ) {
    return version === 5 ? "[MQTT-2.2.1-3]" : "[MQTT-2.3.1-1]";
  }
  return version === 5 ? "(section 2.2.1)" : "(section 2.3.1)";
}

/** The rule naming the reason codes a packet may carry, by version. */
const REASON_CODE_RULES: Record<4 | 5, Partial<Record<PacketType, string>>> = {
  5: {
    connack: "[MQTT-3.2.2-8]",
    puback: "[MQTT-3.4.2-1]",
    pubrec: "[MQTT-3.5.2-1]",
    pubrel: "[MQTT-3.6.2-1]",
    pubcomp: "[MQTT-3.7.2-1]",
    suback: "[MQTT-3.9.3-2]",
    unsuback: "[MQTT-3.11.3-2]",
    disconnect: "[MQTT-3.14.2-1]",
    auth: "[MQTT-3.15.2-1]",
  },
  4: { connack: "(section 3.2.2.3)", suback: "[MQTT-3.9.3-2]" },
};

/** Reads a Packet Identifier: a non-zero Two Byte Integer. */
export function readPacketId(c: Cursor): number {
  const at = c.pos;
  const id = c.u16("Packet Identifier");
  if (id === 0) {
    c.fail(
      "Packet Identifier",
      `must not be 0 ${packetIdRule(c.version, c.packet)}`,
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
        REASON_CODE_RULES[c.version][type] ?? ""
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
