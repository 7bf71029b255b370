/**
 * Rules every control packet a session sends must follow, whatever it is.
 *
 * @module
 */

import type { Packet } from "../packet.ts";
import { fitsWithin } from "./packet_size.ts";
import type { VersionRules } from "./version.ts";

/** What the peer accepts. */
export interface PeerLimits {
  /** The protocol version of the connection. */
  readonly rules: VersionRules;
  /** The peer's Maximum Packet Size. */
  readonly maximumPacketSize: number;
  /**
   * Whether Reason Strings and User Properties may go on packets other than
   * PUBLISH, CONNACK and DISCONNECT (a client's Request Problem Information,
   * [MQTT-3.1.2-29]).
   */
  readonly problemInformation: boolean;
}

/**
 * The packet as it may be sent: without its Reason String, then without its
 * User Properties, when they would take it above the peer's Maximum Packet
 * Size (the rule of every packet that has them: [MQTT-3.4.2-2],
 * [MQTT-3.4.2-3] and their siblings in sections 3.2 to 3.15) or when the
 * client asked for no problem information [MQTT-3.1.2-29]. Returns
 * `undefined` when even the bare packet does not fit.
 */
export function fitControlPacket(
  packet: Packet,
  limits: PeerLimits,
): Packet | undefined {
  const stripped = packet as {
    reasonString?: string;
    userProperties?: unknown;
  };
  if (
    stripped.reasonString === undefined && stripped.userProperties === undefined
  ) {
    return fitsWithin(packet, limits.maximumPacketSize, limits.rules.version)
      ? packet
      : undefined;
  }
  const mayCarry = limits.problemInformation || packet.type === "publish" ||
    packet.type === "connack" || packet.type === "disconnect";
  let candidate = packet;
  if (mayCarry) {
    if (fitsWithin(candidate, limits.maximumPacketSize, limits.rules.version)) {
      return candidate;
    }
  }
  const { reasonString: _reason, ...withoutReason } = stripped;
  candidate = withoutReason as Packet;
  if (
    mayCarry &&
    fitsWithin(candidate, limits.maximumPacketSize, limits.rules.version)
  ) {
    return candidate;
  }
  const { userProperties: _properties, ...bare } = withoutReason;
  candidate = bare as Packet;
  return fitsWithin(candidate, limits.maximumPacketSize, limits.rules.version)
    ? candidate
    : undefined;
}
