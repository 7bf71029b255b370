// The orders in which an MQTT connection can close, as a table that any
// runtime can run: each row drives a PacketReader and a PacketWriter on one
// end of a real connection ("local") and the raw other end ("peer"), and
// checks what README.md's "Closing a connection" promises. Plain JavaScript
// without imports, so that every runtime runs the very same rows: Deno
// (tests/close_orders_test.ts), Node (tests/node/test-close-orders.mjs), Bun
// (tests/bun/close_orders_spec.ts), a Worker in workerd
// (tests/workers/worker.ts) and Chromium (tests/browser/close_orders.js),
// the last two with the peer in the Deno test (remotePeer); the library is
// passed in (the source on Deno and Bun, the bundle elsewhere).
//
// A transport gives, for each row, a fresh connection:
//   local: { readable, writable }   the byte streams the library wraps
//   peer:  {
//     send(bytes): Promise<void>    raw bytes (a binary message on WebSocket)
//     received(): Promise<Uint8Array>  all bytes received until the end
//     close(): Promise<void>        a clean close: TCP FIN, or a WebSocket
//                                   close frame 1000 and the handshake
//     drop(): void                  TCP closed without a WebSocket close
//                                   frame (on TCP the same as close)
//     reset(): void                 TCP RST
//   }
//   kind: "tcp" | "websocket"
//   silentErrors?: true             the runtime says nothing about why a
//                                   connection failed (a browser's or Bun's
//                                   WebSocket: no error event, or one
//                                   without detail), so an MqttError can
//                                   have no `cause` to keep
// The absence of uncaught exceptions and unhandled rejections is checked
// with the runtime's own hooks (watchUncaught), besides what the test
// runner does (Deno's and Node's fail a test file on either).

/** @typedef {{ types: string[], error: unknown }} LoopOutcome */

/**
 * A `node:net` socket (Node's, or Deno's `node:net`) as the peer of a TCP
 * connection: end() to close cleanly, destroy() to drop, resetAndDestroy()
 * for an RST.
 */
export function netSocketPeer(socket) {
  const chunks = [];
  socket.on("data", (chunk) => chunks.push(new Uint8Array(chunk)));
  socket.on("error", () => {}); // resets are part of the tests
  const ended = new Promise((resolve) => {
    socket.once("end", resolve);
    socket.once("close", resolve);
  });
  return {
    send: (bytes) =>
      new Promise((resolve, reject) =>
        socket.write(bytes, (error) => error ? reject(error) : resolve())
      ),
    async received() {
      await ended;
      const bytes = new Uint8Array(
        chunks.reduce((size, chunk) => size + chunk.length, 0),
      );
      let offset = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, offset);
        offset += chunk.length;
      }
      return bytes;
    },
    close: () => new Promise((resolve) => socket.end(resolve)),
    drop: () => socket.destroy(),
    reset: () => socket.resetAndDestroy(),
  };
}

/**
 * Records every uncaught exception and unhandled rejection from now on,
 * through the runtime's process-level hooks: `process.on(...)` on Node and
 * Bun, `addEventListener("error" | "unhandledrejection")` on a browser's
 * `window` (or a Worker's `globalThis`). `check()` waits a little for late
 * ones, then throws a CloseOrderError listing them.
 */
export function watchUncaught(target) {
  const seen = [];
  const record = (what) => (event) => {
    const error = event?.reason ?? event?.error ?? event;
    seen.push(`${what}: ${describe(error)}`);
  };
  if (typeof target.on === "function") {
    target.on("uncaughtException", record("uncaught exception"));
    target.on("unhandledRejection", record("unhandled rejection"));
  } else {
    target.addEventListener("error", record("uncaught exception"));
    target.addEventListener(
      "unhandledrejection",
      record("unhandled rejection"),
    );
  }
  return {
    seen,
    async check() {
      await settle(100);
      check(seen.length === 0, seen.join("\n"));
    },
  };
}

