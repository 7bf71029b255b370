/**
 * A small in-memory MQTT broker built on `PacketReader` and `PacketWriter`:
 * MQTT 5.0 and 3.1.1 over TCP and over WebSocket.
 *
 * ```sh
 * deno run -A examples/broker.ts                    # TCP 127.0.0.1:1883, WebSocket :8080
 * deno run -A examples/broker.ts --port 1884 --ws-port 8081 --verbose
 * ```
 *
 * It is an example, not a product: sessions, retained messages and queues
 * live in memory. What it supports: QoS 0, 1 and 2 both ways; `+` and `#`
 * wildcards, `$` topics kept from leading wildcards [MQTT-4.7.2-1];
 * overlapping subscriptions (one copy per client at the highest QoS, with all
 * Subscription Identifiers); No Local, Retain As Published, Retain Handling;
 * retained messages; Wills with Will Delay Interval; keep-alive; topic
 * aliases from clients; persistent sessions (Clean Start 0 and Session
 * Expiry Interval) with queued and resent messages; session takeover; message
 * expiry. What it refuses, with the reason code the specification gives:
 * shared subscriptions (SUBACK 0x9E), extended authentication (CONNACK
 * 0x8C), MQTT 3.1 (CONNACK return code 1).
 *
 * The broker's logic lives in `broker/state.ts` (sessions, routing,
 * retained, Wills) and `broker/connection.ts` (the protocol of one
 * connection); this file only listens and parses flags.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { Connection, type Transport } from "./broker/connection.ts";
import { webSocketStreams } from "../mod.ts";
import { BrokerState } from "./broker/state.ts";

/** Options of {@linkcode startBroker}. */
export interface BrokerOptions {
  /** Interface to listen on (default "127.0.0.1"). */
  hostname?: string;
  /** TCP port (default 1883; 0 picks a free one). */
  port?: number;
  /** WebSocket port (default 8080; 0 picks a free one; `null` for no WebSocket). */
  wsPort?: number | null;
  /** Log every packet, both directions. */
  verbose?: boolean;
  /** Where log lines go (default: nowhere). */
  log?: (line: string) => void;
}

/** A running broker. */
export interface RunningBroker {
  /** The TCP port it listens on. */
  tcpPort: number;
  /** The WebSocket port it listens on, if any. */
  wsPort: number | undefined;
  /** The broker's state, for tests that look inside. */
  state: BrokerState;
  /** Disconnects every client (0x8B Server shutting down) and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts the broker: a TCP listener and, unless `wsPort` is `null`, a
 * WebSocket server (subprotocol "mqtt", section 6).
 */
export function startBroker(
  options: BrokerOptions = {},
): Promise<RunningBroker> {
  const hostname = options.hostname ?? "127.0.0.1";
  const log = options.log ?? (() => {});
  const connectionOptions = { log, verbose: options.verbose ?? false };
  const state = new BrokerState();
  const connections = new Set<Connection>();
  const running = new Set<Promise<void>>();

  function serve(transport: Transport): Promise<void> {
    const connection = new Connection(state, transport, connectionOptions);
    connections.add(connection);
    const done = connection.run().finally(() => {
      connections.delete(connection);
      running.delete(done);
    });
    running.add(done);
    return done;
  }

  const listener = Deno.listen({ hostname, port: options.port ?? 1883 });
  const accepting = (async () => {
    for await (const conn of listener) {
      conn.setNoDelay(true);
      const { hostname: host, port } = conn.remoteAddr;
      serve({
        readable: conn.readable,
        writable: conn.writable,
        close: () => closeQuietly(conn),
        remote: `tcp:${host}:${port}`,
      });
    }
  })().catch(() => {}); // ends with an error when the listener is closed

  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  const wsPort = options.wsPort === undefined ? 8080 : options.wsPort;
  if (wsPort !== null) {
    server = Deno.serve(
      { hostname, port: wsPort, onListen: () => {} },
      (request, info) => {
        if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
          return new Response("MQTT over WebSocket only\n", { status: 426 });
        }
        // The client offers "mqtt" [MQTT-6.0.0-3]; the server selects it [MQTT-6.0.0-4].
        const offered = (request.headers.get("sec-websocket-protocol") ?? "")
          .split(",").map((name) => name.trim()).filter((name) => name !== "");
        if (offered.length > 0 && !offered.includes("mqtt")) {
          return new Response("subprotocol mqtt required\n", { status: 400 });
        }
        // The address is gone from `info` once the request is upgraded.
        const { hostname: host, port } = info.remoteAddr;
        const { socket, response } = Deno.upgradeWebSocket(
          request,
          offered.length > 0 ? { protocol: "mqtt" } : {},
        );
        const { readable, writable } = webSocketStreams(socket);
        serve({
          readable,
          writable,
          close: () => {
            if (socket.readyState <= WebSocket.OPEN) socket.close(1000);
          },
          remote: `ws:${host}:${port}`,
        });
        return response;
      },
    );
  }

  return Promise.resolve({
    tcpPort: (listener.addr as Deno.NetAddr).port,
    wsPort: server?.addr.port,
    state,
    async close() {
      listener.close();
      await accepting;
      await Promise.all(
        [...connections].map((connection) =>
          connection.kick(0x8b, "server shutting down")
        ),
      );
      await Promise.all(running);
      state.close();
      await server?.shutdown();
    },
  });
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

if (import.meta.main) {
  const flags = parseArgs(Deno.args, {
    string: ["host", "port", "ws-port"],
    boolean: ["verbose", "help"],
    default: { host: "127.0.0.1", port: "1883", "ws-port": "8080" },
  });
  if (flags.help) {
    console.log(
      "usage: deno run -A examples/broker.ts [--host 127.0.0.1] [--port 1883] [--ws-port 8080 | --ws-port none] [--verbose]",
    );
    Deno.exit(0);
  }
  const broker = await startBroker({
    hostname: flags.host,
    port: Number(flags.port),
    wsPort: flags["ws-port"] === "none" ? null : Number(flags["ws-port"]),
    verbose: flags.verbose,
    log: (line) => console.log(line),
  });
  console.log(
    `MQTT broker on mqtt://${flags.host}:${broker.tcpPort}${
      broker.wsPort === undefined
        ? ""
        : ` and ws://${flags.host}:${broker.wsPort}`
    } (Ctrl-C to stop)`,
  );
  Deno.addSignalListener("SIGINT", async () => {
    await broker.close();
    Deno.exit(0);
  });
}
