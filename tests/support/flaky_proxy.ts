/**
 * A TCP proxy on 127.0.0.1 for tests that must survive a network that keeps
 * failing: it forwards each connection to a target port and cuts it at a
 * random moment, both sides at once and abruptly, and it can split the data
 * it forwards into small pieces.
 *
 * - Each connection lives a random time drawn between `minLifeMs` and
 *   `maxLifeMs` (by default 200 ms to 1.5 s) from a seeded generator: the
 *   same seed gives the same lives, in the order connections arrive.
 * - A cut closes both sockets at once, without waiting for data in flight
 *   to be delivered. With `cut: "reset"` both peers get a TCP RST (Node's
 *   `socket.resetAndDestroy()`, which Deno's `node:net` implements: the
 *   peer's read fails with ECONNRESET, "connection reset by peer"); with
 *   `cut: "close"` both get an ordinary FIN at the same moment, and a peer
 *   sees the end of its stream wherever a packet happened to be; `"mixed"`
 *   (the default) draws one or the other for each connection. Deno's own
 *   `Deno.Conn` has no way to send a RST (no SO_LINGER), hence `node:net`.
 * - With `maxChunkBytes`, data is forwarded in pieces of 1 to that many
 *   bytes (sizes seeded too), Nagle's algorithm off, one piece per turn of
 *   the event loop: packets reach the receiver split at random places. A
 *   receiver slower than the proxy reads a few pieces at once; each piece
 *   costs a turn of the loop (tens of microseconds), so keep pieces small
 *   only where the split matters.
 * - With `latencyMs`, data is held that long before it is forwarded (in
 *   order), as on a long link: a peer's acknowledgement comes back two
 *   latencies after its message left, so a sender that keeps a window of
 *   messages in flight (MQTT's Receive Maximum) goes slower, while what
 *   is in flight at a cut stays a full window. It costs no CPU, unlike
 *   small pieces.
 * - `stats` counts connections, cuts (by kind), pieces and bytes.
 *
 * A connection that one side closes by itself is closed on the other side
 * too, and is not a cut.
 */

import net from "node:net";
import { setImmediate } from "node:timers";

const DEFAULT_MIN_LIFE_MS = 200;
const DEFAULT_MAX_LIFE_MS = 1_500;

/** Options of {@linkcode FlakyProxy.start}. */
export interface FlakyProxyOptions {
  /** The port on 127.0.0.1 that connections are forwarded to. */
  targetPort: number;
  /** Seed of the lives, the kinds of cut and the piece sizes (default 1). */
  seed?: number;
  /** Shortest life of a connection in milliseconds (default 200). */
  minLifeMs?: number;
  /** Longest life of a connection in milliseconds (default 1,500). */
  maxLifeMs?: number;
  /** Forward data in pieces of 1 to this many bytes (default: as it comes). */
  maxChunkBytes?: number;
  /** Hold data this many milliseconds before forwarding it (default 0). */
  latencyMs?: number;
  /** How connections are cut: RST, FIN, or a draw per connection (default). */
  cut?: "reset" | "close" | "mixed";
}

/** What a {@linkcode FlakyProxy} has done so far. */
export interface FlakyProxyStats {
  /** Connections accepted. */
  connections: number;
  /** Connections the proxy cut at the end of their life. */
  cuts: number;
  /** Cuts made with a RST. */
  resets: number;
  /** Cuts made with a FIN. */
  closes: number;
  /** Writes made (one per piece when `maxChunkBytes` is set). */
  writes: number;
  /** Bytes forwarded from clients to the target. */
  bytesToTarget: number;
  /** Bytes forwarded from the target to clients. */
  bytesToClient: number;
}

/**
 * A pseudo-random generator of numbers in [0, 1) from a 32-bit seed
 * (mulberry32): small, fast and the same on every run.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One proxied connection: the client's socket and the target's. */
interface Pair {
  client: net.Socket;
  target: net.Socket;
  timer: ReturnType<typeof setTimeout>;
  closed: Promise<void>;
}

