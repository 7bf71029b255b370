/**
 * {@linkcode PacketParser}: the synchronous push parser under every reader.
 *
 * @module
 */

import {
  checkParserOptions,
  isArrayBuffer,
  located,
  locatedError,
  notBytes,
} from "./_common.ts";
import { PayloadSlab } from "./_payload_slab.ts";
import {
  checkMaximumOption,
  decodePacket,
  PACKET_NAMES,
  packetSize,
} from "./codec.ts";
import { MqttError } from "./error.ts";
import type { Packet, ProtocolVersion } from "./packet.ts";
import { ReasonCode } from "./reason_code.ts";

/**
 * A split packet up to this size gets a buffer of its exact size as soon as
 * its fixed header is known. A larger one gets a buffer that grows with the
 * bytes that actually arrive, so that a peer announcing a huge Remaining
 * Length and then trickling bytes cannot make the parser allocate it.
 */
const EAGER_LIMIT = 65_536;

const EMPTY = new Uint8Array(0);

/**
 * Options of {@linkcode PacketParser}, and of the readers built on it.
 *
 * @example Usage
 * ```ts
 * import type { PacketParserOptions } from "@mqtt/codec";
 * const options: PacketParserOptions = {
 *   protocolVersion: 5,
 *   maximumPacketSize: 65_536,
 *   copyPayloads: true,
 * };
 * ```
 */
export interface PacketParserOptions {
  /**
   * The version to decode with. Without it, a CONNECT read first sets the
   * version to its own, and anything else means 5 (MQTT 5.0). A client
   * reading a server's packets over an older version must set it, since the
   * server's first packet (CONNACK) does not carry a version.
   */
  protocolVersion?: ProtocolVersion;
  /**
   * The largest packet accepted, in bytes, fixed header included (default
   * and upper bound: {@linkcode MAXIMUM_PACKET_SIZE}). A larger packet is
   * rejected from its fixed header, before its body is buffered, with
   * {@linkcode MqttError} 0x95 Packet too large.
   */
  maximumPacketSize?: number;
  /**
   * Whether binary fields are copied out of the chunks. By default
   * (`false`) a payload, password, Correlation Data or Authentication Data
   * is a view into the chunk it arrived in: no copy, but keeping it keeps
   * the whole chunk alive (a 1-byte payload can hold a 64 KiB socket
   * buffer). With `true`, every such field whose buffer is more than twice
   * its own size is copied as it is decoded: one of up to 512 bytes into a
   * 4 KiB slab it shares with the fields copied after it (one allocation
   * per slab, not per field), a larger one into a buffer of its own. So
   * nothing kept holds more than 4 KiB or twice its size: for programs that
   * store what they read (retained messages, queued messages, sessions).
   */
  copyPayloads?: boolean;
}

/**
 * Frames and decodes MQTT packets from bytes pushed into it, synchronously
 * and lazily: the parser for sockets that hand out their data by callback
 * (Node's `socket.on("data")`, Bun's socket `data` handler and
 * `Bun.serve`'s `websocket.message`, a WebSocket `message` event, a Durable
 * Object's `webSocketMessage`), and the engine of {@linkcode PacketReader}.
 *
 * {@linkcode PacketParser.push} only queues the bytes;
 * {@linkcode PacketParser.next} decodes the next whole packet when asked
 * and returns `undefined` when the bytes so far hold no more. So packet N
 * is handed out before packet N + 1 is decoded: the first packet of a
 * 64 MiB chunk comes at once, and a program that stops asking stops the
 * decoding. No promise per packet: it is the fastest way to read.
 *
 * Framing, limits and errors are those of {@linkcode PacketReader}: any
 * chunking, a packet over `maximumPacketSize` refused from its fixed header,
 * payloads that are views of the chunk (unless `copyPayloads`). A malformed
 * packet makes `next()` throw {@linkcode MqttError} after every packet
 * before it was returned, and again on every later call; the error names
 * the byte offset in the stream.
 *
 * @example Parsing the chunks a socket hands out
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encode, PacketParser } from "@mqtt/codec";
 *
 * const bytes = new Uint8Array([
 *   ...encode({ type: "pingreq" }),
 *   ...encode({ type: "puback", packetId: 7 }),
 * ]);
 * const parser = new PacketParser();
 * const types: string[] = [];
 * // As a socket's "data" callback would: two chunks, split inside a packet.
 * for (const chunk of [bytes.subarray(0, 3), bytes.subarray(3)]) {
 *   for (const packet of parser.parse(chunk)) types.push(packet.type);
 * }
 * parser.end(); // throws MqttError when the stream ended inside a packet
 * assertEquals(types, ["pingreq", "puback"]);
 * ```
 *
 * @example A WebSocket client, callback style (any runtime's `WebSocket`)
 * ```ts ignore
 * import { MqttError, PacketParser } from "@mqtt/codec";
 *
 * const socket = new WebSocket("ws://127.0.0.1:8080", "mqtt");
 * socket.binaryType = "arraybuffer";
 * const parser = new PacketParser();
 * socket.addEventListener("message", (event) => {
 *   try {
 *     for (const packet of parser.parse(event.data)) console.log(packet.type);
 *   } catch (error) {
 *     if (!(error instanceof MqttError)) throw error;
 *     socket.close(1002); // after a DISCONNECT with error.reasonCode in MQTT 5
 *   }
 * });
 * ```
 */
