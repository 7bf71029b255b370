// Every close order of tests/support/close_orders.mjs on Node, with the
// bundle over real net sockets on 127.0.0.1 wrapped with Readable.toWeb and
// Writable.toWeb, the library on either end. The peer is the other net
// socket (end() for a clean close, destroy() to drop, resetAndDestroy() for
// an RST). On Node 22 and later, also over Node's WebSocket client (through
// webSocketStreams and connectWebSocket), the peer then a raw WebSocket end
// in the Deno test that runs this file, driven over HTTP (remotePeer; its
// URLs in MQTT_PEER_WS_URL and MQTT_PEER_CONTROL_URL). node --test fails the file on an uncaught exception or an
// unhandled rejection, and so does the file's last test, which reads
// process-level hooks.
// Run: deno task build && node --test tests/node/test-close-orders.mjs

import { once } from "node:events";
import net from "node:net";
import { Readable, Writable } from "node:stream";
import { describe, it } from "node:test";
import * as lib from "../../dist/mqtt_codec.mjs";
import {
  CLOSE_ORDERS,
  netSocketPeer,
  remotePeer,
  watchUncaught,
} from "../support/close_orders.mjs";

const uncaught = watchUncaught(process);

/** A connected pair of net sockets: [the client's, the server's]. */
async function socketPair() {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const accepted = once(server, "connection");
  const client = net.connect({
    host: "127.0.0.1",
    port: server.address().port,
  });
  await once(client, "connect");
  const [serverSide] = await accepted;
  server.close();
  return [client, serverSide];
}

function local(socket) {
  return { readable: Readable.toWeb(socket), writable: Writable.toWeb(socket) };
}

const TRANSPORTS = {
  "net, the library as the client": async () => {
    const [client, server] = await socketPair();
    return {
      local: local(client),
      peer: netSocketPeer(server),
      sockets: [client, server],
    };
  },
  "net, the library as the server": async () => {
    const [client, server] = await socketPair();
    return {
      local: local(server),
      peer: netSocketPeer(client),
      sockets: [client, server],
    };
  },
};

for (const [transport, open] of Object.entries(TRANSPORTS)) {
  describe(`close orders on Node: ${transport}`, () => {
    for (const order of CLOSE_ORDERS) {
      it(order.name, { timeout: 10_000 }, async () => {
        const connection = await open();
        try {
          await order.run(lib, { ...connection, kind: "tcp" });
        } finally {
          for (const socket of connection.sockets) socket.destroy();
        }
      });
    }
  });
}

/** Node's ways to open a client WebSocket as two byte streams. */
const WEB_SOCKET_TRANSPORTS = {
  async webSocketStreams(url) {
    const socket = new WebSocket(url, "mqtt");
    const streams = lib.webSocketStreams(socket);
    if (socket.readyState !== WebSocket.OPEN) {
      await once(socket, "open");
    }
    return streams;
  },
  connectWebSocket: (url) => lib.connectWebSocket(url),
};

const peerUrl = process.env.MQTT_PEER_WS_URL;
const controlUrl = process.env.MQTT_PEER_CONTROL_URL;
for (const [transport, open] of Object.entries(WEB_SOCKET_TRANSPORTS)) {
  describe(`close orders on Node: WebSocket client through ${transport}`, () => {
    if (typeof WebSocket !== "function" || !peerUrl || !controlUrl) {
      it.skip("needs Node 22's WebSocket and the Deno test's raw peers");
      return;
    }
    CLOSE_ORDERS.forEach((order, row) => {
      it(order.name, { timeout: 10_000 }, async () => {
        const id = `node${
          process.versions.node.split(".")[0]
        }-${transport}-${row}`;
        await order.run(lib, {
          local: await open(`${peerUrl}/${id}`),
          peer: remotePeer(controlUrl, id),
          kind: "websocket",
          // Node's WebSocket (undici) fires no error event on a reset, only
          // a close 1006: there is no cause to keep.
          silentErrors: true,
        });
      });
    });
  });
}

it("left no uncaught exception and no unhandled rejection", () =>
  uncaught.check());
