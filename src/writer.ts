/**
 * Writing packets to a byte stream: {@linkcode PacketWriter} wraps any
 * `WritableStream<Uint8Array>`, {@linkcode PacketEncoderStream} is the same
 * encoding as a transform stream for `pipeThrough`.
 *
 * @module
 */

import { MqttError } from "./error.ts";
import type { Packet, PacketType, ProtocolVersion } from "./packet.ts";
import {
  checkMaximumOption,
  checkVersionOption,
  encode,
  encodeInto,
} from "./codec.ts";

const UNSPECIFIED_ERROR = 0x80;
const PROTOCOL_ERROR = 0x82;
const PACKET_TOO_LARGE = 0x95;

/**
 * Packets written while the sink is busy are joined into chunks of up to
 * this many bytes: one write to the sink (one system call on TCP) instead of
 * one per packet.
 */
const BATCH_LIMIT = 65_536;

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

/** Encodes packets with the writer's version and the peer's size limit. */
class Encoder {
  version: ProtocolVersion;
  maximum: number;
  readonly #where: string;

  constructor(options: PacketWriterOptions | undefined, where: string) {
    this.#where = where;
    this.version = checkVersionOption(options?.protocolVersion, where) ?? 5;
    this.maximum = checkMaximumOption(options?.maximumPacketSize, where);
  }

  setVersion(version: unknown): void {
    // unlike the option, a version set later must be named: 4 or 5
    this.version = checkVersionOption(version ?? null, this.#where)!;
  }

  setMaximum(maximum: unknown): void {
    this.maximum = checkMaximumOption(maximum, this.#where);
  }

  /** The bytes of `packet`; throws {@linkcode MqttError} and changes nothing when it cannot be sent. */
  encode(packet: Packet, into?: Uint8Array): Uint8Array {
    let bytes: Uint8Array | undefined;
    let tooLarge: unknown;
    try {
      const options = { protocolVersion: this.version };
      bytes = into === undefined
        ? encode(packet, options)
        : encodeInto(packet, into, options);
    } catch (error) {
      // Past the protocol's own limit the Remaining Length cannot be written;
      // dropping the droppable properties may still bring the packet under.
      if (
        !(error instanceof MqttError) || error.reasonCode !== PACKET_TOO_LARGE
      ) {
        throw error;
      }
      tooLarge = error;
    }
    if (bytes === undefined || bytes.length > this.maximum) {
      bytes = this.#shrink(packet, bytes?.length, tooLarge);
    }
    if (packet.type === "connect") this.version = packet.protocolVersion;
    return bytes;
  }

  /** Leaves out the Reason String, the User Properties, or both, whichever first fits. */
  #shrink(
    packet: Packet,
    size: number | undefined,
    error: unknown,
  ): Uint8Array {
    const rules = DROPPABLE[packet.type];
    if (rules !== undefined && this.version === 5) {
      const fields = packet as {
        reasonString?: string;
        userProperties?: unknown;
      };
      const attempts: (keyof typeof fields)[][] = [];
      if (fields.reasonString !== undefined) attempts.push(["reasonString"]);
      if (fields.userProperties !== undefined) {
        attempts.push(["userProperties"]);
        if (fields.reasonString !== undefined) {
          attempts.push(["reasonString", "userProperties"]);
        }
      }
      for (const drop of attempts) {
        const smaller = { ...packet } as Packet & typeof fields;
        for (const field of drop) delete smaller[field];
        let bytes: Uint8Array;
        try {
          bytes = encode(smaller, { protocolVersion: this.version });
        } catch {
          continue; // still past the protocol's own limit: drop more
        }
        if (bytes.length <= this.maximum) return bytes;
      }
    }
    if (size === undefined) throw error;
    const name = packet.type.toUpperCase();
    throw new MqttError(
      `${name}: the packet is ${size} bytes, above the peer's maximum packet size of ${this.maximum}${
        rules !== undefined && this.version === 5
          ? " even without its Reason String and User Properties"
          : ""
      } [MQTT-3.1.2-24] [MQTT-3.2.2-15]`,
      PACKET_TOO_LARGE,
    );
  }
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

function newBatch(): Batch {
  // Not Promise.withResolvers: Node 20 lacks it.
  let resolve!: () => void;
  let reject!: (reason: unknown) => void;
  const done = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return {
    buffer: new Uint8Array(BATCH_LIMIT),
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
  // A sink may keep its chunks: a few packets do not pin the whole buffer.
  return batch.size < BATCH_LIMIT / 4
    ? batch.buffer.slice(0, batch.size)
    : batch.buffer.subarray(0, batch.size);
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
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #encoder: Encoder;
  /** Batches waiting for the stream to be ready, oldest first. */
  #batches: Batch[] = [];
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
    writable: WritableStream<Uint8Array>,
    options?: PacketWriterOptions,
  ) {
    this.#encoder = new Encoder(options, "PacketWriter");
    // Duck-typed: a stream from another realm or a polyfill is a stream too.
    if (
      typeof (writable as Partial<WritableStream>)?.getWriter !== "function"
    ) {
      throw new MqttError(
        `PacketWriter: expected a WritableStream, got ${
          writable === null ? "null" : typeof writable
        }`,
        PROTOCOL_ERROR,
      );
    }
    try {
      this.#writer = writable.getWriter();
    } catch (error) {
      throw new MqttError(
        "PacketWriter: the stream is locked: another writer holds it",
        PROTOCOL_ERROR,
        { cause: error },
      );
    }
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
    if (flushing === undefined) return this.#writer.ready;
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
   * An error of the stream rejects as it is.
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
          UNSPECIFIED_ERROR,
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
      return writer.write(bytes);
    }
    // The stream is busy: the packet joins the last batch, encoded into
    // what is left of its buffer.
    let batch = this.#batches.at(-1);
    if (batch?.buffer === undefined) {
      batch = newBatch();
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
      // It did not fit after the packets already there: a batch of its own.
      if (batch.size > 0) {
        batch = newBatch();
        this.#batches.push(batch);
      }
      if (bytes.length <= BATCH_LIMIT) {
        batch.buffer!.set(bytes);
      } else {
        batch.buffer = undefined;
        batch.alone = bytes;
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
          UNSPECIFIED_ERROR,
        ),
      );
    }
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await this.#flushing;
    await this.#writer.close();
  }

  /**
   * Aborts the stream: packets not yet handed to it are dropped, and their
   * writes reject with `reason`.
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
    this.#rejectBatches(reason);
    await this.#writer.abort(reason);
  }

  async #flush(): Promise<void> {
    const writer = this.#writer;
    while (this.#batches.length > 0) {
      try {
        await writer.ready;
      } catch (error) {
        this.#rejectBatches(error);
        break;
      }
      const batch = this.#batches.shift();
      if (batch === undefined) break;
      // empty when the only packet meant for it was invalid
      if (batch.size === 0) continue;
      writer.write(chunkOf(batch)).then(batch.resolve, batch.reject);
    }
    this.#flushing = undefined;
  }

  #rejectBatches(reason: unknown): void {
    const batches = this.#batches;
    this.#batches = [];
    for (const batch of batches) batch.reject(reason);
  }
}

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
  readonly #encoder: Encoder;

  /**
   * Makes an encoder.
   *
   * @param options The protocol version and the peer's maximum packet size.
   * @throws {MqttError} When an option is invalid.
   */
  constructor(options?: PacketEncoderStreamOptions) {
    const encoder = new Encoder(options, "PacketEncoderStream");
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
