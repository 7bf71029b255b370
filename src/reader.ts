/**
 * Reading packets from a byte stream: {@linkcode PacketReader} wraps any
 * `ReadableStream<Uint8Array>`, {@linkcode PacketDecoderStream} is the same
 * framing as a transform stream for `pipeThrough`.
 *
 * Framing rests on {@linkcode packetSize} and `decodePacket` from the codec:
 * a packet wholly inside a chunk is decoded straight from the chunk (its
 * payload is a view of the chunk), and only a packet spread over several
 * chunks is copied, once its fixed header tells its size.
 *
 * @module
 */

import {
  checkMaximumOption,
  checkVersionOption,
  decodePacket,
  PACKET_NAMES,
  packetSize,
} from "./codec.ts";
import { MqttError } from "./error.ts";
import type { Packet, ProtocolVersion } from "./packet.ts";

const MALFORMED = 0x81;
const PROTOCOL_ERROR = 0x82;
const PACKET_TOO_LARGE = 0x95;

/**
 * A split packet up to this size gets a buffer of its exact size as soon as
 * its fixed header is known. A larger one gets a buffer that grows with the
 * bytes that actually arrive, so that a peer announcing a huge Remaining
 * Length and then trickling bytes cannot make the reader allocate it.
 */
const EAGER_LIMIT = 65_536;

/**
 * Options of {@linkcode PacketReader} and {@linkcode PacketDecoderStream}.
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
export interface PacketReaderOptions {
  /**
   * The version to decode with: 5 (MQTT 5.0) or 4 (MQTT 3.1.1). Without it,
   * a CONNECT read first sets the version to its own, and anything else
   * means 5. A client reading a server's packets over MQTT 3.1.1 must set
   * it, since the server's first packet (CONNACK) does not carry a version.
   */
  protocolVersion?: ProtocolVersion;
  /**
   * The largest packet accepted, in bytes, fixed header included (default
   * and upper bound: {@linkcode MAXIMUM_PACKET_SIZE}). A larger packet is
   * rejected from its fixed header, before its body is read, with
   * {@linkcode MqttError} 0x95 Packet too large.
   */
  maximumPacketSize?: number;
}

/**
 * Options of {@linkcode PacketDecoderStream}: the same as those of
 * {@linkcode PacketReader}.
 *
 * @example Usage
 * ```ts
 * import type { PacketDecoderStreamOptions } from "@mqtt/codec";
 * const options: PacketDecoderStreamOptions = { maximumPacketSize: 1024 };
 * ```
 */
export type PacketDecoderStreamOptions = PacketReaderOptions;

/**
 * Frames and decodes the packets of a byte stream, chunk by chunk, without
 * I/O. Every whole packet of a chunk is decoded synchronously; an error is
 * kept in {@linkcode Framer.error} after the packets that preceded it.
 */
class Framer {
  version: ProtocolVersion;
  #versionKnown: boolean;
  readonly maximum: number;
  /** The first bytes of a packet whose fixed header is split over chunks. */
  #head = new Uint8Array(5);
  #headLength = 0;
  /** The packet being assembled from several chunks, and its size. */
  #buffer: Uint8Array | undefined;
  #filled = 0;
  #size = 0;
  /** Stream offset of the first byte of the current packet. */
  #position = 0;
  /** The error that stopped the framing, if any. */
  error: unknown;

  constructor(options: PacketReaderOptions | undefined, where: string) {
    const version = checkVersionOption(options?.protocolVersion, where);
    this.version = version ?? 5;
    this.#versionKnown = version !== undefined;
    this.maximum = checkMaximumOption(options?.maximumPacketSize, where);
  }

  /** Whether bytes of an unfinished packet are held. */
  get partial(): boolean {
    return this.#headLength > 0 || this.#buffer !== undefined;
  }

