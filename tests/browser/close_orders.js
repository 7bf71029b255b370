// The close orders of tests/support/close_orders.mjs in the browser, with
// the bundle on the page's WebSocket client, through webSocketStreams or
// connectWebSocket (Chromium's WebSocketStream). The server end is a raw
// WebSocket in the Deno test, driven over HTTP (remotePeer). The page
// exposes `runCloseOrder(...)`, which tests/browser_test.ts calls for each
// row; it resolves to `{ error?, uncaught }`, `uncaught` listing every
// uncaught exception and unhandled rejection the page saw meanwhile.

import * as lib from "../../dist/mqtt_codec.mjs";
import {
  CLOSE_ORDERS,
  remotePeer,
  watchUncaught,
} from "../support/close_orders.mjs";

const uncaught = watchUncaught(globalThis);

/** The page's ways to open a client WebSocket as two byte streams. */
const TRANSPORTS = {
  async webSocketStreams(url) {
    const socket = new WebSocket(url, "mqtt");
    const streams = lib.webSocketStreams(socket);
    if (socket.readyState !== WebSocket.OPEN) {
      await new Promise((resolve) =>
        socket.addEventListener("open", resolve, { once: true })
      );
    }
    return streams;
  },
  connectWebSocket: (url) => lib.connectWebSocket(url),
};

globalThis.runCloseOrder = async (transport, row, url, control, id) => {
  let error;
  try {
    await CLOSE_ORDERS[row].run(lib, {
      local: await TRANSPORTS[transport](url),
      peer: remotePeer(control, id),
      kind: "websocket",
      // A browser's error event says nothing about why (WHATWG).
      silentErrors: true,
    });
  } catch (thrown) {
    error = String(thrown?.stack ?? thrown);
  }
  await new Promise((resolve) => setTimeout(resolve, 50)); // late rejections
  return { error, uncaught: uncaught.seen.splice(0) };
};
globalThis.closeOrdersReady = true;
