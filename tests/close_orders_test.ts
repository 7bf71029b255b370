/**
 * Every close order of tests/support/close_orders.mjs (the table other
 * runtimes run too) on Deno, over real connections on 127.0.0.1, with the
 * library on either end: Deno TCP as client and as server, and WebSocket as
 * client (Deno's WebSocket) and as server (Deno.upgradeWebSocket). The peer
 * is a `node:net` socket, so that it can reset the connection (RST), or a
 * WebSocket written by hand on one (tests/support/raw_web_socket.ts), so
 * that it can drop the TCP connection without a close frame as mosquitto
 * does. An uncaught exception or unhandled rejection fails the test file.
 */

import { describe, it } from "@std/testing/bdd";
import net from "node:net";
import { once } from "node:events";
import * as lib from "../mod.ts";
import { CLOSE_ORDERS, netSocketPeer } from "./support/close_orders.mjs";
import {
  type RawWebSocket,
  rawWebSocketClient,
  rawWebSocketServer,
} from "./support/raw_web_socket.ts";
import { withTimeout } from "./support/net.ts";
import { closedSocket, upgradeServer } from "./support/deno_web_socket.ts";

/** The raw end of a connection, as the close orders drive it. */
interface Peer {
  send(bytes: Uint8Array): Promise<void>;
  received(): Promise<Uint8Array>;
  close(): Promise<void>;
  drop(): void;
  reset(): void;
}

interface Connection {
  local: {
    readable: ReadableStream<Uint8Array>;
    writable: WritableStream<Uint8Array>;
  };
  peer: Peer;
  kind: "tcp" | "websocket";
  dispose(): Promise<void>;
}

function webSocketPeer(end: RawWebSocket): Peer {
  return {
    send: (bytes) => end.send(bytes),
    received: () => end.received(),
    close: () => end.close(),
    drop: () => end.drop(),
    reset: () => end.reset(),
  };
}

async function listenNet(): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as net.AddressInfo).port };
}

const TRANSPORTS: Record<string, () => Promise<Connection>> = {
  async "Deno TCP, the library as the client"() {
    const { server, port } = await listenNet();
    const accepted = once(server, "connection");
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const [socket] = await accepted as [net.Socket];
    return {
      local: conn,
      peer: netSocketPeer(socket),
      kind: "tcp",
      async dispose() {
        socket.destroy();
        server.close();
        await once(server, "close");
        try {
          conn.close();
        } catch {
          // closed by the library already
        }
      },
    };
  },

  async "Deno TCP, the library as the server"() {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const accepted = listener.accept();
    const socket = net.connect({ host: "127.0.0.1", port: listener.addr.port });
    await once(socket, "connect");
    const conn = await accepted;
    return {
      local: conn,
      peer: netSocketPeer(socket),
      kind: "tcp",
      dispose() {
        socket.destroy();
        listener.close();
        try {
          conn.close();
        } catch {
          // closed by the library already
        }
        return Promise.resolve();
      },
    };
  },

  async "WebSocket, the library as the client (Deno's WebSocket)"() {
    const server = await rawWebSocketServer("mqtt");
    const socket = new WebSocket(server.url, "mqtt");
    const streams = lib.webSocketStreams(socket);
    const end = await server.accept();
    await new Promise((resolve) => {
      if (socket.readyState === WebSocket.OPEN) resolve(undefined);
      else socket.addEventListener("open", resolve, { once: true });
    });
    return {
      local: streams,
      peer: webSocketPeer(end),
      kind: "websocket",
      async dispose() {
        end.drop();
        await server.close();
        await closedSocket(socket);
      },
    };
  },

  async "WebSocket, the library as the server (Deno.upgradeWebSocket)"() {
    const { server, next } = upgradeServer();
    const end = await rawWebSocketClient(server.addr.port);
    const socket = await next();
    return {
      local: lib.webSocketStreams(socket),
      peer: webSocketPeer(end),
      kind: "websocket",
      async dispose() {
        end.drop();
        await closedSocket(socket);
        await server.shutdown();
      },
    };
  },
};

for (const [transport, open] of Object.entries(TRANSPORTS)) {
  describe(`close orders: ${transport}`, () => {
    for (const order of CLOSE_ORDERS) {
      it(order.name, async () => {
        const connection = await open();
        try {
          await withTimeout(
            order.run(lib, connection),
            `${transport}: ${order.name}`,
            10_000,
          );
        } finally {
          await connection.dispose();
        }
      });
    }
  });
}
