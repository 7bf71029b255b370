/**
 * {@linkcode PacketWriter}: packets to any `WritableStream<Uint8Array>`,
 * with back-pressure.
 *
 * @module
 */

import { abortingWith, connectionError } from "./_common.ts";
import { PacketEncoder } from "./_packet_encoder.ts";
import { MqttError } from "./error.ts";
import type { Packet, ProtocolVersion } from "./packet.ts";
import type {
  WritableStreamLike,
  WritableStreamWriterLike,
} from "./stream_like.ts";
import { ReasonCode } from "./reason_code.ts";

/**
 * Packets written while the sink is busy are joined into chunks of up to
 * this many bytes: one write to the sink (one system call on TCP) instead of
 * one per packet.
 */
const BATCH_LIMIT = 65_536;

/**
 * The smallest buffer a batch starts with. A batch starts as large as the
 * last one ended (rounded up to a power of two), and doubles as packets join
 * it, up to {@linkcode BATCH_LIMIT}: a writer that sends a few packets at a
 * time allocates (and zeroes) a few KiB per chunk, not 64.
 */
const BATCH_START = 4_096;

/**
 * Options of {@linkcode PacketWriter} and {@linkcode PacketEncoderStream}.
 *
 * @example Usage
 * ```ts
 * import type { PacketWriterOptions } from "@mqtt/codec";
 * const options: PacketWriterOptions = {
 *   protocolVersion: 5,
 *   maximumPacketSize: 65_536,
 * };
 * ```
 */
export interface PacketWriterOptions {
  /**
   * The version to encode with: 5 (MQTT 5.0, the default) or 4 (MQTT 3.1.1).
   * Writing a CONNECT switches to the CONNECT's version.
   */
  protocolVersion?: ProtocolVersion;
  /**
   * The peer's Maximum Packet Size, from its CONNECT or CONNACK (default:
   * the protocol maximum). A larger packet first loses its Reason String and
   * User Properties where the specification lets the sender drop them, and
   * is otherwise rejected with {@linkcode MqttError} 0x95 Packet too large.
   */
  maximumPacketSize?: number;
}

/**
 * Packets waiting for the stream to be ready, written as one chunk: encoded
 * one after another straight into `buffer` (no allocation per packet, no
 * copy to join them), or a single packet too large for it, in `alone`.
 */
interface Batch {
  buffer: Uint8Array | undefined;
  alone: Uint8Array | undefined;
  size: number;
  done: Promise<void>;
  resolve: () => void;
  reject: (reason: unknown) => void;
}

function newBatch(capacity: number): Batch {
  // Not Promise.withResolvers: Node 20 lacks it.
  let resolve!: () => void;
  let reject!: (reason: unknown) => void;
  const done = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return {
    buffer: new Uint8Array(capacity),
    alone: undefined,
    size: 0,
    done,
    resolve,
    reject,
  };
}

/** The chunk a batch hands to the stream. */
function chunkOf(batch: Batch): Uint8Array {
  if (batch.buffer === undefined) return batch.alone!;
  // A sink may keep its chunks: a few packets do not pin a larger buffer.
  return batch.size * 4 < batch.buffer.length
    ? batch.buffer.slice(0, batch.size)
    : batch.buffer.subarray(0, batch.size);
}

/** The capacity for a batch after one of `size` bytes: a power of two, within bounds. */
function startFor(size: number): number {
  let capacity = BATCH_START;
  while (capacity < size && capacity < BATCH_LIMIT) capacity *= 2;
  return capacity;
}

/** Gives a batch's buffer room for `size` bytes, keeping what it holds. */
function grow(batch: Batch, size: number): void {
  const buffer = batch.buffer!;
  const grown = new Uint8Array(
    Math.min(BATCH_LIMIT, Math.max(buffer.length * 2, size)),
  );
  grown.set(buffer.subarray(0, batch.size));
  batch.buffer = grown;
}

