/**
 * Rules every control packet a session sends must follow, whatever it is.
 *
 * @module
 */

import { MqttError } from "../error.ts";
import type { Packet } from "../packet.ts";
import type { Deque } from "./deque.ts";
import { fitsWithin } from "./packet_size.ts";
import type { VersionRules } from "./version.ts";
import { ReasonCode } from "../reason_code.ts";

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
 * The packets whose Reason String and User Properties the sender leaves out
 * rather than exceed the receiver's Maximum Packet Size: CONNACK
 * [MQTT-3.2.2-19] [MQTT-3.2.2-20], PUBACK [MQTT-3.4.2-2] [MQTT-3.4.2-3] and
 * its siblings (sections 3.5 to 3.7), SUBACK [MQTT-3.9.2-1]
 * [MQTT-3.9.2-2], UNSUBACK [MQTT-3.11.2-1] [MQTT-3.11.2-2], DISCONNECT
 * [MQTT-3.14.2-3] [MQTT-3.14.2-4] and AUTH [MQTT-3.15.2-2] [MQTT-3.15.2-3].
 * On the others (SUBSCRIBE, UNSUBSCRIBE, PUBLISH) User Properties are the
 * application's data: never left out.
 */
const MAY_LEAVE_OUT: ReadonlySet<string> = new Set([
  "connack",
  "puback",
  "pubrec",
  "pubrel",
  "pubcomp",
  "suback",
  "unsuback",
  "disconnect",
  "auth",
]);

/**
 * The packet as it may be sent: without its Reason String, then without its
 * User Properties, when they would take it above the peer's Maximum Packet
 * Size (on the packets whose rules say so, see `MAY_LEAVE_OUT`) or when
 * the client asked for no problem information [MQTT-3.1.2-29]. Returns
 * `undefined` when even the bare packet does not fit, and for a SUBSCRIBE
 * or UNSUBSCRIBE that does not fit as it is.
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
    (stripped.reasonString === undefined &&
      stripped.userProperties === undefined) ||
    !MAY_LEAVE_OUT.has(packet.type)
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

/**
 * Queues a control packet for the peer: as it is before the peer's limits
 * are known, else fitted to them, and left out when even bare it does not
 * fit (a packet larger than the peer's Maximum Packet Size is never sent
 * [MQTT-3.1.2-24], [MQTT-3.2.2-15]).
 */
export function queueControlPacket(
  transmit: Deque<Packet>,
  packet: Packet,
  limits: PeerLimits | undefined,
): void {
  if (limits === undefined) {
    transmit.push(packet);
    return;
  }
  const fitted = fitControlPacket(packet, limits);
  if (fitted !== undefined) transmit.push(fitted);
}

/**
 * The packet as it may be sent (see {@linkcode fitControlPacket}).
 *
 * @param where The command, for the message.
 * @param peer Who the packet is for, for the message.
 * @throws {MqttError} 0x95 Packet Too Large when it cannot fit the peer's
 * Maximum Packet Size [MQTT-3.1.2-24] [MQTT-3.2.2-15].
 */
export function fitOrRefuse(
  packet: Packet,
  limits: PeerLimits,
  where: string,
  peer: "client" | "server",
): Packet {
  const fitted = fitControlPacket(packet, limits);
  if (fitted !== undefined) return fitted;
  throw new MqttError(
    `${where}: the ${packet.type.toUpperCase()} is larger than the ${peer}'s Maximum Packet Size of ${limits.maximumPacketSize} bytes${
      MAY_LEAVE_OUT.has(packet.type)
        ? ", even without its Reason String and User Properties"
        : ""
    } ${peer === "server" ? "[MQTT-3.2.2-15]" : "[MQTT-3.1.2-24]"}`,
    ReasonCode.PacketTooLarge,
  );
}
