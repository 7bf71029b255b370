/**
 * A broker that is a test's script: it listens on 127.0.0.1, and the test
 * takes each connection as it comes, reads the client's packets one by
 * one, answers what it chooses and cuts the connection where it wants. The
 * bytes go through `PacketReader` and `PacketWriter`, so both directions
 * are checked by the codec. For tests of clients (examples/client.ts) that
 * a real broker cannot drive into the corner under test.
 */

import { assertEquals } from "@std/assert";
import {
  type ConnackPacket,
  type ConnectPacket,
  type Packet,
  PacketReader,
  type PacketType,
  PacketWriter,
} from "../../mod.ts";
import { withTimeout } from "./net.ts";
import type { PacketOf } from "./test_client.ts";

/** A listener whose connections a test takes one at a time. */
export class ScriptedBroker {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  readonly #listener: Deno.TcpListener;
  readonly #accepted: Deno.TcpConn[] = [];
  readonly #waiting: ((conn: Deno.TcpConn) => void)[] = [];
  readonly #connections: ScriptedConnection[] = [];
  readonly #accepting: Promise<void>;

  constructor() {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#listener = listener;
    this.port = listener.addr.port;
    this.#accepting = (async () => {
      try {
        for await (const conn of listener) {
          const waiter = this.#waiting.shift();
          if (waiter !== undefined) waiter(conn);
          else this.#accepted.push(conn);
        }
      } catch {
        // closed
      }
    })();
  }

  /** The next connection (within `ms`). */
  async accept(ms = 10_000): Promise<ScriptedConnection> {
    const conn = this.#accepted.shift() ??
      await withTimeout(
        new Promise<Deno.TcpConn>((resolve) => this.#waiting.push(resolve)),
        "a client to connect",
        ms,
      );
    const connection = new ScriptedConnection(conn.readable, conn.writable);
    this.#connections.push(connection);
    return connection;
  }

  /** Stops listening and cuts every connection. */
  async close(): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    for (const conn of this.#accepted) conn.close();
    for (const connection of this.#connections) connection.cut();
  }
}

/**
 * One client connection, from the broker's side: over TCP from a
 * {@linkcode ScriptedBroker}, or over any pair of streams (an in-memory
 * link, for tests on fake time).
 */
export class ScriptedConnection {
  /** Every packet read from the client, in order. */
  readonly received: Packet[] = [];
  readonly #reader: PacketReader;
  readonly #writer: PacketWriter;

  constructor(
    readable: ReadableStream<Uint8Array>,
    writable: WritableStream<Uint8Array>,
  ) {
    // The CONNECT tells the reader its version; the writer is told below.
    this.#reader = new PacketReader(readable);
    this.#writer = new PacketWriter(writable);
  }

  /** Reads the CONNECT and answers with a CONNACK (success unless `fields` say otherwise). */
  async accept(
    fields: Partial<Omit<ConnackPacket, "type">> = {},
  ): Promise<ConnectPacket> {
    const connect = await this.expect("connect");
    this.#writer.protocolVersion = connect.protocolVersion;
    await this.send({
      type: "connack",
      sessionPresent: false,
      reasonCode: 0,
      ...fields,
    });
    return connect;
  }

  /** The next packet from the client; fails on a timeout or at the end. */
  async next(ms = 10_000): Promise<Packet> {
    const packet = await withTimeout(this.#reader.read(), "a packet", ms);
    if (packet === undefined) {
      throw new Error("the client closed the connection");
    }
    this.received.push(packet);
    return packet;
  }

  /** The next packet, which must be of type `type`. */
  async expect<T extends PacketType>(
    type: T,
    ms?: number,
  ): Promise<PacketOf<T>> {
    const packet = await this.next(ms);
    assertEquals(packet.type, type, `expected ${type}, got ${packet.type}`);
    return packet as PacketOf<T>;
  }

  /** Reads until the client closes the connection; the packets before. */
  async untilClosed(ms = 10_000): Promise<Packet[]> {
    const packets: Packet[] = [];
    try {
      for (;;) {
        const packet = await withTimeout(this.#reader.read(), "the end", ms);
        if (packet === undefined) break;
        this.received.push(packet);
        packets.push(packet);
      }
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("timed out")) {
        throw error;
      }
      // reset: closed too
    }
    return packets;
  }

  /** Writes a packet to the client. */
  async send(packet: Packet): Promise<void> {
    await this.#writer.write(packet);
  }

  /**
   * Ends the connection at once, as a network failure does (on Deno TCP,
   * cancelling the reading side closes the socket).
   */
  cut(): void {
    this.#writer.abort(new Error("cut")).catch(() => {});
    this.#reader.cancel().catch(() => {});
  }
}

/**
 * An in-memory link for a client under test: the client's end, and the
 * broker's end as a {@linkcode ScriptedConnection}.
 */
export function memoryLink(): {
  client: {
    readable: ReadableStream<Uint8Array>;
    writable: WritableStream<Uint8Array>;
  };
  broker: ScriptedConnection;
} {
  // Room for some writes nobody reads yet, as a socket's buffers have.
  const buffer = { highWaterMark: 256 };
  const up = new TransformStream<Uint8Array, Uint8Array>({}, buffer, buffer);
  const down = new TransformStream<Uint8Array, Uint8Array>({}, buffer, buffer);
  return {
    client: { readable: down.readable, writable: up.writable },
    broker: new ScriptedConnection(up.readable, down.writable),
  };
}