export class PacketParser {
  #version: ProtocolVersion;
  #versionKnown: boolean;
  #maximum: number;
  /** Where binary fields are copied to with `copyPayloads`, else `undefined`. */
  readonly #copies: PayloadSlab | undefined;
  /** The chunk being read and where in it the next packet starts. */
  #chunk: Uint8Array = EMPTY;
  #offset = 0;
  /** Chunks pushed after `#chunk`, oldest first (`#queue[#queueHead..]`). */
  #queue: (Uint8Array | MqttError)[] = [];
  #queueHead = 0;
  /** Bytes in `#queue`. */
  #queued = 0;
  /** The first bytes of a packet whose fixed header is split over chunks. */
  readonly #head = new Uint8Array(5);
  #headLength = 0;
  /** The packet being assembled from several chunks, and its size. */
  #buffer: Uint8Array | undefined;
  #filled = 0;
  #size = 0;
  /** Stream offset of the first byte of the next packet. */
  #position = 0;
  #ended = false;
  /** The error for a stream that ended inside a packet, found by `end()`. */
  #endError: MqttError | undefined;
  /** The error that stopped the parser, thrown by every later `next()`. */
  #error: unknown;
  #failed = false;

  /**
   * Makes a parser for one connection's bytes.
   *
   * @param options The protocol version, the maximum packet size, and
   * whether to copy binary fields out of the chunks.
   * @throws {MqttError} When an option is invalid.
   */
  constructor(options?: PacketParserOptions) {
    const checked = checkParserOptions(options, "PacketParser");
    this.#version = checked.version ?? 5;
    this.#versionKnown = checked.version !== undefined;
    this.#maximum = checked.maximum;
    this.#copies = checked.copy ? new PayloadSlab() : undefined;
  }

  /**
   * The version packets are decoded with: the `protocolVersion` option, else
   * that of a CONNECT read first, else 5.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { encode, PacketParser } from "@mqtt/codec";
   *
   * const parser = new PacketParser();
   * parser.push(encode({
   *   type: "connect",
   *   protocolVersion: 4,
   *   clientId: "c1",
   *   cleanStart: true,
   *   keepAlive: 60,
   * }));
   * assertEquals(parser.protocolVersion, 5);
   * parser.next();
   * assertEquals(parser.protocolVersion, 4);
   * ```
   */
  get protocolVersion(): ProtocolVersion {
    return this.#version;
  }

  /**
   * The largest packet accepted, in bytes (the `maximumPacketSize` option).
   * Setting it applies to every packet whose fixed header has not been
   * read yet: a server can take a small first packet (the CONNECT of a
   * client not yet authenticated), then raise the limit once it has
   * accepted the connection.
   *
   * @throws {MqttError} (when set) For a value that is not a positive
   * integer (one above {@linkcode MAXIMUM_PACKET_SIZE} means that size).
   *
   * @example Usage
   * ```ts
   * import { assertEquals, assertThrows } from "@std/assert";
   * import { encode, MqttError, PacketParser } from "@mqtt/codec";
   *
   * const parser = new PacketParser({ maximumPacketSize: 64 });
   * const publish = encode({
   *   type: "publish",
   *   topic: "a",
   *   payload: new Uint8Array(100),
   *   qos: 0,
   *   retain: false,
   *   dup: false,
   * });
   * parser.push(publish);
   * assertThrows(() => parser.next(), MqttError, "above the maximum packet size");
   *
   * const raised = new PacketParser({ maximumPacketSize: 64 });
   * raised.maximumPacketSize = 1_024; // the CONNECT was accepted, say
   * raised.push(publish);
   * assertEquals(raised.next()?.type, "publish");
   * ```
   */
  get maximumPacketSize(): number {
    return this.#maximum;
  }