export class FlakyProxy {
  /** The port the proxy listens on, on 127.0.0.1. */
  readonly port: number;
  /** The life drawn for each connection, in milliseconds, in order of arrival. */
  readonly lives: number[] = [];
  readonly #server: net.Server;
  readonly #options: Required<Omit<FlakyProxyOptions, "maxChunkBytes">> & {
    maxChunkBytes: number | undefined;
  };
  readonly #lifeRandom: () => number;
  readonly #chunkRandom: () => number;
  readonly #pairs = new Set<Pair>();
  readonly #stats: FlakyProxyStats = {
    connections: 0,
    cuts: 0,
    resets: 0,
    closes: 0,
    writes: 0,
    bytesToTarget: 0,
    bytesToClient: 0,
  };

  private constructor(
    server: net.Server,
    port: number,
    options: FlakyProxyOptions,
  ) {
    this.#server = server;
    this.port = port;
    const seed = options.seed ?? 1;
    this.#options = {
      targetPort: options.targetPort,
      seed,
      minLifeMs: options.minLifeMs ?? DEFAULT_MIN_LIFE_MS,
      maxLifeMs: options.maxLifeMs ?? DEFAULT_MAX_LIFE_MS,
      maxChunkBytes: options.maxChunkBytes,
      latencyMs: options.latencyMs ?? 0,
      cut: options.cut ?? "mixed",
    };
    // Two generators, so that the lives do not depend on the data.
    this.#lifeRandom = seededRandom(seed);
    this.#chunkRandom = seededRandom(seed ^ 0x5bd1e995);
    server.on("connection", (client) => this.#accept(client));
  }

  /** Starts a proxy on a free port of 127.0.0.1. */
  static async start(options: FlakyProxyOptions): Promise<FlakyProxy> {
    // Checked before listening, so that a mistake leaves nothing open.
    const minLife = options.minLifeMs ?? DEFAULT_MIN_LIFE_MS;
    if (minLife > (options.maxLifeMs ?? DEFAULT_MAX_LIFE_MS)) {
      throw new RangeError("minLifeMs is above maxLifeMs");
    }
    if (options.maxChunkBytes !== undefined && options.maxChunkBytes < 1) {
      throw new RangeError("maxChunkBytes must be at least 1");
    }
    if ((options.latencyMs ?? 0) < 0) {
      throw new RangeError("latencyMs must not be negative");
    }
    const server = net.createServer({ pauseOnConnect: true });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as net.AddressInfo;
    return new FlakyProxy(server, port, options);
  }

  /** A copy of the counters. */
  get stats(): FlakyProxyStats {
    return { ...this.#stats };
  }

  /** Stops listening and closes every connection (not counted as cuts). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) =>
      this.#server.close(() => resolve())
    );
    const pairs = [...this.#pairs];
    for (const pair of pairs) {
      clearTimeout(pair.timer);
      pair.client.destroy();
      pair.target.destroy();
    }
    await Promise.all(pairs.map((pair) => pair.closed));
    await closed;
  }

  #accept(client: net.Socket): void {
    const stats = this.#stats;
    stats.connections++;
    const { minLifeMs, maxLifeMs, cut } = this.#options;
    const life = minLifeMs + this.#lifeRandom() * (maxLifeMs - minLifeMs);
    const reset = cut === "reset" ||
      (cut === "mixed" && this.#lifeRandom() < 0.5);
    this.lives.push(life);

    const target = net.connect({
      host: "127.0.0.1",
      port: this.#options.targetPort,
    });
    client.setNoDelay(true);
    target.setNoDelay(true);
    const closed = Promise.all([
      new Promise((resolve) => client.once("close", resolve)),
      new Promise((resolve) => target.once("close", resolve)),
    ]).then(() => {});
    // Errors are the peers' business (a reset, a refused target): the
    // sockets are closed, which the "close" events take care of.
    client.on("error", () => {});
    target.on("error", () => {});

    const pair: Pair = {
      client,
      target,
      closed,
      timer: setTimeout(() => {
        if (client.destroyed && target.destroyed) return;
        stats.cuts++;
        if (reset) stats.resets++;
        else stats.closes++;
        for (const socket of [client, target]) {
          if (reset && !socket.destroyed && socket.readyState === "open") {
            socket.resetAndDestroy();
          } else {
            socket.destroy();
          }
        }
      }, life),
    };
    this.#pairs.add(pair);
    closed.then(() => {
      clearTimeout(pair.timer);
      this.#pairs.delete(pair);
    });

    // One side ending or failing ends the other: not a cut.
    client.once("close", () => target.destroy());
    target.once("close", () => client.destroy());
    target.once("connect", () => {
      this.#forward(client, target, "bytesToTarget");
      this.#forward(target, client, "bytesToClient");
      client.resume();
    });
  }

  #forward(
    from: net.Socket,
    to: net.Socket,
    counter: "bytesToTarget" | "bytesToClient",
  ): void {
    const stats = this.#stats;
    const { maxChunkBytes: maxChunk, latencyMs } = this.#options;
    if (maxChunk === undefined && latencyMs === 0) {
      from.on("data", (data: Uint8Array) => {
        stats[counter] += data.length;
        stats.writes++;
        if (!to.write(data)) {
          from.pause();
          to.once("drain", () => from.resume());
        }
      });
      return;
    }
    // Data waits in arrival order until it is due, then goes out whole or
    // piece by piece, one piece per turn of the event loop. The source is
    // paused while more than a few arrivals wait: the back-pressure.
    const waiting: { data: Uint8Array; due: number }[] = [];
    let sending = false;
    const send = async () => {
      sending = true;
      while (waiting.length > 0 && !to.destroyed) {
        const { data, due } = waiting[0];
        const early = due - performance.now();
        if (early > 0) {
          await new Promise((resolve) => setTimeout(resolve, early));
        }
        waiting.shift();
        const size = maxChunk ?? data.length;
        let offset = 0;
        while (offset < data.length && !to.destroyed) {
          const piece = maxChunk === undefined ? data : data.subarray(
            offset,
            offset + 1 + Math.floor(this.#chunkRandom() * size),
          );
          offset += piece.length;
          stats[counter] += piece.length;
          stats.writes++;
          const written = await new Promise<boolean>((resolve) =>
            to.write(piece, (error) => resolve(error == null))
          );
          if (!written) return;
          if (maxChunk !== undefined) {
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
        if (waiting.length <= MAX_WAITING && !from.destroyed) from.resume();
      }
      sending = false;
    };
    from.on("data", (data: Uint8Array) => {
      waiting.push({ data, due: performance.now() + latencyMs });
      if (waiting.length > MAX_WAITING) from.pause();
      if (!sending) send();
    });
  }
}

/** Arrivals waiting to be forwarded before the source is paused. */
const MAX_WAITING = 64;
