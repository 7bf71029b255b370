/**
 * MQTT 5.0 reason codes (specification section 2.4), their names, and which
 * control packet may carry which code.
 *
 * @module
 */

import type { PacketType, ProtocolVersion } from "./packet.ts";
import { protocolOf } from "./protocol.ts";

/**
 * Every reason code of the MQTT 5.0 specification by name, in PascalCase.
 * A value with several names (0x00 Success / Normal disconnection / Granted
 * QoS 0) has each of them.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ReasonCode } from "@mqtt/codec";
 *
 * assertEquals(ReasonCode.MalformedPacket, 0x81);
 * assertEquals(ReasonCode.NormalDisconnection, ReasonCode.Success);
 * ```
 */
export const ReasonCode = {
  Success: 0x00,
  NormalDisconnection: 0x00,
  GrantedQoS0: 0x00,
  GrantedQoS1: 0x01,
  GrantedQoS2: 0x02,
  DisconnectWithWillMessage: 0x04,
  NoMatchingSubscribers: 0x10,
  NoSubscriptionExisted: 0x11,
  ContinueAuthentication: 0x18,
  ReAuthenticate: 0x19,
  UnspecifiedError: 0x80,
  MalformedPacket: 0x81,
  ProtocolError: 0x82,
  ImplementationSpecificError: 0x83,
  UnsupportedProtocolVersion: 0x84,
  ClientIdentifierNotValid: 0x85,
  BadUserNameOrPassword: 0x86,
  NotAuthorized: 0x87,
  ServerUnavailable: 0x88,
  ServerBusy: 0x89,
  Banned: 0x8a,
  ServerShuttingDown: 0x8b,
  BadAuthenticationMethod: 0x8c,
  KeepAliveTimeout: 0x8d,
  SessionTakenOver: 0x8e,
  TopicFilterInvalid: 0x8f,
  TopicNameInvalid: 0x90,
  PacketIdentifierInUse: 0x91,
  PacketIdentifierNotFound: 0x92,
  ReceiveMaximumExceeded: 0x93,
  TopicAliasInvalid: 0x94,
  PacketTooLarge: 0x95,
  MessageRateTooHigh: 0x96,
  QuotaExceeded: 0x97,
  AdministrativeAction: 0x98,
  PayloadFormatInvalid: 0x99,
  RetainNotSupported: 0x9a,
  QoSNotSupported: 0x9b,
  UseAnotherServer: 0x9c,
  ServerMoved: 0x9d,
  SharedSubscriptionsNotSupported: 0x9e,
  ConnectionRateExceeded: 0x9f,
  MaximumConnectTime: 0xa0,
  SubscriptionIdentifiersNotSupported: 0xa1,
  WildcardSubscriptionsNotSupported: 0xa2,
} as const;
// Frozen so that no user can redefine a code for everyone (the type is
// already read-only).
Object.freeze(ReasonCode);

/**
 * The name of any reason code constant in {@linkcode ReasonCode}.
 *
 * @example Usage
 * ```ts
 * import type { ReasonCodeName } from "@mqtt/codec";
 * const name: ReasonCodeName = "PacketTooLarge";
 * ```
 */
export type ReasonCodeName = keyof typeof ReasonCode;

/**
 * Whether a packet of the given type may carry the given reason code (or, in
 * MQTT 3.1.1, return code).
 *
 * @param type The packet type.
 * @param code The reason code.
 * @param protocolVersion 5 (default) or 4.
 * @returns `true` when the specification lists the code for that packet.
 *
 * @example Usage
 * ```ts
 * import { assert, assertFalse } from "@std/assert";
 * import { isValidReasonCode } from "@mqtt/codec";
 *
 * assert(isValidReasonCode("puback", 0x10));
 * assertFalse(isValidReasonCode("pubrel", 0x10));
 * assertFalse(isValidReasonCode("connack", 0x80, 4));
 * ```
 */
export function isValidReasonCode(
  type: PacketType,
  code: number,
  protocolVersion: ProtocolVersion = 5,
): boolean {
  const table = protocolOf(protocolVersion)?.validCodes[type];
  return table !== undefined && Number.isInteger(code) && table[code] === 1;
}

const names = new Map<number, string>();
for (const [name, code] of Object.entries(ReasonCode)) {
  if (!names.has(code)) names.set(code, name);
}

/**
 * The first name of a reason code in {@linkcode ReasonCode}, or a hex
 * string for a code the specification does not define.
 *
 * @param code The reason code.
 * @returns Its name, such as `"MalformedPacket"`, or `"0x03"`.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { reasonCodeName } from "@mqtt/codec";
 *
 * assertEquals(reasonCodeName(0x95), "PacketTooLarge");
 * ```
 */
export function reasonCodeName(code: number): string {
  const name = names.get(code);
  if (name !== undefined) return name;
  if (typeof code !== "number") return `(${typeof code})`;
  return Number.isInteger(code) && code >= 0
    ? `0x${code.toString(16).padStart(2, "0").toUpperCase()}`
    : String(code);
}
