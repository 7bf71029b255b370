// Every close order of tests/support/close_orders.mjs in Bun, over real
// connections on 127.0.0.1 with the library (mod.ts) on one end: Bun's own
// TCP client (`Bun.connect`, through tests/bun/bun_tcp.ts), `node:net`
// sockets through `Readable.toWeb`/`Writable.toWeb` with the library on
// either end, and Bun's WebSocket client through `webSocketStreams` and
// `connectWebSocket`. The peer is a `node:net` socket, or a WebSocket written
// by hand on one (tests/support/raw_web_socket.ts), so that it can drop the
// TCP connection without a close frame or reset it. An uncaught exception
// or an unhandled rejection anywhere in the file fails its last test.
// Run by tests/runtime_bun_test.ts.

import { once } from "node:events";
import net from "node:net";
import { Readable, Writable } from "node:stream";
import { describe, it } from "node:test";
import * as lib from "../../mod.ts";
import {
  CLOSE_ORDERS,
  netSocketPeer,
  watchUncaught,
} from "../support/close_orders.mjs";
import { rawWebSocketServer } from "../support/raw_web_socket.ts";
import { bun, bunTcpStreams } from "./bun_tcp.ts";

const uncaught = watchUncaught(process);

/** A connected pair of net sockets: [the client's, the server's]. */
async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const accepted = once(server, "connection");
  const client = net.connect({
    host: "127.0.0.1",
    port: (server.address() as net.AddressInfo).port,
  });
  await once(client, "connect");
  const [serverSide] = await accepted as [net.Socket];
  server.close();
  return [client, serverSide];
}

function webStreams(socket: net.Socket) {
  return {
    readable: Readable.toWeb(socket) as ReadableStream<Uint8Array>,
    writable: Writable.toWeb(socket) as WritableStream<Uint8Array>,
  };
}

/** A connection as the rows take it, and how to tear it down after. */
interface Opened {
  local: {
    readable: ReadableStream<Uint8Array>;
    writable: WritableStream<Uint8Array>;
  };
  peer: ReturnType<typeof netSocketPeer>;
  kind: "tcp" | "websocket";
  silentErrors?: boolean;
  dispose(): void | Promise<void>;
}

/** A WebSocket client of the library against a raw WebSocket server. */
async function webSocketClient(
  open: (url: string) => Promise<Opened["local"]>,
): Promise<Opened> {
  const server = await rawWebSocketServer("mqtt");
  const [local, end] = await Promise.all([
    open(server.url),
    server.accept(),
  ]);
  return {
    local,
    peer: end,
    kind: "websocket",
    // Bun's WebSocket fires no error event on a reset: a close 1006 only.
    silentErrors: true,
    async dispose() {
      end.drop();
      await server.close();
    },
  };
}

const TRANSPORTS: Record<string, () => Promise<Opened>> = {
  async "Bun.connect, the library as the client"() {
    const server = net.createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const accepted = once(server, "connection");
    const port = (server.address() as net.AddressInfo).port;
    const local = await bunTcpStreams("127.0.0.1", port);
    const [socket] = await accepted as [net.Socket];
    server.close();
    return {
      local,
      peer: netSocketPeer(socket),
      kind: "tcp",
      dispose() {
        socket.destroy();
        local.socket.terminate();
      },
    };
  },
  async "node:net, the library as the client"() {
    const [client, server] = await socketPair();
    return {
      local: webStreams(client),
      peer: netSocketPeer(server),
      kind: "tcp",
      dispose: () => void [client, server].forEach((s) => s.destroy()),
    };
  },
  async "node:net, the library as the server"() {
    const [client, server] = await socketPair();
    return {
      local: webStreams(server),
      peer: netSocketPeer(client),
      kind: "tcp",
      dispose: () => void [client, server].forEach((s) => s.destroy()),
    };
  },
  "WebSocket client through webSocketStreams": () =>
    webSocketClient(async (url) => {
      const socket = new WebSocket(url, "mqtt");
      const streams = lib.webSocketStreams(socket);
      if (socket.readyState !== WebSocket.OPEN) await once(socket, "open");
      return streams;
    }),
  "WebSocket client through connectWebSocket": () =>
    webSocketClient((url) => lib.connectWebSocket(url)),
};

for (const [transport, open] of Object.entries(TRANSPORTS)) {
  describe(`close orders on Bun ${bun().version}: ${transport}`, () => {
    for (const order of CLOSE_ORDERS) {
      it(order.name, { timeout: 10_000 }, async () => {
        const connection = await open();
        try {
          await order.run(lib, connection);
        } finally {
          await connection.dispose();
        }
      });
    }
  });
}

it("left no uncaught exception and no unhandled rejection", () =>
  uncaught.check());
