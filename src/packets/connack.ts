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

const MALFORMED = 0x81;
const PROTOCOL_ERROR = 0x82;
const WHERE = { 4: label("CONNACK", 4), 5: label("CONNACK", 5) } as const;

function sessionPresentRule(version: 4 | 5): string {
  return version === 5 ? "[MQTT-3.2.2-6]" : "[MQTT-3.2.2-4]";
}

/** Decodes the variable header of a CONNACK. */
export function decodeConnack(c: Cursor): ConnackPacket {
  const flagsAt = c.pos;
  const flags = c.u8("Connect Acknowledge Flags");
  if (flags & 0xfe) {
    c.fail(
      "Connect Acknowledge Flags",
      `has reserved bits 7-1 set ${
        c.version === 5 ? "[MQTT-3.2.2-1]" : "(section 3.2.2.1)"
      }`,
      MALFORMED,
      flagsAt,
    );
  }
  const sessionPresent = flags === 1;
  const codeAt = c.pos;
  const reasonCode = readReasonCode(
    c,
    "connack",
    c.version === 5 ? "Connect Reason Code" : "Connect Return Code",
  );
  if (sessionPresent && reasonCode !== 0) {
    c.fail(
      "Session Present",
      `must be 0 with a non-zero reason code ${sessionPresentRule(c.version)}`,
      PROTOCOL_ERROR,
      codeAt,
    );
  }
  const packet: ConnackPacket = { type: "connack", sessionPresent, reasonCode };
  if (c.version === 5) {
    decodeProperties(
      c,
      Context.Connack,
      packet as unknown as Record<string, unknown>,
    );
  }
  return packet;
}

/** Encodes a CONNACK. */
export function encodeConnack(
  packet: ConnackPacket,
  version: 4 | 5,
  into?: Uint8Array,
): Uint8Array {
  const where = WHERE[version];
  const sessionPresent = packet.sessionPresent === undefined
    ? false
    : checkBoolean(packet.sessionPresent, where, "sessionPresent");
  const reasonCode = checkReasonCode(
    packet.reasonCode,
    "connack",
    version,
    where,
  );
  if (sessionPresent && reasonCode !== 0) {
    throw encodeError(
      where,
      "sessionPresent",
      `must be false with a non-zero reason code ${
        sessionPresentRule(version)
      }`,
      PROTOCOL_ERROR,
    );
  }
  let propertiesSize = 0;
  let remainingLength = 2;
  if (version === 5) {
    propertiesSize = propertiesLength(packet, Context.Connack, where);
    remainingLength += vbiLength(propertiesSize) + propertiesSize;
  } else {
    assertNoProperties(packet, where);
  }
  const w = startPacket(0x20, remainingLength, where, into);
  w.u8(sessionPresent ? 1 : 0);
  w.u8(reasonCode);
  if (version === 5) {
    writeProperties(w, packet, propertiesSize);
  }
  return w.bytes;
}
