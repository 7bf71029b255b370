/**
 * Writing MQTT packets to any `WritableStream<Uint8Array>`, respecting
 * back-pressure.
 *
 * {@linkcode PacketWriter} writes packets one `await` at a time;
 * {@linkcode PacketEncoderStream} is the same encoding as a
 * `TransformStream` for `pipeThrough`.
 *
 * @example Writing packets to a stream
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { PacketWriter } from "@mqtt/codec/writer";
 *
 * const chunks: Uint8Array[] = [];
 * const sink = new WritableStream<Uint8Array>({
 *   write(chunk) {
 *     chunks.push(chunk);
 *   },
 * });
 * const writer = new PacketWriter(sink);
 * await writer.write({ type: "pingreq" });
 * await writer.close();
 * assertEquals(chunks.flatMap((chunk) => [...chunk]), [0xc0, 0x00]);
 * ```
 *
 * @module
 */

export { PacketWriter, type PacketWriterOptions } from "../packet_writer.ts";
export {
  PacketEncoderStream,
  type PacketEncoderStreamOptions,
} from "../packet_encoder_stream.ts";
export type {
  WritableStreamLike,
  WritableStreamWriterLike,
} from "../stream_like.ts";