/**
 * Writes MQTT packets to any `WritableStream<Uint8Array>`: a TCP
 * connection's `writable` (Deno, or Node's `Writable.toWeb`), a WebSocket
 * wrapped as a stream, a test sink.
 *
 * {@linkcode PacketWriter.write} resolves once the sink has accepted the
 * packet's bytes, and the writer honours back-pressure: it hands the stream
 * a new chunk only when the stream asks for one (`ready`). Packets written
 * while the sink is busy are sent together, in order, as one chunk. An
 * invalid packet rejects with {@linkcode MqttError} and nothing is written.
 *
 * How it ends (README.md, "Closing a connection"):
 * {@linkcode PacketWriter.close} writes what was accepted, then closes the
 * stream; it resolves also when the stream was closed already (the peer
 * closed the connection, or the reader's `cancel()` closed it). A write to a
 * stream that closed or failed rejects with {@linkcode MqttError} 0x80
 * whose `cause` is the stream's error. {@linkcode PacketWriter.abort} drops
 * what was not yet handed to the stream and never rejects.
 *
 * @example Writing packets to a stream
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encode, PacketWriter } from "@mqtt/codec";
 *
 * const received: Uint8Array[] = [];
 * const sink = new WritableStream<Uint8Array>({
 *   write(chunk) {
 *     received.push(chunk);
 *   },
 * });
 * const writer = new PacketWriter(sink);
 * await writer.write({ type: "pingreq" });
 * await writer.close();
 * assertEquals(received, [encode({ type: "pingreq" })]);
 * ```
 *
 * @example A client's first exchange, over any transport
 * ```ts
 * import { PacketReader, PacketWriter } from "@mqtt/codec";
 *
 * // `connection` is a TCP connection, a wrapped WebSocket, ...: a pair of
 * // byte streams (README.md has a Deno TCP client).
 * export async function connect(connection: {
 *   readable: ReadableStream<Uint8Array>;
 *   writable: WritableStream<Uint8Array>;
 * }): Promise<void> {
 *   const writer = new PacketWriter(connection.writable);
 *   const reader = new PacketReader(connection.readable);
 *   await writer.write({
 *     type: "connect",
 *     protocolVersion: 5,
 *     clientId: "demo",
 *     cleanStart: true,
 *     keepAlive: 60,
 *   });
 *   const connack = await reader.read();
 *   if (connack?.type === "connack" && connack.maximumPacketSize !== undefined) {
 *     writer.maximumPacketSize = connack.maximumPacketSize;
 *   }
 * }
 * ```
 */
export class PacketWriter {
  readonly #writer: WritableStreamWriterLike;
  readonly #encoder: PacketEncoder;
  /** Batches waiting for the stream to be ready, oldest first. */
  #batches: Batch[] = [];
  /** The capacity a new batch starts with: what the last one needed. */
  #batchStart = BATCH_START;
  #flushing: Promise<void> | undefined;
  /** Set by the first {@linkcode PacketWriter.close}: later calls share it. */
  #closing: Promise<void> | undefined;
  #closed = false;
  #aborted = false;

  /**
   * Wraps a byte stream; the writer locks it.
   *
   * @param writable The stream to write packets' bytes to.
   * @param options The protocol version and the peer's maximum packet size.
   * @throws {MqttError} When an option is invalid.
   */
  constructor(
    writable: WritableStreamLike,
    options?: PacketWriterOptions,
  ) {
    this.#encoder = new PacketEncoder(options, "PacketWriter");
    // Duck-typed: a stream from another realm or a polyfill is a stream too.
    if (
      typeof (writable as Partial<WritableStreamLike>)?.getWriter !== "function"
    ) {
      throw new MqttError(
        `PacketWriter: expected a WritableStream, got ${
          writable === null ? "null" : typeof writable
        }`,
        ReasonCode.ProtocolError,
      );
    }
    try {
      this.#writer = writable.getWriter();
    } catch (error) {
      throw new MqttError(
        "PacketWriter: the stream is locked: another writer holds it",
        ReasonCode.ProtocolError,
        { cause: error },
      );
    }
    // A failed stream is reported by the writes, never as an unhandled
    // rejection of `closed` (which some implementations do not mark handled).
    this.#writer.closed.then(noop, noop);
  }

  /**
   * The version packets are encoded with. Writing a CONNECT switches it to
   * the CONNECT's; a server sets it to the version of the CONNECT it read.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { PacketWriter } from "@mqtt/codec";
   *
   * const writer = new PacketWriter(new WritableStream());
   * assertEquals(writer.protocolVersion, 5);
   * await writer.write({
   *   type: "connect",
   *   protocolVersion: 4,
   *   clientId: "c1",
   *   cleanStart: true,
   *   keepAlive: 60,
   * });
   * assertEquals(writer.protocolVersion, 4);
   * ```
   */
  get protocolVersion(): ProtocolVersion {
    return this.#encoder.version;
  }

  /** Sets the version later packets are encoded with (4 or 5). */
  set protocolVersion(version: ProtocolVersion) {
    this.#encoder.setVersion(version);
  }

