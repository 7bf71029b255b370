/**
 * The example broker's two transports, as one shape: chunks of bytes to
 * read, a stream to write packets to, and a way to drop the connection.
 *
 * @module
 */

import { MqttError, webSocketStreams } from "../../mod.ts";

/** One client's byte streams: a TCP connection or a WebSocket. */
export interface Transport {
  /**
   * The next bytes from the client, or `null` once it closed its side;
   * rejects when the connection fails (or is closed under the read).
   */
  read(): Promise<Uint8Array | null>;
  /** Where the packets for the client are written. */
  readonly writable: WritableStream<Uint8Array>;
  /** Drops the connection; may be called more than once. */
  close(): void;
  /** Who is on the other side, for the log. */
  readonly remote: string;
}

/** The smallest and largest buffer a TCP read gets. */
const SMALLEST_READ = 256;
const LARGEST_READ = 64 * 1024;

/**
 * A TCP connection. Each read gets a buffer of its own (what the client
 * sent is handed on, and a decoded payload may be a view of it), sized
 * by the reads before it: it starts at 256 bytes, doubles after a read that
 * filled it, up to 64 KiB, and halves after one that used less than a
 * quarter — so that an idle connection waits on 256 bytes, not 64 KiB.
 */
export function tcpTransport(conn: Deno.Conn): Transport {
  const { hostname, port } = conn.remoteAddr as Deno.NetAddr;
  let size = SMALLEST_READ;
  return {
    async read() {
      const buffer = new Uint8Array(size);
      const count = await conn.read(buffer);
      if (count === null) return null;
      if (count === size) size = Math.min(size * 2, LARGEST_READ);
      else if (count < size / 4) size = Math.max(size / 2, SMALLEST_READ);
      return buffer.subarray(0, count);
    },
    writable: conn.writable,
    close() {
      try {
        conn.close();
      } catch {
        // closed already
      }
    },
    remote: `tcp:${hostname}:${port}`,
  };
}

/**
 * A WebSocket (subprotocol "mqtt"), through `webSocketStreams`. A WebSocket
 * cannot be paused: what the client sends while the broker does not read
 * it (it stops reading a client that does not read its answers) waits in
 * the readable stream. Past `backlog` bytes waiting, the connection is
 * closed (1008 Policy Violation, as for MQTT's 0x97 Quota exceeded).
 */
export function webSocketTransport(
  socket: WebSocket,
  remote: string,
  backlog: number,
): Transport {
  const { readable, writable } = webSocketStreams(socket);
  const reader = readable.getReader();
  let waiting = 0;
  socket.addEventListener("message", (event: MessageEvent) => {
    const data = event.data;
    waiting += data instanceof ArrayBuffer ? data.byteLength : 0;
    if (waiting > backlog) {
      reader.cancel(
        new MqttError(
          `${remote}: more than ${backlog} bytes sent and not read`,
          0x97,
        ),
      ).catch(() => {});
    }
  });
  return {
    async read() {
      const { done, value } = await reader.read();
      if (done) return null;
      waiting -= value.byteLength;
      return value;
    },
    writable,
    close() {
      if (socket.readyState <= WebSocket.OPEN) socket.close(1000);
    },
    remote,
  };
}
