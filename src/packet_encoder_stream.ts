/**
 * {@linkcode PacketEncoderStream}: packets to bytes as a `TransformStream`.
 *
 * @module
 */

import { PacketEncoder } from "./_packet_encoder.ts";
import type { Packet, ProtocolVersion } from "./packet.ts";
import type { PacketWriterOptions } from "./packet_writer.ts";

/**
 * Options of {@linkcode PacketEncoderStream}: the same as those of
 * {@linkcode PacketWriter}.
 *
 * @example Usage
 * ```ts
 * import type { PacketEncoderStreamOptions } from "@mqtt/codec";
 * const options: PacketEncoderStreamOptions = { protocolVersion: 4 };
 * ```
 */
export type PacketEncoderStreamOptions = PacketWriterOptions;

/**
 * Encodes a stream of packets into a stream of bytes, for `pipeThrough`, as
 * `TextEncoderStream` does for text. Versions and limits are those of
 * {@linkcode PacketWriter}; an invalid packet errors the stream with
 * {@linkcode MqttError}.
 *
 * @example Piping packets through the encoder
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encode, PacketEncoderStream, type Packet } from "@mqtt/codec";
 *
 * const packets = ReadableStream.from<Packet>([
 *   { type: "pingreq" },
 *   { type: "puback", packetId: 3 },
 * ]);
 * const chunks = await Array.fromAsync(
 *   packets.pipeThrough(new PacketEncoderStream()),
 * );
 * assertEquals(chunks, [
 *   encode({ type: "pingreq" }),
 *   encode({ type: "puback", packetId: 3 }),
 * ]);
 * ```
 */
export class PacketEncoderStream extends TransformStream<Packet, Uint8Array> {
  readonly #encoder: PacketEncoder;

  /**
   * Makes an encoder.
   *
   * @param options The protocol version and the peer's maximum packet size.
   * @throws {MqttError} When an option is invalid.
   */
  constructor(options?: PacketEncoderStreamOptions) {
    const encoder = new PacketEncoder(options, "PacketEncoderStream");
    super({
      transform(packet, controller) {
        controller.enqueue(encoder.encode(packet));
      },
    });
    this.#encoder = encoder;
  }

  /**
   * The version packets are encoded with; a CONNECT switches it to its own.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { PacketEncoderStream } from "@mqtt/codec";
   *
   * assertEquals(new PacketEncoderStream({ protocolVersion: 4 }).protocolVersion, 4);
   * ```
   */
  get protocolVersion(): ProtocolVersion {
    return this.#encoder.version;
  }

  /** Sets the version later packets are encoded with (4 or 5). */
  set protocolVersion(version: ProtocolVersion) {
    this.#encoder.setVersion(version);
  }
}