  /**
   * The peer's Maximum Packet Size in bytes; set it from the CONNACK (on a
   * client) or the CONNECT (on a server) that announces it.
   *
   * @example Usage
   * ```ts
   * import { assertEquals, assertRejects } from "@std/assert";
   * import { MqttError, PacketWriter } from "@mqtt/codec";
   *
   * const writer = new PacketWriter(new WritableStream());
   * writer.maximumPacketSize = 16;
   * assertEquals(writer.maximumPacketSize, 16);
   * const error = await assertRejects(
   *   () =>
   *     writer.write({
   *       type: "publish",
   *       topic: "a/b",
   *       payload: new Uint8Array(100),
   *       qos: 0,
   *       retain: false,
   *       dup: false,
   *     }),
   *   MqttError,
   * );
   * assertEquals(error.reasonCode, 0x95);
   * ```
   */
  get maximumPacketSize(): number {
    return this.#encoder.maximum;
  }

  /** Sets the peer's Maximum Packet Size. */
  set maximumPacketSize(maximum: number) {
    this.#encoder.setMaximum(maximum);
  }

  /**
   * How many bytes of packets accepted by {@linkcode PacketWriter.write}
   * wait in the writer for the stream to be ready (0 while the stream takes
   * each packet as it comes). A program that makes packets faster than the
   * peer reads them stops at a bound of its choice and waits for
   * {@linkcode PacketWriter.ready}, so that nothing piles up here.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { PacketWriter } from "@mqtt/codec";
   *
   * // A sink that takes one chunk, then never finishes writing it.
   * const writer = new PacketWriter(
   *   new WritableStream({ write: () => new Promise(() => {}) }),
   * );
   * writer.write({ type: "pingresp" }); // handed to the stream
   * writer.write({ type: "pingresp" }); // waits in the writer
   * writer.write({ type: "pingresp" });
   * assertEquals(writer.bufferedBytes, 4);
   * ```
   */
  get bufferedBytes(): number {
    let bytes = 0;
    for (const batch of this.#batches) bytes += batch.size;
    return bytes;
  }

  /**
   * Resolves when the stream wants more bytes: a packet written then is
   * handed to the sink at once instead of waiting in the writer. Awaiting it
   * before each write keeps at most one chunk in flight, as
   * `WritableStreamDefaultWriter.ready` does.
   *
   * @example Usage
   * ```ts
   * import { PacketWriter } from "@mqtt/codec";
   *
   * const writer = new PacketWriter(new WritableStream());
   * for (let packetId = 1; packetId <= 3; packetId++) {
   *   await writer.ready;
   *   writer.write({ type: "puback", packetId });
   * }
   * await writer.close();
   * ```
   */
  get ready(): Promise<void> {
    const flushing = this.#flushing;
    if (flushing === undefined) {
      return this.#writer.ready.then(noop, failedWrite);
    }
    return flushing.then(() => this.ready);
  }

  /**
   * Writes one packet.
   *
   * @param packet The packet to write.
   * @returns A promise that resolves when the sink has accepted the packet's
   * bytes.
   * @throws {MqttError} (as a rejection) When the packet is invalid, too
   * large for the peer, or the writer is closed; nothing is written then.
   * When the stream failed or was closed, with the stream's error as
   * `cause`.
   *
   * @example Usage
   * ```ts
   * import { assertEquals, assertRejects } from "@std/assert";
   * import { MqttError, PacketWriter, type Packet } from "@mqtt/codec";
   *
   * let chunks = 0;
   * const writer = new PacketWriter(
   *   new WritableStream({
   *     write() {
   *       chunks++;
   *     },
   *   }),
   * );
   * await writer.write({ type: "puback", packetId: 1 });
   * // Packet Identifier 0 is invalid: rejected, nothing written.
   * const invalid: Packet = { type: "puback", packetId: 0 };
   * await assertRejects(() => writer.write(invalid), MqttError);
   * assertEquals(chunks, 1);
   * ```
   */
  write(packet: Packet): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        new MqttError(
          "PacketWriter: cannot write: the writer is closed",
          ReasonCode.UnspecifiedError,
        ),
      );
    }
    const writer = this.#writer;
    const desired = writer.desiredSize;
    if (this.#batches.length === 0 && (desired === null || desired > 0)) {
      // The stream wants a chunk (or has failed, and says so): no waiting.
      let bytes: Uint8Array;
      try {
        bytes = this.#encoder.encode(packet);
      } catch (error) {
        return Promise.reject(error);
      }
      return writer.write(bytes).catch(failedWrite);
    }
    // The stream is busy: the packet joins the last batch, encoded into
    // what is left of its buffer.
    let batch = this.#batches.at(-1);
    if (batch?.buffer === undefined) {
      batch = newBatch(this.#batchStart);
      this.#batches.push(batch);
    }
    const buffer = batch.buffer!;
    let bytes: Uint8Array;
    try {
      bytes = this.#encoder.encode(packet, buffer.subarray(batch.size));
    } catch (error) {
      return Promise.reject(error);
    }
    if (bytes.buffer !== buffer.buffer) {
      // It did not fit after the packets already there: the batch grows, up
      // to the limit; past it, the packet starts a batch of its own.
      if (batch.size > 0 && batch.size + bytes.length > BATCH_LIMIT) {
        batch = newBatch(this.#batchStart);
        this.#batches.push(batch);
      }
      const size = batch.size + bytes.length;
      if (size > BATCH_LIMIT) {
        batch.buffer = undefined;
        batch.alone = bytes;
      } else {
        if (size > batch.buffer!.length) grow(batch, size);
        batch.buffer!.set(bytes, batch.size);
      }
    }
    batch.size += bytes.length;
    this.#flushing ??= this.#flush();
    return batch.done;
  }

  /**
   * Writes every packet already accepted by {@linkcode PacketWriter.write},
   * then closes the stream.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { PacketWriter } from "@mqtt/codec";
   *
   * let closed = false;
   * const writer = new PacketWriter(
   *   new WritableStream({
   *     close() {
   *       closed = true;
   *     },
   *   }),
   * );
   * writer.write({ type: "pingreq" });
   * await writer.close();
   * assertEquals(closed, true);
   * ```
   */
  close(): Promise<void> {
    if (this.#aborted) {
      return Promise.reject(
        new MqttError(
          "PacketWriter: cannot close: the writer was aborted",
          ReasonCode.UnspecifiedError,
        ),
      );
    }
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await this.#flushing;
    try {
      await this.#writer.close();
    } catch {
      // The stream closed or failed before (the peer closed the
      // connection, a reset, the reader's cancel()): nothing is left to
      // close, and a write lost with it was rejected already. A stream's
      // close() rejects only once it is closed or errored, so `closed` has
      // settled.
      await this.#writer.closed.then(noop, noop);
    }
  }

  /**
   * Aborts the stream: packets not yet handed to it are dropped, and their
   * writes reject with {@linkcode MqttError} (whose `cause` is `reason`).
   * It never rejects: a stream that failed already is as good as aborted.
   *
   * @param reason Passed to the stream's `abort`.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { PacketWriter } from "@mqtt/codec";
   *
   * let reason: unknown;
   * const writer = new PacketWriter(
   *   new WritableStream({
   *     abort(why) {
   *       reason = why;
   *     },
   *   }),
   * );
   * await writer.abort("bye");
   * assertEquals(reason, "bye");
   * ```
   */
  async abort(reason?: unknown): Promise<void> {
    this.#closed = true;
    this.#aborted = true;
    this.#rejectBatches(
      new MqttError("PacketWriter: aborted", ReasonCode.UnspecifiedError, {
        cause: reason,
      }),
    );
    abortingWith(reason);
    try {
      await this.#writer.abort(reason);
    } catch {
      // already failed or closed: nothing left to abort
    }
  }

  async #flush(): Promise<void> {
    const writer = this.#writer;
    while (this.#batches.length > 0) {
      try {
        await writer.ready;
      } catch (error) {
        this.#rejectBatches(connectionError(error, CANNOT_WRITE));
        break;
      }
      const batch = this.#batches.shift();
      if (batch === undefined) break;
      // empty when the only packet meant for it was invalid
      if (batch.size === 0) continue;
      this.#batchStart = startFor(batch.size);
      writer.write(chunkOf(batch)).then(
        batch.resolve,
        (error) => batch.reject(connectionError(error, CANNOT_WRITE)),
      );
    }
    this.#flushing = undefined;
  }

  #rejectBatches(reason: unknown): void {
    const batches = this.#batches;
    this.#batches = [];
    for (const batch of batches) batch.reject(reason);
  }
}

const CANNOT_WRITE =
  "PacketWriter: cannot write: the stream failed or was closed";

function noop(): void {}

/** Rethrows a failure of the stream as an {@linkcode MqttError}. */
function failedWrite(error: unknown): never {
  throw connectionError(error, CANNOT_WRITE);
}
