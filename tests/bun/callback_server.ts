// Bun's two callback-style servers, read with a PacketParser through
// tests/support/callback_server.mjs, sharing one room: `Bun.listen`, whose
// socket `data` handler gets the TCP bytes, and `Bun.serve({ websocket })`,
// whose `message(ws, data)` gets each WebSocket message and whose
// `ws.send()` says when it had to queue (-1: back-pressure) or dropped the
// message (0). Started by tests/callback_sockets_test.ts as `bun
// tests/bun/callback_server.ts [MAXIMUM_BUFFERED]`, with mod.ts; it prints
// one JSON line when it listens ({ "tcp": PORT, "ws": URL }), one when a
// WebSocket's send() starts to report back-pressure ({ "paused": BYTES },
// the bytes then waiting in the parser) and one per connection that ended
// ({ "ended": ... }); SIGTERM stops it.
//
// Deno type-checks this file without Bun's types: the part of Bun's API
// used here is declared below.

import * as lib from "../../mod.ts";
import {
  endedRecord,
  type MqttConnection,
  Room,
} from "../support/callback_server.mjs";

interface TcpSocket {
  data: { connection: MqttConnection; unsent: Uint8Array[] };
  write(bytes: Uint8Array): number;
  end(): void;
}

interface ServerWebSocket {
  data: { connection: MqttConnection };
  /** -1: queued under back-pressure; 0: dropped; else the bytes sent. */
  send(bytes: Uint8Array): number;
  close(code?: number, reason?: string): void;
}

declare const Bun: {
  listen(options: {
    hostname: string;
    port: number;
    socket: {
      open(socket: TcpSocket): void;
      data(socket: TcpSocket, data: Uint8Array): void;
      drain(socket: TcpSocket): void;
      end(socket: TcpSocket): void;
      error(socket: TcpSocket, error: Error): void;
      close(socket: TcpSocket): void;
    };
  }): { port: number };
  serve(options: {
    hostname: string;
    port: number;
    fetch(
      request: Request,
      server: {
        upgrade(
          request: Request,
          options: { headers: HeadersInit; data: unknown },
        ): boolean;
      },
    ): Response | undefined;
    websocket: {
      open(ws: ServerWebSocket): void;
      message(ws: ServerWebSocket, data: string | Uint8Array): void;
      drain(ws: ServerWebSocket): void;
      close(ws: ServerWebSocket, code: number, reason: string): void;
    };
  }): { port: number };
};
declare const process: {
  argv: string[];
  on(signal: string, listener: () => void): void;
  exit(code: number): never;
};

const maximumBuffered = Number(process.argv[2] ?? 1_048_576);
const room = new Room();
const report = (connection: MqttConnection) =>
  console.log(JSON.stringify({ ended: endedRecord(connection) }));

/**
 * Writes what Bun's socket takes now and queues the rest for `drain`:
 * Bun's `write` may take only part of the bytes. False when it had to.
 */
function write(socket: TcpSocket, bytes: Uint8Array): boolean {
  const { unsent } = socket.data;
  if (unsent.length > 0) {
    unsent.push(bytes);
    return false;
  }
  const sent = socket.write(bytes);
  if (sent === bytes.length) return true;
  unsent.push(bytes.subarray(Math.max(sent, 0)));
  return false;
}

const tcp = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(socket) {
      socket.data = {
        unsent: [],
        connection: room.open(lib, {
          send: (bytes: Uint8Array) => write(socket, bytes),
          close: () => socket.end(),
        }, { maximumBuffered }),
      };
    },
    data: (socket, data) => socket.data.connection.received(data),
    drain(socket) {
      const { unsent, connection } = socket.data;
      while (unsent.length > 0) {
        const bytes = unsent[0];
        const sent = socket.write(bytes);
        if (sent < bytes.length) {
          unsent[0] = bytes.subarray(Math.max(sent, 0));
          return;
        }
        unsent.shift();
      }
      connection.resume();
    },
    end: (socket) => socket.data.connection.ended(),
    error: (socket, error) => socket.data.connection.failed(error),
    close(socket) {
      room.close(socket.data.connection);
      report(socket.data.connection);
    },
  },
});

/** The WebSocket close code after an MqttError (RFC 6455, section 7.4.1). */
function closeCode(connection: MqttConnection): number {
  const reasonCode = connection.error?.reasonCode;
  if (reasonCode === undefined) return 1000;
  return reasonCode === 0x81 || reasonCode === 0x82 ? 1002 : 1008;
}

const web = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request, server) {
    const offered = (request.headers.get("sec-websocket-protocol") ?? "")
      .split(",").map((protocol) => protocol.trim());
    // MQTT over WebSocket uses the subprotocol "mqtt" [MQTT-6.0.0-4].
    if (!offered.includes("mqtt")) {
      return new Response("the subprotocol must be mqtt", { status: 400 });
    }
    const headers = { "sec-websocket-protocol": "mqtt" };
    if (server.upgrade(request, { headers, data: {} })) return undefined;
    return new Response("expected a WebSocket upgrade", { status: 426 });
  },
  websocket: {
    open(ws) {
      const connection = room.open(lib, {
        send(bytes: Uint8Array) {
          const sent = ws.send(bytes);
          // Said once per stall, for the test to stop sending.
          if (sent === -1 && !connection.paused) {
            console.log(JSON.stringify({ paused: connection.bufferedBytes }));
          }
          // 0: Bun dropped the message (its backpressureLimit reached):
          // the client would miss it, so the connection cannot go on.
          if (sent === 0) connection.failed(new Error("ws.send dropped"));
          if (sent === 0) ws.close(1011, "back-pressure limit");
          return sent > 0;
        },
        close: () => ws.close(closeCode(connection)),
      }, { maximumBuffered });
      ws.data = { connection };
    },
    message(ws, data) {
      if (typeof data === "string") {
        // [MQTT-6.0.0-1] MQTT travels in binary messages only.
        ws.close(1003, "MQTT needs binary messages");
        return;
      }
      ws.data.connection.received(data);
    },
    // Not from within the callback: what Bun 1.4.5 is sent there while it
    // reports back-pressure again can sit unflushed for seconds (measured),
    // until some other event on the socket.
    drain: (ws) => void setTimeout(() => ws.data.connection.resume(), 0),
    close(ws) {
      ws.data.connection.ended();
      room.close(ws.data.connection);
      report(ws.data.connection);
    },
  },
});

console.log(JSON.stringify({
  tcp: tcp.port,
  ws: `ws://127.0.0.1:${web.port}`,
}));
process.on("SIGTERM", () => process.exit(0));
