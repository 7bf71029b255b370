/**
 * Bun's own TCP client (`Bun.connect`) as the two web streams PacketReader
 * and PacketWriter take. Bun hands out a socket's data by callback and its
 * `write` may take only part of a chunk (the rest waits for `drain`), so the
 * adapter queues what arrives, pauses the socket while the stream is full,
 * and writes each chunk to its last byte.
 *
 * Deno type-checks this folder without Bun's types, so the part of Bun's API
 * used here is declared below.
 *
 * @module
 */

/** A Bun TCP socket: the members these tests use. */
export interface BunSocket {
  /** Writes what it can; returns how many bytes it took. */
  write(data: Uint8Array): number;
  /** Closes gracefully (FIN once the written data is sent). */
  end(): void;
  /** Closes at once. */
  terminate(): void;
  pause(): void;
  resume(): void;
}

interface BunSocketHandler {
  data(socket: BunSocket, data: Uint8Array): void;
  drain(socket: BunSocket): void;
  end(socket: BunSocket): void;
  close(socket: BunSocket, error?: Error): void;
  error(socket: BunSocket, error: Error): void;
}

/** `Bun`, the global of the Bun runtime: the members these tests use. */
export interface BunGlobal {
  version: string;
  connect(options: {
    hostname: string;
    port: number;
    socket: BunSocketHandler;
  }): Promise<BunSocket>;
}

/** The `Bun` global; throws outside Bun. */
export function bun(): BunGlobal {
  const global = (globalThis as { Bun?: BunGlobal }).Bun;
  if (global === undefined) throw new Error("not running in Bun");
  return global;
}

/** A connected Bun socket and its two streams. */
export interface BunTcpStreams {
  socket: BunSocket;
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

/** Connects to `hostname:port` with `Bun.connect`; resolves once socket. */
export async function bunTcpStreams(
  hostname: string,
  port: number,
): Promise<BunTcpStreams> {
  let incoming!: ReadableStreamDefaultController<Uint8Array>;
  // The socket while it is paused because the stream is full.
  let paused: BunSocket | undefined;
  let ended = false;
  const end = (error?: Error) => {
    if (ended) return;
    ended = true;
    if (error) incoming.error(error);
    else incoming.close();
    drained.reject(error ?? new Error("Bun socket: closed"));
  };
  // Settled by the next `drain`, or by the socket closing first.
  let drained = Promise.withResolvers<void>();
  drained.promise.catch(() => {});
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      incoming = controller;
    },
    pull() {
      paused?.resume();
      paused = undefined;
    },
    cancel() {
      ended = true;
      socket.end();
    },
  }, { highWaterMark: 4 });
  const socket = await bun().connect({
    hostname,
    port,
    socket: {
      data(socket, data) {
        if (ended) return;
        incoming.enqueue(data);
        if ((incoming.desiredSize ?? 1) <= 0) {
          paused = socket;
          socket.pause();
        }
      },
      drain() {
        drained.resolve();
      },
      end: () => end(),
      close: (_socket, error) => end(error),
      error: (_socket, error) => end(error),
    },
  });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      let sent = socket.write(chunk);
      while (sent < chunk.length) {
        drained = Promise.withResolvers<void>();
        drained.promise.catch(() => {});
        if (ended) throw new Error("Bun socket: closed");
        await drained.promise;
        sent += socket.write(chunk.subarray(sent));
      }
    },
    close() {
      socket.end();
    },
    abort() {
      socket.terminate();
    },
  });
  return { socket, readable, writable };
}
