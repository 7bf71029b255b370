/**
 * The shape of one entry of the packet registry: a control packet type
 * with its fixed header and its codec.
 *
 * @module
 */

import type { Packet, PacketType } from "../packet.ts";
import type { Cursor } from "../primitives/cursor.ts";
import type { Protocol } from "../protocol.ts";

/** A control packet type: its fixed header, its name, and its codec. */
export interface PacketCodec<P extends { type: PacketType } = Packet> {
  /** The `type` of its packet objects. */
  readonly type: P["type"];
  /** The control packet type, the fixed header's high 4 bits (section 2.1.2). */
  readonly code: number;
  /** The name messages use, such as "PUBLISH". */
  readonly name: string;
  /**
   * The fixed header flags it must carry (section 2.1.3), or -1 for
   * PUBLISH, whose flags are its own (DUP, QoS, RETAIN).
   */
  readonly flags: number;
  /** The fixed header's first byte: type and flags (PUBLISH: without its flags). */
  readonly firstByte: number;
  /** Decodes the variable header and payload; `flags` are the fixed header's low 4 bits. */
  decode(c: Cursor, flags: number): P;
  /** Encodes a packet object, fixed header included, into `into` when it fits there. */
  encode(packet: P, protocol: Protocol, into?: Uint8Array): Uint8Array;
}

/** Makes a registry entry. */
export function packetCodec<P extends { type: PacketType }>(
  type: P["type"],
  code: number,
  flags: number,
  decode: PacketCodec<P>["decode"],
  encode: PacketCodec<P>["encode"],
): PacketCodec<P> {
  return Object.freeze({
    type,
    code,
    name: type.toUpperCase(),
    flags,
    firstByte: (code << 4) | Math.max(flags, 0),
    decode,
    encode,
  });
}
