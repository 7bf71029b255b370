/**
 * {@linkcode PacketReader}: packets from any `ReadableStream<Uint8Array>`,
 * as an `AsyncIterable<Packet>`.
 *
 * @module
 */

import { PacketSource } from "./_packet_source.ts";
import type { Packet, ProtocolVersion } from "./packet.ts";
import type { PacketParserOptions } from "./packet_parser.ts";
import type { ReadableStreamLike } from "./stream_like.ts";

/**
 * Options of {@linkcode PacketReader}: those of {@linkcode PacketParser}
 * (`protocolVersion`, `maximumPacketSize`, `copyPayloads`).
 *
 * @example Usage
 * ```ts
 * import type { PacketReaderOptions } from "@mqtt/codec";
 * const options: PacketReaderOptions = {
 *   protocolVersion: 4,
 *   maximumPacketSize: 65_536,
 * };
 * ```
 */
export type PacketReaderOptions = PacketParserOptions;

/**
 * Reads MQTT packets from any `ReadableStream<Uint8Array>`: a TCP
 * connection's `readable` (Deno, or Node's `Readable.toWeb`), a WebSocket's
 * binary messages, a `fetch` body, a test stream.
 * It is an `AsyncIterable<Packet>` that ends when the stream ends.
 *
 * Any chunking works: many packets in one chunk, one packet over thousands
 * of chunks. Decoding is lazy (it rests on {@linkcode PacketParser}): a
 * packet is decoded when it is read, so the first packet of a huge chunk
 * comes at once and a program that stops reading stops the decoding. A
 * packet wholly inside a chunk is decoded straight from it, its payload and
 * binary fields are views into the chunk (unless `copyPayloads`); a packet
 * spread over chunks is copied once into a buffer of its own. The reader
 * never writes to a chunk.
 *
 * How it ends (README.md, "Closing a connection"):
 *
 * - The stream ends: the iteration ends, `read()` returns `undefined`.
 * - A malformed packet, a packet over `maximumPacketSize`, or a stream that
 *   ends inside a packet: the iteration throws {@linkcode MqttError}, after
 *   every packet before it was delivered. The source stays open, so that a
 *   DISCONNECT carrying the error's reason code can still be sent; call
 *   {@linkcode PacketReader.cancel} (or close the connection) when done.
 * - The connection fails (a reset, say): `MqttError` 0x80 with the
 *   stream's error as its `cause`. But a failure right after the peer's
 *   DISCONNECT, or one caused by this side closing the connection (as
 *   closing a Deno connection's `writable` does under a pending read),
 *   ends the iteration normally: the connection was meant to end.
 * - Leaving a `for await` loop early, or {@linkcode PacketReader.cancel}
 *   (also while a read is pending): the source stream is cancelled, pending
 *   and later reads return `undefined`.
 *
 * @example Reading packets from a stream
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encode, PacketReader } from "@mqtt/codec";
 *
 * const bytes = new Uint8Array([
 *   ...encode({ type: "pingreq" }),
 *   ...encode({ type: "puback", packetId: 7 }),
 * ]);
 * // Two packets, split in the middle of the second.
 * const stream = ReadableStream.from([bytes.subarray(0, 3), bytes.subarray(3)]);
 *
 * const types = [];
 * for await (const packet of new PacketReader(stream)) types.push(packet.type);
 * assertEquals(types, ["pingreq", "puback"]);
 * ```
 *
 * @example Serving one connection of any transport
 * ```ts
 * import { PacketReader } from "@mqtt/codec";
 *
 * // `connection` is a TCP connection, a wrapped WebSocket, ...: anything
 * // with a byte stream to read (README.md has Deno TCP and WebSocket servers).
 * export async function serve(
 *   connection: { readable: ReadableStream<Uint8Array> },
 * ): Promise<void> {
 *   for await (const packet of new PacketReader(connection.readable)) {
 *     console.log(packet.type);
 *   }
 * }
 * ```
 */
export class PacketReader implements AsyncIterable<Packet> {
  readonly #source: PacketSource;

