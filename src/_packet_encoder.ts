/**
 * The encoding state shared by {@linkcode PacketWriter} and
 * {@linkcode PacketEncoderStream}: the version to write and the peer's
 * Maximum Packet Size.
 *
 * @module
 */

import { checkMaximumOption, checkVersionOption } from "./codec.ts";
import { encodeWithin } from "./fit.ts";
import type { Packet, ProtocolVersion } from "./packet.ts";

/** Encodes packets with a version that a CONNECT written switches, within the peer's size limit. */
export class PacketEncoder {
  version: ProtocolVersion;
  maximum: number;
  readonly #where: string;

  constructor(
    options:
      | { protocolVersion?: unknown; maximumPacketSize?: unknown }
      | undefined,
    where: string,
  ) {
    this.#where = where;
    this.version = checkVersionOption(options?.protocolVersion, where) ?? 5;
    this.maximum = checkMaximumOption(options?.maximumPacketSize, where);
  }

  setVersion(version: unknown): void {
    // unlike the option, a version set later must be named
    this.version = checkVersionOption(version ?? null, this.#where)!;
  }

  setMaximum(maximum: unknown): void {
    this.maximum = checkMaximumOption(maximum, this.#where);
  }

  /** The bytes of `packet` (in `into` when they fit); throws {@linkcode MqttError} and changes nothing when it cannot be sent. */
  encode(packet: Packet, into?: Uint8Array): Uint8Array {
    const bytes = encodeWithin(packet, this.version, this.maximum, into);
    if (packet.type === "connect") this.version = packet.protocolVersion;
    return bytes;
  }
}
