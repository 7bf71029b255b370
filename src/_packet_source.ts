/**
 * The pull side shared by {@linkcode PacketReader} and
 * {@linkcode PacketDecoderStream}: a {@linkcode PacketParser} fed from a
 * byte stream, which is read only when the parser holds no whole packet.
 *
 * @module
 */

import {
  abortingWith,
  checkParserOptions,
  closedByThisSide,
  connectionError,
  isArrayBuffer,
  notBytes,
} from "./_common.ts";
import { MqttError } from "./error.ts";
import type { Packet } from "./packet.ts";
import { PacketParser, type PacketParserOptions } from "./packet_parser.ts";
import type {
  ReadableStreamLike,
  ReadableStreamReaderLike,
} from "./stream_like.ts";
import { ReasonCode } from "./reason_code.ts";

/**
 * Packets of a byte stream, one read at a time. How the stream's end maps
 * to the reads (the lifecycle README.md documents):
 *
 * - the stream ends at a packet boundary: reads return `undefined`;
 * - it ends inside a packet, or a packet is malformed: reads throw the
 *   parser's {@linkcode MqttError}, after every packet before it;
 * - {@linkcode PacketSource.cancel}: pending and later reads return
 *   `undefined`;
 * - the stream fails because this side closed the connection under it
 *   (see `closedByThisSide`), or right after the peer's DISCONNECT: reads
 *   return `undefined`, as the connection was meant to end;
 * - it fails otherwise: reads throw an `MqttError` whose `cause` is the
 *   stream's error.
 */
export class PacketSource {
  readonly parser: PacketParser;
  readonly #where: string;
  readonly #reader: ReadableStreamReaderLike;
  /** Reads waiting in line for the stream; the fast path runs only when none are. */
  #waiting = 0;
  #tail: Promise<unknown> = Promise.resolve();
  /** The stream said it ended, or failed: it is not read again. */
  #done = false;
  #cancelled = false;
  /** The stream's failure, thrown to every later read. */
  #error: MqttError | undefined;
  /** Whether the last packet handed out was a DISCONNECT. */
  #afterDisconnect = false;

  constructor(
    readable: ReadableStreamLike,
    options: PacketParserOptions | undefined,
    where: string,
  ) {
    this.#where = where;
    checkParserOptions(options, where); // so that errors name the caller
    this.parser = new PacketParser(options);
    // Duck-typed: a stream from another realm or a polyfill is a stream too.
    if (
      typeof (readable as Partial<ReadableStreamLike>)?.getReader !==
        "function"
    ) {
      throw new MqttError(
        `${where}: expected a ReadableStream, got ${
          readable === null ? "null" : typeof readable
        }`,
        ReasonCode.ProtocolError,
      );
    }
    try {
      this.#reader = readable.getReader();
    } catch (error) {
      throw new MqttError(
        `${where}: the stream is locked: another reader holds it`,
        ReasonCode.ProtocolError,
        { cause: error },
      );
    }
  }

  /** The next packet, or `undefined` at the end of the stream. */
  read(): Promise<Packet | undefined> {
    let packet: Packet | undefined;
    try {
      packet = this.#ready();
    } catch (error) {
      return Promise.reject(error);
    }
    if (packet !== undefined) return Promise.resolve(packet);
    this.#waiting++;
    const next = this.#tail.then(() => this.#pull());
    this.#tail = next.then(noop, noop);
    return next.finally(() => this.#waiting--);
  }

  /** {@linkcode PacketSource.read} as an iterator result. */
  next(): Promise<IteratorResult<Packet, undefined>> {
    let packet: Packet | undefined;
    try {
      packet = this.#ready();
    } catch (error) {
      return Promise.reject(error);
    }
    if (packet !== undefined) {
      return Promise.resolve({ done: false, value: packet });
    }
    return this.read().then(toResult);
  }

  /** Stops reading and cancels the stream; never rejects. */
  async cancel(reason?: unknown): Promise<void> {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#done = true;
    abortingWith(reason);
    try {
      await this.#reader.cancel(reason);
    } catch {
      // The stream failed or was closed already: there is nothing left to
      // cancel, and its error is no news to a caller who is done with it.
    }
  }

  /**
   * The fast path: the next packet when the parser holds a whole one and no
   * read waits in line before; throws the parser's error.
   */
  #ready(): Packet | undefined {
    if (this.#waiting !== 0 || this.#cancelled) return undefined;
    return this.#take();
  }

  /** The parser's next packet, noting whether it is a DISCONNECT. */
  #take(): Packet | undefined {
    const packet = this.parser.next();
    if (packet !== undefined) {
      this.#afterDisconnect = packet.type === "disconnect";
    }
    return packet;
  }

  async #pull(): Promise<Packet | undefined> {
    while (true) {
      if (this.#cancelled) return undefined;
      const packet = this.#take();
      if (packet !== undefined) return packet;
      if (this.#error !== undefined) throw this.#error;
      if (this.#done) return undefined;
      let result;
      try {
        result = await this.#reader.read();
      } catch (error) {
        this.#done = true;
        if (this.#cancelled || this.#meantToEnd(error)) return undefined;
        this.#error = connectionError(
          error,
          `${this.#where}: the connection failed`,
        );
        continue;
      }
      if (this.#cancelled) return undefined;
      if (result.done) {
        this.#done = true;
        try {
          this.parser.end();
        } catch {
          // thrown again by next(), after the whole packets before it
        }
        continue;
      }
      const chunk: unknown = result.value;
      if (chunk instanceof Uint8Array || isArrayBuffer(chunk)) {
        this.parser.push(chunk);
      } else {
        this.#done = true;
        this.#error = notBytes(chunk, this.#where);
      }
    }
  }

  /** Whether a failure of the stream is the end the connection was meant to have. */
  #meantToEnd(error: unknown): boolean {
    if (closedByThisSide(error)) return true;
    // The peer sent DISCONNECT and dropped the connection, as it must
    // (section 3.14.4): however it dropped it, nothing was lost.
    return this.#afterDisconnect && this.parser.bufferedBytes === 0;
  }
}

function noop(): void {}

function toResult(
  packet: Packet | undefined,
): IteratorResult<Packet, undefined> {
  return packet === undefined
    ? { done: true, value: undefined }
    : { done: false, value: packet };
}