  /** Sets the largest packet accepted from the next fixed header on. */
  set maximumPacketSize(maximum: number) {
    this.#maximum = checkMaximumOption(maximum, "PacketParser");
  }

  /**
   * How many bytes pushed are not yet part of a packet handed out: the
   * unread rest of the chunks and an unfinished packet. A program that
   * pushes faster than it reads can watch it (and pause its socket).
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { encode, PacketParser } from "@mqtt/codec";
   *
   * const parser = new PacketParser();
   * parser.push(encode({ type: "pingreq" }));
   * parser.push(encode({ type: "pingresp" }));
   * assertEquals(parser.bufferedBytes, 4);
   * parser.next();
   * assertEquals(parser.bufferedBytes, 2);
   * ```
   */
  get bufferedBytes(): number {
    return this.#chunk.length - this.#offset + this.#queued +
      (this.#buffer !== undefined ? this.#filled : this.#headLength);
  }

  /**
   * Queues a chunk of the stream. Nothing is decoded yet (see
   * {@linkcode PacketParser.next}), and the chunk is never written to:
   * packets decoded from it hold views of it. A chunk that is not bytes
   * (a WebSocket text message, say) is an error that
   * {@linkcode PacketParser.next} throws when it gets there.
   *
   * @param chunk The next bytes of the stream: a `Uint8Array` (a Node
   * `Buffer` is one) or an `ArrayBuffer`, as WebSocket messages are.
   * @throws {MqttError} When called after {@linkcode PacketParser.end}.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { encode, PacketParser } from "@mqtt/codec";
   *
   * const parser = new PacketParser();
   * parser.push(encode({ type: "pingreq" }));
   * parser.push(new Uint8Array([0xd0, 0x00]).buffer); // a WebSocket message
   * assertEquals(parser.next(), { type: "pingreq" });
   * assertEquals(parser.next(), { type: "pingresp" });
   * assertEquals(parser.next(), undefined);
   * ```
   */
  push(chunk: Uint8Array | ArrayBuffer): void {
    if (this.#ended) {
      throw new MqttError(
        "PacketParser: cannot push: end() was called, the stream is over",
        ReasonCode.UnspecifiedError,
      );
    }
    if (this.#failed) return; // nothing after the error can be read
    let bytes: Uint8Array | MqttError;
    if (chunk instanceof Uint8Array) bytes = chunk;
    else if (isArrayBuffer(chunk)) bytes = new Uint8Array(chunk);
    else bytes = notBytes(chunk, "PacketParser");
    if (bytes instanceof Uint8Array && bytes.length === 0) return;
    if (this.#offset === this.#chunk.length && this.#queued === 0) {
      if (this.#queueHead === this.#queue.length) {
        if (bytes instanceof Uint8Array) {
          this.#chunk = bytes;
          this.#offset = 0;
          return;
        }
      }
    }
    this.#queue.push(bytes);
    if (bytes instanceof Uint8Array) this.#queued += bytes.length;
  }

  /**
   * Decodes and returns the next packet, or `undefined` when the bytes
   * pushed so far hold no further whole packet (push more, then call again).
   *
   * @returns The next packet, or `undefined` when more bytes are needed, or
   * when the stream has ended.
   * @throws {MqttError} When the next bytes are not a valid packet, or the
   * stream ended inside one; and again on every later call.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { encode, PacketParser } from "@mqtt/codec";
   *
   * const parser = new PacketParser();
   * parser.push(encode({ type: "pingreq" }));
   * parser.push(encode({ type: "pingresp" }));
   * assertEquals(parser.next(), { type: "pingreq" });
   * assertEquals(parser.next(), { type: "pingresp" });
   * assertEquals(parser.next(), undefined);
   * ```
   */
  next(): Packet | undefined {
    if (this.#failed) throw this.#error;
    try {
      while (true) {
        const chunk = this.#chunk;
        const end = chunk.length;
        const offset = this.#offset;
        if (offset < end) {
          if (this.#buffer === undefined && this.#headLength === 0) {
            // The common case: a packet starts here.
            const size = frame(chunk, offset, end);
            if (size !== -1) {
              if (size > this.#maximum) this.#tooLarge(size, chunk[offset]);
              const stop = offset + size;
              if (stop <= end) {
                this.#offset = stop;
                return this.#decode(chunk, offset, stop);
              }
              this.#start(size, chunk, offset, end);
            } else {
              this.#head.set(chunk.subarray(offset, end));
              this.#headLength = end - offset;
              this.#offset = end;
            }
          } else {
            const packet = this.#continue(chunk, offset, end);
            if (packet !== undefined) return packet;
          }
          continue;
        }
        if (this.#queueHead < this.#queue.length) {
          this.#shift();
          continue;
        }
        this.#chunk = EMPTY;
        this.#offset = 0;
        if (this.#endError !== undefined) throw this.#endError;
        return undefined;
      }
    } catch (error) {
      this.#fail(error);
      throw this.#error;
    }
  }

  /**
   * Pushes a chunk and iterates over the packets the bytes so far complete,
   * decoding each when the loop asks for it. Leaving the loop early leaves
   * the rest for {@linkcode PacketParser.next} or the next `parse`.
   *
   * @param chunk The next bytes of the stream.
   * @returns An iterable of the packets completed.
   * @throws {MqttError} (from the iteration) When a packet is malformed,
   * after every packet before it.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { encode, PacketParser } from "@mqtt/codec";
   *
   * const parser = new PacketParser();
   * const bytes = encode({ type: "puback", packetId: 1 });
   * assertEquals([...parser.parse(bytes.subarray(0, 2))], []);
   * assertEquals([...parser.parse(bytes.subarray(2))], [
   *   { type: "puback", packetId: 1, reasonCode: 0 },
   * ]);
   * ```
   */
  parse(chunk: Uint8Array | ArrayBuffer): Iterable<Packet> {
    this.push(chunk);
    return this;
  }

  /**
   * Iterates over the whole packets pushed and not yet read, as
   * {@linkcode PacketParser.next} returns them.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { encode, PacketParser } from "@mqtt/codec";
   *
   * const parser = new PacketParser();
   * parser.push(encode({ type: "pingreq" }));
   * parser.push(encode({ type: "pingresp" }));
   * assertEquals([...parser].map((packet) => packet.type), ["pingreq", "pingresp"]);
   * ```
   */
  [Symbol.iterator](): Iterator<Packet, undefined> {
    return {
      next: (): IteratorResult<Packet, undefined> => {
        const packet = this.next();
        return packet === undefined
          ? { done: true, value: undefined }
          : { done: false, value: packet };
      },
    };
  }

  /**
   * Says that the stream has ended. The whole packets pushed can still be
   * read with {@linkcode PacketParser.next}; if the stream ended inside a
   * packet, `next()` then throws {@linkcode MqttError} 0x81 Malformed Packet
   * naming the bytes missing, and so does `end()` right away (it frames the
   * bytes not yet read, without decoding them: `next()` still throws the
   * faults in stream order, so a malformed packet before the cut comes
   * first). Calling it again does nothing; pushing after it throws.
   *
   * @throws {MqttError} When the stream ended inside a packet.
   *
   * @example Usage
   * ```ts
   * import { assertEquals, assertThrows } from "@std/assert";
   * import { encode, MqttError, PacketParser } from "@mqtt/codec";
   *
   * const parser = new PacketParser();
   * parser.push(encode({ type: "pingreq" }));
   * parser.push(encode({ type: "puback", packetId: 1 }).subarray(0, 3));
   * assertThrows(() => parser.end(), MqttError, "stream ended");
   * assertEquals(parser.next(), { type: "pingreq" });
   * assertThrows(() => parser.next(), MqttError, "stream ended");
   * ```
   */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#failed) return;
    this.#endError = this.#truncation();
    if (this.#endError !== undefined) throw this.#endError;
  }

  /** Moves to the next queued chunk; a queued error stops the parser there. */
  #shift(): void {
    const next = this.#queue[this.#queueHead++];
    if (this.#queueHead === this.#queue.length) {
      this.#queue = [];
      this.#queueHead = 0;
    }
    if (next instanceof MqttError) throw next;
    this.#queued -= next.length;
    this.#chunk = next;
    this.#offset = 0;
  }

  /**
   * Continues a packet whose fixed header or body is split over chunks with
   * `chunk[offset..end)`; returns it when it is whole.
   */
  #continue(
    chunk: Uint8Array,
    offset: number,
    end: number,
  ): Packet | undefined {
    if (this.#buffer === undefined) {
      const head = this.#head;
      let size = -1;
      while (size === -1 && offset < end) {
        head[this.#headLength++] = chunk[offset++];
        size = packetSize(head, 0, this.#headLength);
      }
      this.#offset = offset;
      if (size === -1) return undefined;
      if (size > this.#maximum) this.#tooLarge(size, head[0]);
      const headLength = this.#headLength;
      this.#headLength = 0;
      const rest = size - headLength;
      if (offset + rest <= end) {
        const bytes = new Uint8Array(size);
        bytes.set(head.subarray(0, headLength));
        bytes.set(chunk.subarray(offset, offset + rest), headLength);
        this.#offset = offset + rest;
        return this.#decode(bytes, 0, size);
      }
      this.#size = size;
      this.#buffer = new Uint8Array(initialCapacity(size, end - offset));
      this.#buffer.set(head.subarray(0, headLength));
      this.#filled = headLength;
    }
    return this.#fill(chunk, offset, end);
  }

  /** Starts assembling a packet of `size` bytes whose first bytes are `chunk[from..to)`. */
  #start(size: number, chunk: Uint8Array, from: number, to: number): void {
    this.#size = size;
    this.#buffer = new Uint8Array(initialCapacity(size, to - from));
    this.#filled = 0;
    this.#fill(chunk, from, to);
  }

  /** Copies the bytes the packet being assembled still needs from `chunk`; decodes it when whole. */
  #fill(chunk: Uint8Array, from: number, to: number): Packet | undefined {
    const count = Math.min(this.#size - this.#filled, to - from);
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
    this.#offset = from + count;
    if (filled < this.#size) return undefined;
    this.#buffer = undefined;
    return this.#decode(buffer, 0, filled);
  }

  /** Rejects a packet over the maximum size from its fixed header alone. */
  #tooLarge(size: number, first: number): never {
    throw new MqttError(
      `${
        PACKET_NAMES[first >> 4]
      }: the packet is ${size} bytes, above the maximum packet size of ${this.#maximum} at byte offset 0`,
      ReasonCode.PacketTooLarge,
    );
  }

  #decode(bytes: Uint8Array, start: number, stop: number): Packet {
    const packet = decodePacket(
      bytes,
      start,
      stop,
      this.#version,
      this.#copies,
    );
    if (!this.#versionKnown) {
      this.#versionKnown = true;
      if (packet.type === "connect") this.#version = packet.protocolVersion;
    }
    this.#position += stop - start;
    return packet;
  }

  /** Stops the parser with `error`, located in the stream, dropping what is held. */
  #fail(error: unknown): void {
    this.#failed = true;
    this.#error = located(error, this.#position);
    this.#chunk = EMPTY;
    this.#offset = 0;
    this.#queue = [];
    this.#queueHead = 0;
    this.#queued = 0;
    this.#buffer = undefined;
    this.#headLength = 0;
  }

  /**
   * Frames (without decoding) the bytes not yet read, to tell whether the
   * stream ended inside a packet; the error saying so, or `undefined`.
   * A framing error on the way is left for `next()` to throw in its turn.
   */
  #truncation(): MqttError | undefined {
    const head = new Uint8Array(5);
    let headLength = 0;
    // Bytes still missing of the packet in progress, and its start and size.
    let missing = 0;
    let size = 0;
    let at = this.#position;
    if (this.#buffer !== undefined) {
      size = this.#size;
      missing = size - this.#filled;
      head.set(this.#buffer.subarray(0, 1));
      at += this.#filled;
    } else if (this.#headLength > 0) {
      headLength = this.#headLength;
      head.set(this.#head.subarray(0, headLength));
      at += headLength;
    }
    const segments: (Uint8Array | MqttError)[] = [
      this.#chunk.subarray(this.#offset),
      ...this.#queue.slice(this.#queueHead),
    ];
    try {
      for (const segment of segments) {
        if (segment instanceof MqttError) return undefined;
        let i = 0;
        const end = segment.length;
        while (i < end) {
          if (missing > 0) {
            const count = Math.min(missing, end - i);
            missing -= count;
            i += count;
          } else if (headLength > 0) {
            head[headLength++] = segment[i++];
            const found = packetSize(head, 0, headLength);
            if (found !== -1) {
              size = found;
              missing = found - headLength;
              headLength = 0;
            }
          } else {
            const found = packetSize(segment, i, end);
            if (found === -1) {
              head.set(segment.subarray(i, end));
              headLength = end - i;
              i = end;
            } else {
              size = found;
              head[0] = segment[i];
              missing = Math.max(0, found - (end - i));
              i = Math.min(end, i + found);
            }
          }
          if (size > this.#maximum) return undefined;
        }
        at += end;
      }
    } catch {
      return undefined;
    }
    if (missing === 0 && headLength === 0) return undefined;
    const name = PACKET_NAMES[head[0] >> 4];
    const message = missing > 0
      ? `${name}: the stream ended inside the packet: ${missing} of its ${size} bytes are missing`
      : `${name}: the stream ended inside the fixed header after ${headLength} byte(s): at least 1 more byte is missing`;
    return locatedError(
      `${message}, at byte offset ${at} of the stream`,
      ReasonCode.MalformedPacket,
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
