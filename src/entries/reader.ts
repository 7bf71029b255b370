/**
 * Reading MQTT packets from any `ReadableStream<Uint8Array>`: a TCP
 * connection, a WebSocket, a `fetch` body, a file.
 *
 * {@linkcode PacketReader} is an `AsyncIterable<Packet>`;
 * {@linkcode PacketDecoderStream} is the same framing as a `TransformStream`
 * for `pipeThrough`; {@linkcode PacketParser} is the synchronous push parser
 * under both, for sockets that hand out their chunks by callback.
 *
 * @example Reading packets from bytes
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { PacketReader } from "@mqtt/codec/reader";
 *
 * // A PINGREQ and a PINGRESP, split across two chunks.
 * const bytes = ReadableStream.from([
 *   new Uint8Array([0xc0, 0x00, 0xd0]),
 *   new Uint8Array([0x00]),
 * ]);
 * const types: string[] = [];
 * for await (const packet of new PacketReader(bytes)) types.push(packet.type);
 * assertEquals(types, ["pingreq", "pingresp"]);
 * ```
 *
 * @module
 */

export { PacketParser, type PacketParserOptions } from "../packet_parser.ts";
export { PacketReader, type PacketReaderOptions } from "../packet_reader.ts";
export {
  PacketDecoderStream,
  type PacketDecoderStreamOptions,
} from "../packet_decoder_stream.ts";
export type {
  ReadableStreamLike,
  ReadableStreamReaderLike,
} from "../stream_like.ts";
