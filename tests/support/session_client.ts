/**
 * A ClientSession on a real TCP connection, for tests: the I/O loop the
 * session layer documents (packets in, outputs drained, a timer for the
 * next deadline), nothing more. Events go to a callback, which may issue
 * commands; `close()` ends the connection.
 */

import { MqttError, PacketReader, PacketWriter } from "../../mod.ts";
import {
  type ClientEvent,
  ClientSession,
  type ClientSessionOptions,
} from "../../src/entries/session.ts";

const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

/** One connection of a {@linkcode ClientSession} to 127.0.0.1:`port`. */
export class SessionClient {
  readonly session: ClientSession;
  /** Every event, in order. */
  readonly events: ClientEvent[] = [];
  /** The largest number of QoS 1 and 2 messages in flight seen after an input. */
  maxInFlight = 0;
  #writer: PacketWriter | undefined;
  #conn: Deno.TcpConn | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #done: Promise<void> | undefined;
  #listeners: ((event: ClientEvent) => void)[] = [];

  constructor(options: ClientSessionOptions) {
    this.session = new ClientSession(options);
  }

  /** Calls `listener` for every event from now on. */
  onEvent(listener: (event: ClientEvent) => void): void {
    this.#listeners.push(listener);
  }

  /** Resolves with the first event (from now on) that `predicate` accepts. */
  waitFor(predicate: (event: ClientEvent) => boolean): Promise<ClientEvent> {
    return new Promise((resolve) => {
      const listener = (event: ClientEvent) => {
        if (!predicate(event)) return;
        this.#listeners = this.#listeners.filter((l) => l !== listener);
        resolve(event);
      };
      this.#listeners.push(listener);
    });
  }

  /** Connects, and resolves once the CONNACK came (with the `connected` event). */
  async connect(port: number): Promise<ClientEvent> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    this.#conn = conn;
    const session = this.session;
    const reader = new PacketReader(conn.readable, {
      protocolVersion: session.protocolVersion,
      maximumPacketSize: session.maximumPacketSize,
    });
    this.#writer = new PacketWriter(conn.writable, {
      protocolVersion: session.protocolVersion,
    });
    const connected = this.waitFor((e) =>
      e.type === "connected" || e.type === "disconnected"
    );
    session.connectionOpened(performance.now());
    this.pump();
    this.#done = (async () => {
      try {
        for await (const packet of reader) {
          session.handlePacket(packet, performance.now());
          this.pump();
        }
      } catch (error) {
        // A malformed packet is the session's to answer; anything else is
        // the connection failing (or closed by us), which the next line says.
        if (error instanceof MqttError) {
          session.handleError(error, performance.now());
          this.pump();
        }
      }
      session.connectionLost(performance.now());
      this.pump();
    })();
    return await connected;
  }

  /** Drains the session's outputs: packets to the socket, events to the listeners, the timer. */
  pump(): void {
    const session = this.session;
    for (;;) {
      for (let p; (p = session.pollTransmit()) !== undefined;) {
        this.#writer?.write(p).catch(() => {}); // a closed socket ends the loop anyway
      }
      this.maxInFlight = Math.max(
        this.maxInFlight,
        session.stats.inFlightMessages,
      );
      const event = session.pollEvent();
      if (event === undefined) break;
      this.events.push(event);
      for (const listener of [...this.#listeners]) listener(event);
      if (event.type === "disconnected") {
        // Close once the last packets (a DISCONNECT) are written.
        this.#writer?.close().catch(() => {}).finally(() => this.#closeConn());
      }
    }
    realClearTimeout(this.#timer);
    const deadline = session.pollTimeout();
    if (deadline !== undefined) {
      this.#timer = realSetTimeout(() => {
        session.handleTimeout(performance.now());
        this.pump();
      }, Math.max(0, deadline - performance.now()));
    }
  }

  /** Sends a DISCONNECT (normal), closes, and waits for the reading loop to end. */
  async close(): Promise<void> {
    this.session.disconnect({}, performance.now());
    this.pump();
    await this.#done;
    realClearTimeout(this.#timer);
  }

  #closeConn(): void {
    try {
      this.#conn?.close();
    } catch {
      // already closed
    }
  }
}