/**
 * The raw end of a connection that lives in another process, driven over
 * HTTP (tests/support/peer_control.ts serves `base`): for runtimes that
 * cannot hold both ends, a Worker's server-side WebSocket whose client is
 * in Deno, or a page's WebSocket whose server is. `id` names the
 * connection at the control server.
 */
export function remotePeer(base, id) {
  const call = async (operation, body) => {
    const response = await fetch(`${base}/peer/${id}/${operation}`, {
      method: "POST",
      body,
    });
    if (!response.ok) {
      throw new CloseOrderError(
        `the remote peer's ${operation} failed: ${await response.text()}`,
      );
    }
    return new Uint8Array(await response.arrayBuffer());
  };
  return {
    send: async (bytes) => void await call("send", bytes),
    received: () => call("received"),
    close: async () => void await call("close"),
    // Not awaited, as a local drop() or reset() is not: a failure shows as
    // the row's outcome.
    drop: () => void call("drop").catch(() => {}),
    reset: () => void call("reset").catch(() => {}),
  };
}

class CloseOrderError extends Error {
  constructor(message) {
    super(message);
    this.name = "CloseOrderError";
  }
}

function check(condition, message) {
  if (!condition) throw new CloseOrderError(message);
}

function same(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  check(a === e, `${what}: expected ${e}, got ${a}`);
}

/** A reader and a writer on the local end, and a loop over the reader. */
function start(lib, local) {
  const reader = new lib.PacketReader(local.readable, { protocolVersion: 5 });
  const writer = new lib.PacketWriter(local.writable);
  return { reader, writer, reading: loop(reader) };
}

/** A `for await` loop over the reader, pending until the stream ends. */
function loop(reader) {
  const types = [];
  return (async () => {
    try {
      for await (const packet of reader) types.push(packet.type);
      return { types, error: undefined };
    } catch (error) {
      return { types, error };
    }
  })();
}

/** The loop ended without an error, after the packets expected. */
function endedNormally(outcome, types) {
  same(outcome.types, types, "packets read");
  check(
    outcome.error === undefined,
    `the loop should end normally, but threw ${describe(outcome.error)}`,
  );
}

/** The loop threw an MqttError of `reasonCode`; with a cause when asked. */
function endedWithMqttError(lib, outcome, types, reasonCode, withCause) {
  same(outcome.types, types, "packets read");
  check(
    outcome.error instanceof lib.MqttError,
    `the loop should throw MqttError, but ${
      outcome.error === undefined ? "ended" : `threw ${describe(outcome.error)}`
    }`,
  );
  same(outcome.error.reasonCode, reasonCode, "reason code");
  if (withCause) {
    check(
      outcome.error.cause !== undefined,
      `the MqttError should keep its cause: ${outcome.error.message}`,
    );
  }
}

function describe(error) {
  return error instanceof Error
    ? `${error.name}: ${error.message}`
    : String(error);
}

/** The packets in bytes a peer received, by type. */
function packetTypes(lib, bytes) {
  const parser = new lib.PacketParser({ protocolVersion: 5 });
  return [...parser.parse(bytes)].map((packet) => packet.type);
}

/** Waits a little real time: for bytes to cross the connection. */
function settle(ms = 50) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The close orders. Each `run(lib, connection)` throws a CloseOrderError
 * when the library does not do what the row says.
 */