  /**
   * Decodes every whole packet that `chunk` completes into `out`. The chunk
   * is never written to: packets decoded from it hold views into it.
   */
  push(chunk: Uint8Array, out: Packet[]): void {
    if (this.error !== undefined) return;
    const end = chunk.length;
    let offset = 0;
    try {
      if (this.#buffer !== undefined) {
        offset = this.#fill(chunk, 0, out);
        if (this.#buffer !== undefined) return;
      } else if (this.#headLength > 0) {
        offset = this.#continueHead(chunk, out);
        if (this.#headLength > 0 || this.#buffer !== undefined) return;
      }
      while (offset < end) {
        const size = frame(chunk, offset, end);
        if (size === -1) {
          this.#head.set(chunk.subarray(offset, end));
          this.#headLength = end - offset;
          return;
        }
        this.#checkSize(size, chunk[offset]);
        const stop = offset + size;
        if (stop > end) {
          this.#start(size, chunk, offset, end);
          return;
        }
        out.push(this.#decode(chunk, offset, stop));
        offset = stop;
      }
    } catch (error) {
      this.error = this.#locate(error);
    }
  }

  /** The error for a stream that ended here, or `undefined` when no packet was cut off. */
  end(): MqttError | undefined {
    if (this.error !== undefined || !this.partial) return undefined;
    const name = PACKET_NAMES[(this.#buffer ?? this.#head)[0] >> 4];
    const message = this.#buffer !== undefined
      ? `${name}: the stream ended inside the packet: ${
        this.#size - this.#filled
      } of its ${this.#size} bytes are missing`
      : `${name}: the stream ended inside the fixed header after ${this.#headLength} byte(s): at least 1 more byte is missing`;
    const at = this.#position +
      (this.#buffer ? this.#filled : this.#headLength);
    this.error = new MqttError(
      `${message}, at byte offset ${at} of the stream`,
      MALFORMED,
    );
    this.#buffer = undefined;
    this.#headLength = 0;
    return this.error as MqttError;
  }

  /** Continues a fixed header split over chunks; returns the offset in `chunk` after what was used. */
  #continueHead(chunk: Uint8Array, out: Packet[]): number {
    const head = this.#head;
    let offset = 0;
    let size = -1;
    while (size === -1 && offset < chunk.length) {
      head[this.#headLength++] = chunk[offset++];
      size = packetSize(head, 0, this.#headLength);
    }
    if (size === -1) return offset;
    this.#checkSize(size, head[0]);
    const headLength = this.#headLength;
    this.#headLength = 0;
    const rest = size - headLength;
    if (offset + rest <= chunk.length) {
      const bytes = new Uint8Array(size);
      bytes.set(head.subarray(0, headLength));
      bytes.set(chunk.subarray(offset, offset + rest), headLength);
      out.push(this.#decode(bytes, 0, size));
      return offset + rest;
    }
    this.#size = size;
    this.#buffer = new Uint8Array(initialCapacity(size, chunk.length));
    this.#buffer.set(head.subarray(0, headLength));
    this.#filled = headLength;
    return this.#fill(chunk, offset, out);
  }

  /** Starts assembling a packet of `size` bytes whose first bytes are `chunk[from..to)`. */
  #start(size: number, chunk: Uint8Array, from: number, to: number): void {
    this.#size = size;
    this.#buffer = new Uint8Array(initialCapacity(size, to - from));
    this.#filled = 0;
    this.#fill(chunk, from, []);
  }

  /** Copies the bytes the packet being assembled still needs from `chunk`; decodes it when whole. */
  #fill(chunk: Uint8Array, from: number, out: Packet[]): number {
    const count = Math.min(this.#size - this.#filled, chunk.length - from);
    const filled = this.#filled + count;
    let buffer = this.#buffer!;
    if (filled > buffer.length) {
      // Grow with what arrived (at least doubling, never past the size):
      // memory follows the bytes received, not the size announced.
      const grown = new Uint8Array(
        Math.min(this.#size, Math.max(filled, buffer.length * 2)),
      );
      grown.set(buffer.subarray(0, this.#filled));
      this.#buffer = buffer = grown;
    }
    buffer.set(chunk.subarray(from, from + count), this.#filled);
    this.#filled = filled;
    if (filled === this.#size) {
      this.#buffer = undefined;
      out.push(this.#decode(buffer, 0, filled));
    }
    return from + count;
  }

  /** Rejects a packet over the maximum size from its fixed header alone. */
  #checkSize(size: number, first: number): void {
    if (size > this.maximum) {
      throw new MqttError(
        `${
          PACKET_NAMES[first >> 4]
        }: the packet is ${size} bytes, above the maximum packet size of ${this.maximum} at byte offset 0`,
        PACKET_TOO_LARGE,
      );
    }
  }

  #decode(bytes: Uint8Array, start: number, stop: number): Packet {
    const packet = decodePacket(bytes, start, stop, this.version);
    if (!this.#versionKnown) {
      this.#versionKnown = true;
      if (packet.type === "connect") this.version = packet.protocolVersion;
    }
    this.#position += stop - start;
    return packet;
  }

  /** Adds where in the stream the failing packet starts to a codec error. */
  #locate(error: unknown): unknown {
    if (!(error instanceof MqttError)) return error;
    return new MqttError(
      `${error.message} (of the packet at byte offset ${this.#position} of the stream)`,
      error.reasonCode,
      { cause: error },
    );
  }
}

/** The first capacity of the buffer of a split packet. */
function initialCapacity(size: number, arrived: number): number {
  return size <= EAGER_LIMIT
    ? size
    : Math.min(size, Math.max(EAGER_LIMIT, arrived));
}

/**
 * {@linkcode packetSize} at `offset` of a chunk, with error offsets counted
 * from the packet's first byte rather than from the chunk's.
 */
function frame(bytes: Uint8Array, offset: number, end: number): number {
  try {
    return packetSize(bytes, offset, end);
  } catch (error) {
    if (offset === 0) throw error;
    return packetSize(bytes.slice(offset, Math.min(end, offset + 5)), 0);
  }
}

/**
 * The pull side shared by {@linkcode PacketReader} and
 * {@linkcode PacketDecoderStream}: reads chunks from the source only when
 * every packet decoded so far has been handed out.
 */
class PacketSource {
  readonly framer: Framer;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  /** Decoded packets not yet handed out: `#queue[#head..]`. */
  #queue: Packet[] = [];
  #head = 0;
  /** Calls waiting in line for the source; the fast path only runs when none are. */
  #waiting = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #done = false;
  #cancelled = false;
  /** The error of the source or of the framing, thrown to every later read. */
  #error: unknown;
  #failed = false;

  constructor(
    readable: ReadableStream<Uint8Array>,
    options: PacketReaderOptions | undefined,
    where: string,
  ) {
    this.framer = new Framer(options, where);
    // Duck-typed: a stream from another realm or a polyfill is a stream too.
    if (
      typeof (readable as Partial<ReadableStream>)?.getReader !== "function"
    ) {
      throw new MqttError(
        `${where}: expected a ReadableStream, got ${
          readable === null ? "null" : typeof readable
        }`,
        PROTOCOL_ERROR,
      );
    }
    try {
      this.#reader = readable.getReader();
    } catch (error) {
      throw new MqttError(
        `${where}: the stream is locked: another reader holds it`,
        PROTOCOL_ERROR,
        { cause: error },
      );
    }
  }

  /** The next packet, or `undefined` at the end of the stream. */
  read(): Promise<Packet | undefined> {
    if (this.#waiting === 0 && this.#head < this.#queue.length) {
      return Promise.resolve(this.#take());
    }
    this.#waiting++;
    const next = this.#tail.then(() => this.#pull());
    this.#tail = next.then(noop, noop);
    return next.finally(() => this.#waiting--);
  }

  /** {@linkcode PacketSource.read} as an iterator result. */
  next(): Promise<IteratorResult<Packet, undefined>> {
    if (this.#waiting === 0 && this.#head < this.#queue.length) {
      return Promise.resolve({ done: false, value: this.#take() });
    }
    return this.read().then(toResult);
  }

  /** Moves every packet already decoded into `out`, without waiting. */
  drain(out: (packet: Packet) => void): void {
    if (this.#waiting !== 0) return;
    while (this.#head < this.#queue.length) out(this.#take());
  }

  async cancel(reason?: unknown): Promise<void> {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#done = true;
    this.#queue = [];
    this.#head = 0;
    try {
      await this.#reader.cancel(reason);
    } catch (error) {
      // An errored source rejects its cancel with its error, which was (or
      // will be) thrown by a read already.
      if (!this.#failed) throw error;
    }
  }

  #take(): Packet {
    const packet = this.#queue[this.#head++];
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    }
    return packet;
  }

  async #pull(): Promise<Packet | undefined> {
    while (true) {
      if (this.#head < this.#queue.length) return this.#take();
      if (this.#failed) throw this.#error;
      if (this.#done) return undefined;
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await this.#reader.read();
      } catch (error) {
        if (this.#cancelled) return undefined;
        this.#fail(error);
        continue;
      }
      if (this.#cancelled) return undefined;
      if (result.done) {
        this.#done = true;
        const error = this.framer.end();
        if (error !== undefined) this.#fail(error);
        continue;
      }
      const chunk = result.value;
      if (!(chunk instanceof Uint8Array)) {
        this.#fail(
          new MqttError(
            `PacketReader: the stream must give Uint8Array chunks, got ${
              chunk === null ? "null" : typeof chunk
            }`,
            PROTOCOL_ERROR,
          ),
        );
        continue;
      }
      this.framer.push(chunk, this.#queue);
      if (this.framer.error !== undefined) this.#fail(this.framer.error);
    }
  }

  #fail(error: unknown): void {
    this.#failed = true;
    this.#error = error;
  }
}

function noop(): void {}

/**
 * Reads MQTT packets from any `ReadableStream<Uint8Array>`: a TCP
 * connection's `readable` (Deno, or Node's `Readable.toWeb`), a WebSocket's
 * binary messages, a `fetch` body, a test stream.
 * It is an `AsyncIterable<Packet>` that ends when the stream ends.
 *
 * Any chunking works: many packets in one chunk, one packet over thousands
 * of chunks. A packet wholly inside a chunk is decoded straight from it, its
 * payload and binary fields are views into the chunk; a packet spread over
 * chunks is copied once into a buffer of its own. The reader never writes to
 * a chunk.
 *
 * A malformed packet, a packet over `maximumPacketSize`, or a stream that
 * ends inside a packet makes the iteration throw {@linkcode MqttError}, after
 * every packet before it was delivered; an error of the source stream is
 * thrown as it is. Leaving a `for await` loop early, or
 * {@linkcode PacketReader.cancel}, cancels the source stream. After an
 * `MqttError` the source stays open, so that a DISCONNECT carrying the
 * error's reason code can still be sent on the same connection (on a Deno
 * TCP connection, cancelling the readable closes the whole connection); call
 * {@linkcode PacketReader.cancel} (or close the connection) when done.
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
   * @param readable The stream of bytes to read packets from.
   * @param options The protocol version and the maximum packet size.
   * @throws {MqttError} When an option is invalid.
   */
  constructor(
    readable: ReadableStream<Uint8Array>,
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
    return this.#source.framer.version;
  }

  /**
   * Reads the next packet.
   *
   * @returns The next packet, or `undefined` once the stream has ended.
   * @throws {MqttError} When the next bytes are not a valid packet, or the
   * stream ends inside one; or the source stream's own error.
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
   * Stops reading: cancels the source stream and drops the packets decoded
   * but not yet read. Later reads return `undefined`.
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

function toResult(
  packet: Packet | undefined,
): IteratorResult<Packet, undefined> {
  return packet === undefined
    ? { done: true, value: undefined }
    : { done: false, value: packet };
}

/**
 * Decodes a stream of bytes into a stream of packets, for `pipeThrough`, as
 * `TextDecoderStream` does for text. Framing, limits and errors are those of
 * {@linkcode PacketReader}: the readable side errors with
 * {@linkcode MqttError} after every packet before the fault was read.
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
   * @param options The protocol version and the maximum packet size.
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
        controller.enqueue(packet);
        source.drain((next) => controller.enqueue(next));
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
    return this.#source.framer.version;
  }
}
