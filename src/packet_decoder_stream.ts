/**
 * {@linkcode PacketDecoderStream}: bytes to packets as a `TransformStream`.
 *
 * @module
 */

import { PacketSource } from "./_packet_source.ts";
import type { Packet, ProtocolVersion } from "./packet.ts";
import type { PacketParserOptions } from "./packet_parser.ts";

/**
 * Options of {@linkcode PacketDecoderStream}: those of
 * {@linkcode PacketParser} and {@linkcode PacketReader}.
 *
 * @example Usage
 * ```ts
 * import type { PacketDecoderStreamOptions } from "@mqtt/codec";
 * const options: PacketDecoderStreamOptions = { maximumPacketSize: 1024 };
 * ```
 */
export type PacketDecoderStreamOptions = PacketParserOptions;

/**
 * Decodes a stream of bytes into a stream of packets, for `pipeThrough`, as
 * `TextDecoderStream` does for text. Framing, limits, errors and lazy
 * decoding are those of {@linkcode PacketReader}: the readable side errors
 * with {@linkcode MqttError} after every packet before the fault was read,
 * and the writable side errors with it too, so that a pipe into it cancels
 * its source (as a `TransformStream` that errors does). Cancelling the
 * readable side cancels the writable side, and so the pipe's source.
 *
 * @example Piping bytes through the decoder
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encode, PacketDecoderStream } from "@mqtt/codec";
 *
 * const bytes = ReadableStream.from([
 *   encode({ type: "pingreq" }),
 *   encode({ type: "disconnect", reasonCode: 0 }),
 * ]);
 * const packets = await Array.fromAsync(
 *   bytes.pipeThrough(new PacketDecoderStream()),
 * );
 * assertEquals(packets.map((packet) => packet.type), ["pingreq", "disconnect"]);
 * ```
 */
export class PacketDecoderStream extends TransformStream<Uint8Array, Packet> {
  readonly #packets: ReadableStream<Packet>;
  readonly #source: PacketSource;

  /**
   * Makes a decoder.
   *
   * @param options The protocol version, the maximum packet size, and
   * whether to copy binary fields out of the chunks.
   * @throws {MqttError} When an option is invalid.
   */
  constructor(options?: PacketDecoderStreamOptions) {
    // The bytes pass through unchanged to a PacketSource; packets come out of
    // a stream of our own. A transformer could not do this: erroring a
    // TransformStream drops the packets still queued on its readable side,
    // which must be delivered before the error.
    super();
    const bytes = super.readable as unknown as ReadableStream<Uint8Array>;
    const source = new PacketSource(bytes, options, "PacketDecoderStream");
    this.#source = source;
    this.#packets = new ReadableStream<Packet>({
      async pull(controller) {
        let packet: Packet | undefined;
        try {
          packet = await source.read();
        } catch (error) {
          // As a TransformStream does on an error: the writable side errors
          // too, so that a pipe into it cancels its source.
          await source.cancel(error);
          throw error;
        }
        if (packet === undefined) {
          controller.close();
          return;
        }
        // One packet per pull: the next is decoded only when it is wanted.
        controller.enqueue(packet);
      },
      cancel(reason) {
        return source.cancel(reason);
      },
    }, { highWaterMark: 0 });
  }

  /**
   * The packets decoded.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { encode, PacketDecoderStream } from "@mqtt/codec";
   *
   * const decoder = new PacketDecoderStream();
   * const writer = decoder.writable.getWriter();
   * writer.write(encode({ type: "pingreq" }));
   * const reader = decoder.readable.getReader();
   * assertEquals((await reader.read()).value, { type: "pingreq" });
   * ```
   */
  override get readable(): ReadableStream<Packet> {
    return this.#packets;
  }

  /**
   * The version packets are decoded with: the `protocolVersion` option, else
   * that of a CONNECT read first, else 5.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { PacketDecoderStream } from "@mqtt/codec";
   *
   * assertEquals(new PacketDecoderStream({ protocolVersion: 4 }).protocolVersion, 4);
   * ```
   */
  get protocolVersion(): ProtocolVersion {
    return this.#source.parser.protocolVersion;
  }
}