export const CLOSE_ORDERS = [
  {
    name:
      "we send DISCONNECT then close, while a for await loop is pending: the loop ends, close() resolves",
    async run(lib, { local, peer }) {
      const { writer, reading } = start(lib, local);
      const received = peer.received();
      await writer.write({ type: "disconnect", reasonCode: 0 });
      await writer.close();
      const bytes = await received;
      await peer.close();
      endedNormally(await reading, []);
      same(packetTypes(lib, bytes), ["disconnect"], "the peer received");
    },
  },
  {
    name:
      "the peer sends DISCONNECT and closes cleanly: the loop ends after it, close() resolves",
    async run(lib, { local, peer }) {
      const { writer, reading } = start(lib, local);
      await peer.send(new Uint8Array([0xe0, 0x00]));
      await peer.close();
      endedNormally(await reading, ["disconnect"]);
      await writer.close();
    },
  },
  {
    name:
      "the peer closes cleanly without DISCONNECT: the loop ends, writer.close() after it resolves",
    async run(lib, { local, peer }) {
      const { writer, reading } = start(lib, local);
      await peer.close();
      endedNormally(await reading, []);
      await writer.close();
    },
  },
  {
    name:
      "the peer drops the connection abruptly, without DISCONNECT: TCP ends the loop (a FIN), WebSocket throws MqttError 0x80 (no close frame)",
    async run(lib, { local, peer, kind }) {
      const { writer, reading } = start(lib, local);
      await peer.send(lib.encode({ type: "pingresp" }));
      await settle();
      peer.drop();
      const outcome = await reading;
      if (kind === "tcp") endedNormally(outcome, ["pingresp"]);
      else endedWithMqttError(lib, outcome, ["pingresp"], 0x80, false);
      await writer.close();
    },
  },
  {
    name:
      "the peer resets the connection (RST) without DISCONNECT: the loop throws MqttError 0x80 with the cause (where the runtime tells one)",
    async run(lib, { local, peer, silentErrors }) {
      const { writer, reading } = start(lib, local);
      await peer.send(lib.encode({ type: "pingresp" }));
      await settle();
      peer.reset();
      const outcome = await reading;
      endedWithMqttError(lib, outcome, ["pingresp"], 0x80, !silentErrors);
      await writer.close();
    },
  },
  {
    name:
      "the peer sends DISCONNECT and resets the connection right after: the loop ends normally",
    async run(lib, { local, peer }) {
      const { writer, reading } = start(lib, local);
      await peer.send(lib.encode({ type: "disconnect", reasonCode: 0x8b }));
      await settle();
      peer.reset();
      endedNormally(await reading, ["disconnect"]);
      await writer.close();
    },
  },
  {
    name:
      "reader.cancel() while a for await loop is pending: the loop ends, then writer.close() resolves",
    async run(lib, { local, peer }) {
      const { reader, writer, reading } = start(lib, local);
      const received = peer.received();
      await settle(10);
      await reader.cancel();
      endedNormally(await reading, []);
      await writer.close();
      await received;
      await peer.close();
    },
  },
  {
    name:
      "writer.abort() while a for await loop is pending: the loop ends, later writes reject with MqttError",
    async run(lib, { local, peer }) {
      const { writer, reading } = start(lib, local);
      const received = peer.received();
      await writer.abort(new Error("giving up"));
      endedNormally(await reading, []);
      let refused;
      try {
        await writer.write({ type: "pingreq" });
      } catch (error) {
        refused = error;
      }
      check(
        refused instanceof lib.MqttError,
        `a write after abort() should reject with MqttError, got ${
          describe(refused)
        }`,
      );
      await received;
      await peer.close();
    },
  },
  {
    name:
      "an MqttError mid-stream, then our DISCONNECT with its reason code: the peer gets it, close() resolves",
    async run(lib, { local, peer }) {
      const { reader, writer, reading } = start(lib, local);
      const received = peer.received();
      // A PINGREQ, then a PUBLISH with QoS 3 [MQTT-3.3.1-4].
      await peer.send(new Uint8Array([0xc0, 0x00, 0x36, 0x02, 0x00, 0x00]));
      const outcome = await reading;
      endedWithMqttError(lib, outcome, ["pingreq"], 0x81, false);
      await writer.write({
        type: "disconnect",
        reasonCode: outcome.error.reasonCode,
      });
      await writer.close();
      await reader.cancel();
      const bytes = await received;
      await peer.close();
      const parser = new lib.PacketParser({ protocolVersion: 5 });
      same([...parser.parse(bytes)], [
        { type: "disconnect", reasonCode: 0x81 },
      ], "the peer received");
    },
  },
];
