/**
 * The parts of web streams that the readers and writers use, typed by their
 * shape: a `ReadableStream<Uint8Array>` or `WritableStream<Uint8Array>` of
 * any runtime fits, whichever declarations describe it (the DOM's, Deno's,
 * or Node's `stream/web`, which differ in details these never touch).
 *
 * @module
 */

/**
 * What {@linkcode PacketReader} and the other readers need of a
 * `ReadableStream<Uint8Array>`: a reader. Any web-standard readable stream
 * of bytes has this shape, whatever declarations type it: a Deno
 * connection's `readable`, Node's `Readable.toWeb(socket)`, a `fetch` body.
 *
 * @example Usage
 * ```ts
 * import type { ReadableStreamLike } from "@mqtt/codec";
 *
 * const bytes: ReadableStreamLike = ReadableStream.from([new Uint8Array([0xc0, 0])]);
 * ```
 */
export interface ReadableStreamLike {
  /** Locks the stream to a reader. */
  getReader(): ReadableStreamReaderLike;
}

/**
 * The reader of a {@linkcode ReadableStreamLike}: the part of
 * `ReadableStreamDefaultReader<Uint8Array>` that the readers use.
 *
 * @example Usage
 * ```ts
 * import type { ReadableStreamReaderLike } from "@mqtt/codec";
 *
 * const reader: ReadableStreamReaderLike = ReadableStream.from([new Uint8Array([0xc0, 0])])
 *   .getReader();
 * await reader.read();
 * ```
 */
export interface ReadableStreamReaderLike {
  /** The next chunk, or `done` at the end of the stream. */
  read(): Promise<
    { done: false; value: Uint8Array } | { done: true; value?: unknown }
  >;
  /** Cancels the stream. */
  cancel(reason?: unknown): Promise<void>;
  /** Unlocks the stream. */
  releaseLock(): void;
}

/**
 * What {@linkcode PacketWriter} needs of a `WritableStream<Uint8Array>`: a
 * writer. Any web-standard writable stream of bytes has this shape, whatever
 * declarations type it: a Deno connection's `writable`, Node's
 * `Writable.toWeb(socket)`, a `TransformStream`'s writable side.
 *
 * @example Usage
 * ```ts
 * import type { WritableStreamLike } from "@mqtt/codec";
 *
 * const sink: WritableStreamLike = new WritableStream<Uint8Array>();
 * ```
 */
export interface WritableStreamLike {
  /** Locks the stream to a writer. */
  getWriter(): WritableStreamWriterLike;
}

/**
 * The writer of a {@linkcode WritableStreamLike}: the part of
 * `WritableStreamDefaultWriter<Uint8Array>` that the writers use.
 *
 * @example Usage
 * ```ts
 * import type { WritableStreamWriterLike } from "@mqtt/codec";
 *
 * const writer: WritableStreamWriterLike = new WritableStream<Uint8Array>().getWriter();
 * await writer.write(new Uint8Array([0xc0, 0]));
 * ```
 */
export interface WritableStreamWriterLike {
  /** Settles when the stream closes (resolves) or errors (rejects). */
  readonly closed: Promise<unknown>;
  /** How much the stream wants before it is full; `null` once it failed. */
  readonly desiredSize: number | null;
  /** Resolves when the stream wants more. */
  readonly ready: Promise<unknown>;
  /** Writes a chunk. */
  write(chunk: Uint8Array): Promise<void>;
  /** Closes the stream after what was written. */
  close(): Promise<void>;
  /** Aborts the stream, dropping what was not yet written. */
  abort(reason?: unknown): Promise<void>;
  /** Unlocks the stream. */
  releaseLock(): void;
}
