/**
 * What differs between the protocol versions, for the session layer: one
 * lookup, so that no rule elsewhere asks `version === 5`.
 *
 * MQTT 3.1 (level 3) behaves as 3.1.1 (level 4) except that its CONNACK has
 * no Session Present flag (MQTT 3.1 section 3.2: the byte is reserved).
 *
 * @module
 */

import type { ProtocolVersion } from "../packet.ts";

/** The capabilities of one protocol version that the sessions depend on. */
export interface VersionRules {
  /** The protocol level. */
  readonly version: ProtocolVersion;
  /**
   * MQTT 5.0: properties, reason codes on every acknowledgement, DISCONNECT
   * from the server, AUTH, topic aliases, flow control by Receive Maximum,
   * subscription options beyond QoS, Session Expiry Interval.
   */
  readonly mqtt5: boolean;
  /** Whether CONNACK carries Session Present (3.1.1 and 5.0; not 3.1). */
  readonly sessionPresentFlag: boolean;
}

const RULES: Readonly<Record<number, VersionRules>> = {
  3: {
    version: 3 as number as ProtocolVersion,
    mqtt5: false,
    sessionPresentFlag: false,
  },
  4: { version: 4, mqtt5: false, sessionPresentFlag: true },
  5: { version: 5, mqtt5: true, sessionPresentFlag: true },
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
  return rules.mqtt5 ? mqtt5 : mqtt311;
}
