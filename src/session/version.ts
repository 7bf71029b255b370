/**
 * What differs between the protocol versions, for the session layer: one
 * table, so that no rule elsewhere asks for a version number. Each
 * difference has a name; the code asks for the capability it needs.
 *
 * MQTT 3.1 (level 3) behaves as 3.1.1 (level 4) except that its CONNACK has
 * no Session Present flag (MQTT 3.1 section 3.2: the byte is reserved).
 *
 * @module
 */

import type { ProtocolVersion, QoS } from "../packet.ts";
import { DEFAULT_RECEIVE_MAXIMUM } from "../defaults.ts";

/** The capabilities of one protocol version that the sessions depend on. */
export interface VersionRules {
  /** The protocol level. */
  readonly version: ProtocolVersion;
  /**
   * Properties: message properties forwarded, Reason Strings and User
   * Properties on acknowledgements, Subscription Identifiers (MQTT 5.0).
   */
  readonly properties: boolean;
  /**
   * Reason codes on PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK, and
   * refusals other than 0x80 in a SUBACK (MQTT 5.0). Without them a
   * refused PUBLISH is acknowledged positively (3.1.1 [MQTT-3.3.5-2]) and
   * a refused subscription is 0x80.
   */
  readonly reasonCodes: boolean;
  /** Whether the CONNACK refuses with MQTT 5.0 reason codes (else the 3.1.1 return codes 1 to 5). */
  readonly connectReasonCodes: boolean;
  /** Whether a server may send DISCONNECT (MQTT 5.0); else it just closes. */
  readonly serverDisconnect: boolean;
  /** Flow control by Receive Maximum (MQTT 5.0 section 4.9). */
  readonly receiveMaximum: boolean;
  /** Topic Aliases (MQTT 5.0 section 3.3.2.3.4). */
  readonly topicAliases: boolean;
  /** Session Expiry Interval; without it Clean Session decides: the connection's life, or for ever. */
  readonly sessionExpiry: boolean;
  /** Will Delay Interval; without it the Will goes when the connection ends. */
  readonly willDelay: boolean;
  /** Whether every DISCONNECT deletes the Will (3.1.1), not only one with 0x00 (5.0). */
  readonly everyDisconnectDeletesWill: boolean;
  /** No Local, Retain As Published and Retain Handling (MQTT 5.0). */
  readonly subscriptionOptions: boolean;
  /** Shared subscriptions `$share/...` (MQTT 5.0 section 4.8.2); before, a plain filter. */
  readonly sharedSubscriptions: boolean;
  /** Message Expiry Interval (MQTT 5.0 section 3.3.2.3.3). */
  readonly messageExpiry: boolean;
  /** Whether an empty Client Identifier may come with Clean Session 0 (MQTT 5.0; 3.1.1 [MQTT-3.1.3-8] refuses it). */
  readonly emptyClientIdResumes: boolean;
  /** Whether the CONNACK says Session Present (3.1.1 and 5.0; not 3.1). */
  readonly sessionPresentFlag: boolean;
  /**
   * Whether a SUBACK can refuse a subscription (0x80 and above: 3.1.1 and
   * 5.0); MQTT 3.1's carries granted QoS only (MQTT 3.1 section 3.9).
   */
  readonly subackRefusal: boolean;
  /**
   * Whether the server can give the client another Keep Alive (Server Keep
   * Alive, MQTT 5.0); before, a client asking for more than the server
   * allows can only be refused.
   */
  readonly serverKeepAlive: boolean;
  /**
   * A client's default limit of QoS 1 and 2 messages in flight: the
   * server's Receive Maximum decides in MQTT 5.0 (65,535); before, nothing
   * tells it, and 20 is mosquitto's default `max_inflight_messages`, which
   * mosquitto holds a 3.1.1 client's QoS 2 messages to.
   */
  readonly defaultInFlight: number;
}