  /**
   * Wraps a byte stream; the reader locks it.
   *
   * @param readable The stream of bytes to read packets from: any
   * `ReadableStream<Uint8Array>` (see {@linkcode ReadableStreamLike}).
   * @param options The protocol version, the maximum packet size, and
   * whether to copy binary fields out of the chunks.
   * @throws {MqttError} When an option is invalid.
   */
  constructor(
    readable: ReadableStreamLike,
    options?: PacketReaderOptions,
  ) {
    this.#source = new PacketSource(readable, options, "PacketReader");
  }

  /**
   * The version packets are decoded with: the `protocolVersion` option, else
   * that of a CONNECT read first, else 5.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { encode, PacketReader } from "@mqtt/codec";
   *
   * const connect = encode({
   *   type: "connect",
   *   protocolVersion: 4,
   *   clientId: "c1",
   *   cleanStart: true,
   *   keepAlive: 60,
   * });
   * const reader = new PacketReader(ReadableStream.from([connect]));
   * assertEquals(reader.protocolVersion, 5);
   * await reader.read();
   * assertEquals(reader.protocolVersion, 4);
   * ```
   */
  get protocolVersion(): ProtocolVersion {
    return this.#source.parser.protocolVersion;
  }

  /**
   * The largest packet accepted, in bytes (the `maximumPacketSize` option);
   * setting it applies from the next packet whose fixed header has not been
   * read (as `PacketParser`'s `maximumPacketSize`).
   *
   * @throws {MqttError} (when set) For a value that is not a positive
   * integer.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { PacketReader } from "@mqtt/codec";
   *
   * const reader = new PacketReader(new ReadableStream<Uint8Array>(), {
   *   maximumPacketSize: 65_536, // until the CONNECT is accepted
   * });
   * reader.maximumPacketSize = 1_048_576;
   * assertEquals(reader.maximumPacketSize, 1_048_576);
   * ```
   */
  get maximumPacketSize(): number {
    return this.#source.parser.maximumPacketSize;
  }

  /** Sets the largest packet accepted from the next fixed header on. */
  set maximumPacketSize(maximum: number) {
    this.#source.parser.maximumPacketSize = maximum;
  }

  /**
   * Reads the next packet.
   *
   * @returns The next packet, or `undefined` once the stream has ended.
   * @throws {MqttError} When the next bytes are not a valid packet, or the
   * stream ends inside one, or the connection fails (the stream's error is
   * its `cause`).
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { encode, PacketReader } from "@mqtt/codec";
   *
   * const reader = new PacketReader(
   *   ReadableStream.from([encode({ type: "pingresp" })]),
   * );
   * assertEquals(await reader.read(), { type: "pingresp" });
   * assertEquals(await reader.read(), undefined);
   * ```
   */
  read(): Promise<Packet | undefined> {
    return this.#source.read();
  }

  /**
   * Stops reading: cancels the source stream and drops the bytes not yet
   * read. A read pending meanwhile, and every later one, returns
   * `undefined`. It never rejects: a stream that already failed or closed
   * has nothing left to cancel.
   *
   * @param reason Passed to the source stream's `cancel`.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { PacketReader } from "@mqtt/codec";
   *
   * let cancelled = false;
   * const stream = new ReadableStream<Uint8Array>({
   *   cancel() {
   *     cancelled = true;
   *   },
   * });
   * const reader = new PacketReader(stream);
   * await reader.cancel();
   * assertEquals(cancelled, true);
   * assertEquals(await reader.read(), undefined);
   * ```
   */
  cancel(reason?: unknown): Promise<void> {
    return this.#source.cancel(reason);
  }

  /**
   * Iterates over the packets until the stream ends. Leaving the loop early
   * (`break`, `return`, a `throw` in the loop body) cancels the source
   * stream.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { encode, PacketReader } from "@mqtt/codec";
   *
   * const reader = new PacketReader(
   *   ReadableStream.from([encode({ type: "pingreq" })]),
   * );
   * const packets = [];
   * for await (const packet of reader) packets.push(packet);
   * assertEquals(packets, [{ type: "pingreq" }]);
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<Packet, undefined> {
    const source = this.#source;
    return {
      next(): Promise<IteratorResult<Packet, undefined>> {
        return source.next();
      },
      async return(): Promise<IteratorResult<Packet, undefined>> {
        await source.cancel();
        return { done: true, value: undefined };
      },
    };
  }
}
