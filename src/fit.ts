/**
 * Fitting a packet to the receiver's Maximum Packet Size: what the
 * specification lets a sender leave out, and in which order.
 *
 * @module
 */

import { encode, encodeInto } from "./codec.ts";
import { MqttError } from "./error.ts";
import type { Packet, PacketType, ProtocolVersion } from "./packet.ts";
import { ReasonCode } from "./reason_code.ts";

/**
 * The packets whose Reason String and User Properties the sender must leave
 * out when they would make the packet exceed the receiver's Maximum Packet
 * Size, with the rules that say so. The others (CONNECT, PUBLISH, SUBSCRIBE,
 * UNSUBSCRIBE) carry their User Properties for the application: they are
 * never dropped.
 */
const DROPPABLE: Partial<Record<PacketType, string>> = {
  connack: "[MQTT-3.2.2-19] [MQTT-3.2.2-20]",
  puback: "[MQTT-3.4.2-2] [MQTT-3.4.2-3]",
  pubrec: "[MQTT-3.5.2-2] [MQTT-3.5.2-3]",
  pubrel: "[MQTT-3.6.2-2] [MQTT-3.6.2-3]",
  pubcomp: "[MQTT-3.7.2-2] [MQTT-3.7.2-3]",
  suback: "[MQTT-3.9.2-1] [MQTT-3.9.2-2]",
  unsuback: "[MQTT-3.11.2-1] [MQTT-3.11.2-2]",
  disconnect: "[MQTT-3.14.2-3] [MQTT-3.14.2-4]",
  auth: "[MQTT-3.15.2-2] [MQTT-3.15.2-3]",
};

/** The fields a sender may drop, in the order they are tried. */
type Droppable = "reasonString" | "userProperties";

/**
 * Encodes `packet` for a receiver that accepts packets of at most `maximum`
 * bytes (its Maximum Packet Size, from its CONNECT or CONNACK). A packet
 * that is too large first loses its Reason String, then its User
 * Properties instead, then both, where the specification lets the sender
 * leave them out (MQTT 5.0 CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP,
 * SUBACK, UNSUBACK, DISCONNECT and AUTH); `packet` itself is not changed.
 *
 * @param packet The packet to encode.
 * @param version The protocol version to encode with (a CONNECT uses its
 * own).
 * @param maximum The receiver's Maximum Packet Size in bytes.
 * @param into A buffer to encode into when the packet fits there, as
 * {@linkcode encodeInto} does; else a new array is returned.
 * @returns The packet's bytes, at most `maximum` of them.
 * @throws {MqttError} 0x95 Packet too large when it cannot be made to fit;
 * any error of {@linkcode encode} for an invalid packet.
 */
export function encodeWithin(
  packet: Packet,
  version: ProtocolVersion,
  maximum: number,
  into?: Uint8Array,
): Uint8Array {
  const options = { protocolVersion: version };
  let bytes: Uint8Array | undefined;
  let beyondProtocol: MqttError | undefined;
  try {
    bytes = into === undefined
      ? encode(packet, options)
      : encodeInto(packet, into, options);
  } catch (error) {
    // Past the protocol's own limit the Remaining Length cannot be written;
    // dropping the droppable properties may still bring the packet under.
    if (
      !(error instanceof MqttError) ||
      error.reasonCode !== ReasonCode.PacketTooLarge
    ) {
      throw error;
    }
    beyondProtocol = error;
  }
  if (bytes !== undefined && bytes.length <= maximum) return bytes;
  const rules = DROPPABLE[packet.type];
  const droppable = rules !== undefined && version === 5;
  if (droppable) {
    for (const drop of dropOrder(packet)) {
      const smaller: Record<string, unknown> = { ...packet };
      for (const field of drop) delete smaller[field];
      let fitted: Uint8Array;
      try {
        fitted = encode(smaller as unknown as Packet, options);
      } catch {
        continue; // still past the protocol's own limit: drop more
      }
      if (fitted.length <= maximum) return fitted;
    }
  }
  if (bytes === undefined) throw beyondProtocol;
  throw new MqttError(
    `${packet.type.toUpperCase()}: the packet is ${bytes.length} bytes, above the peer's maximum packet size of ${maximum}${
      droppable ? ` even without its Reason String and User Properties` : ""
    } [MQTT-3.1.2-24] [MQTT-3.2.2-15]${droppable ? ` ${rules}` : ""}`,
    ReasonCode.PacketTooLarge,
  );
}

/** The sets of fields to try leaving out, smallest change first. */
function dropOrder(packet: Packet): Droppable[][] {
  const fields = packet as { reasonString?: unknown; userProperties?: unknown };
  const order: Droppable[][] = [];
  if (fields.reasonString !== undefined) order.push(["reasonString"]);
  if (fields.userProperties !== undefined) {
    order.push(["userProperties"]);
    if (fields.reasonString !== undefined) {
      order.push(["reasonString", "userProperties"]);
    }
  }
  return order;
}