const MQTT5: VersionRules = {
  version: 5,
  properties: true,
  reasonCodes: true,
  connectReasonCodes: true,
  serverDisconnect: true,
  receiveMaximum: true,
  topicAliases: true,
  sessionExpiry: true,
  willDelay: true,
  everyDisconnectDeletesWill: false,
  subscriptionOptions: true,
  sharedSubscriptions: true,
  messageExpiry: true,
  emptyClientIdResumes: true,
  sessionPresentFlag: true,
  subackRefusal: true,
  serverKeepAlive: true,
  defaultInFlight: DEFAULT_RECEIVE_MAXIMUM, // the server's Receive Maximum decides
};

const MQTT311: VersionRules = {
  version: 4,
  properties: false,
  reasonCodes: false,
  connectReasonCodes: false,
  serverDisconnect: false,
  receiveMaximum: false,
  topicAliases: false,
  sessionExpiry: false,
  willDelay: false,
  everyDisconnectDeletesWill: true,
  subscriptionOptions: false,
  sharedSubscriptions: false,
  messageExpiry: false,
  emptyClientIdResumes: false,
  sessionPresentFlag: true,
  subackRefusal: true,
  serverKeepAlive: false,
  defaultInFlight: 20,
};

const RULES: Readonly<Record<number, VersionRules>> = {
  3: {
    ...MQTT311,
    version: 3,
    sessionPresentFlag: false,
    subackRefusal: false,
  },
  4: MQTT311,
  5: MQTT5,
};

/** The rules of a protocol version (3, 4 or 5). */
export function versionRules(version: ProtocolVersion): VersionRules {
  return RULES[version];
}

/** Whether `value` is a protocol level the sessions know (3, 4 or 5). */
export function isKnownVersion(value: unknown): value is ProtocolVersion {
  return typeof value === "number" && RULES[value] !== undefined;
}

/** A conformance reference: the 5.0 one in MQTT 5.0, else the 3.1.1 one (the numbering differs). */
export function rule(
  rules: VersionRules,
  mqtt5: string,
  mqtt311: string,
): string {
  return rules.version === 5 ? mqtt5 : mqtt311;
}

/**
 * The Connect Return Code of MQTT 3.1.1 (section 3.2.2.3) nearest to an
 * MQTT 5.0 Connect Reason Code of refusal, or `undefined` when none fits
 * (the connection is then closed without a CONNACK, 3.1.1
 * [MQTT-3.2.2-6]). Codes 1 to 5 are taken as they are.
 */
export function connectReturnCode(code: number): number | undefined {
  return code >= 1 && code <= 5 ? code : RETURN_CODES_311[code];
}

const RETURN_CODES_311: Readonly<Record<number, number>> = {
  0x84: 1, // Unsupported Protocol Version: unacceptable protocol version
  0x85: 2, // Client Identifier not valid: identifier rejected
  0x88: 3, // Server unavailable
  0x89: 3, // Server busy: server unavailable
  0x86: 4, // Bad User Name or Password
  0x87: 5, // Not authorized
  0x8a: 5, // Banned: not authorized
  0x8c: 5, // Bad authentication method: not authorized
};

/**
 * What a SUBACK carries for `code` (an MQTT 5.0 one: a granted QoS, or a
 * refusal of 0x80 and above) in this version. MQTT 3.1.1 has one code of
 * refusal, 0x80 Failure (3.1.1 section 3.9.3), for all of 5.0's (0x87 Not
 * authorized, 0x97 Quota exceeded, ...). MQTT 3.1 has none (its SUBACK
 * holds granted QoS only): a refused subscription is answered with
 * `asked`, the QoS the client asked for (capped by the server's), and not
 * made, as mosquitto does.
 */
export function subackReturnCode(
  rules: VersionRules,
  code: number,
  asked: QoS,
): number {
  if (code < 0x80 || rules.reasonCodes) return code;
  return rules.subackRefusal ? 0x80 : asked;
}
