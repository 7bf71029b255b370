/**
 * A small in-memory MQTT broker on `@mqtt/codec/session`: MQTT 5.0, 3.1.1
 * and 3.1 over TCP and over WebSocket (subprotocol "mqtt").
 *
 * ```sh
 * deno run -A examples/broker.ts                    # TCP 127.0.0.1:1883, WebSocket :8080
 * deno run -A examples/broker.ts --port 0 --ws-port none --deny 'secret/#' --verbose
 * ```
 *
 * How little a real endpoint needs on top of the library: each connection's
 * `ServerSession` holds the protocol — QoS 0, 1 and 2 both ways, packet
 * identifiers, resending on a resumed session, the client's Receive
 * Maximum, topic aliases both ways, Keep Alive and Server Keep Alive,
 * Maximum Packet Size both ways, session expiry, Wills with their delay,
 * Message Expiry, subscription options (No Local, Retain As Published,
 * Retain Handling, Subscription Identifiers), overlapping subscriptions.
 * The broker adds only I/O (`broker/connection.ts`: a `PacketParser` and a
 * `PacketWriter` per connection, paced by the client's reading, a timer
 * from `pollTimeout()`) and its decisions (`broker/state.ts`): accepting a
 * CONNECT and taking over the client id's session, routing with a
 * `TopicTree` (shared subscriptions `$share/{group}/{filter}` to one
 * connected member at a time, in turn, skipping members whose queue is
 * full), retained messages in a `TopicMap`, Wills, `--deny`. It is an
 * example, not a product: everything lives in memory; it refuses enhanced
 * authentication (CONNACK 0x8C).
 *
 * What it bounds, with its defaults (each has a flag, and an option of
 * {@linkcode startBroker}):
 *
 * | bound | default | flag |
 * | ----- | ------- | ---- |
 * | connections open at once, on each listener (TCP, WebSocket), as mosquitto's `max_connections`: one past it is closed as soon as it is accepted, before a byte is read (a WebSocket gets HTTP 503 instead of the upgrade); refusals are counted, and logged once per run of them | 10,000 (0: none) | `--max-connections N` |
 * | sessions held, connected or waiting for their client: a CONNECT that would make one more is refused — CONNACK 0x97 Quota exceeded in 5.0 (section 3.2.2.2), return code 3 Server unavailable in 3.1.1 and 3.1 (section 3.2.2.3) — while resuming a session or taking one over is not one more | 100,000 (0: none) | `--max-sessions N` |
 * | a packet before the CONNECT is accepted (refused from its fixed header) | 64 KiB | `--max-connect-size B` |
 * | a packet once connected (announced as Maximum Packet Size; 0x95) | 16 MiB | `--max-packet-size B` |
 * | time from connecting to the CONNECT | 10 s | `--connect-timeout MS` |
 * | QoS 1/2 messages a client may leave unacknowledged (Receive Maximum; 0x93) | 100 | `--receive-maximum N` |
 * | QoS 1/2 messages in flight to a client, whatever its Receive Maximum | 100 | `--max-inflight N` |
 * | messages queued or in flight for one client (oldest QoS 0 dropped first, then new ones refused) | 1,000 | `--max-queued N` |
 * | bytes of those | 16 MiB | `--max-queued-bytes B` |
 * | what waits in one connection's writer: past it the session keeps the rest (under the two bounds above) and the client's packets are not read | 64 KiB | — |
 * | what a WebSocket client sends meanwhile (a WebSocket cannot be paused): past it, closed (1008) | the maximum packet size + 64 KiB | — |
 * | subscriptions of one client (more: 0x97) | 20,000 | `--max-subscriptions N` |
 * | retained messages, in bytes (each counted as payload, topic and properties plus 512); a retained PUBLISH past it is refused — PUBACK or PUBREC 0x97 in 5.0, the positive acknowledgement MQTT 3.1.1 requires [MQTT-3.3.5-2] — and goes nowhere | 64 MiB | `--max-retained-bytes B` |
 * | a session's life after its connection | none | `--max-session-expiry S` |
 * | the Keep Alive granted (Server Keep Alive; 3.1.1 asking more or 0: refused) | none | `--max-keep-alive S` |
 * | topic aliases a client may set | 10 | `--topic-alias-maximum N` |
 *
 * And the time one client may take: the packets of one chunk are handled
 * 10 ms at a time, then the event loop runs; the retained messages of a
 * SUBSCRIBE are looked up and sent 500 at a time, and only as fast as the
 * client takes them; the subscription index and the retained store are
 * tries, so a PUBLISH costs what it matches. Two CONNECTs for one client
 * id are decided one after the other: the second takes over, the first
 * gets DISCONNECT 0x8E [MQTT-3.1.4-3]. A retained message replaced or
 * cleared while a SUBSCRIBE's retained messages are still being sent goes
 * out as it is when its turn comes (the new one; none once cleared).
 *
 * What it does not bound: the total memory of all clients. Each idle
 * connection holds about 12 KiB of heap (25 KiB of resident memory,
 * bench/README.md), plus its queue, its subscriptions and the packet it is
 * receiving (up to the maximum packet size, as its bytes arrive); a session
 * kept for a client that went away holds its queue and subscriptions. The
 * bounds above are per client: the worst case is theirs times the
 * connections and sessions allowed (at the defaults, far more than any
 * machine has — lower `--max-connections`, `--max-sessions`,
 * `--max-queued-bytes` and `--max-packet-size` to fit yours). Nor the
 * fan-out of one PUBLISH to many matching subscribers (done at once, each
 * copy under its subscriber's queue bounds), nor the CPU a client can make
 * it spend within these bounds.
 *
 * `--deny FILTER` (repeatable) keeps a topic filter from every client: a
 * SUBSCRIBE to a filter it covers (every topic the filter matches, FILTER
 * matches too) gets 0x80, in MQTT 3.1.1 and 5.0; a wider filter that only
 * overlaps it (`#`) is granted but never gets those topics (see
 * `broker/deny_list.ts`).
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { Connection } from "./broker/connection.ts";
import { ConnectionLimit } from "./broker/connection_limit.ts";
import {
  type BrokerSettings,
  BrokerState,
  DEFAULT_SETTINGS,
} from "./broker/state.ts";
import {
  tcpTransport,
  type Transport,
  webSocketTransport,
} from "./broker/transport.ts";

/** Options of {@linkcode startBroker}: where to listen, and the broker's limits. */
export interface BrokerOptions extends Partial<BrokerSettings> {
  /** Interface to listen on (default "127.0.0.1"). */
  hostname?: string;
  /** TCP port (default 1883; 0 picks a free one). */
  port?: number;
  /** WebSocket port (default 8080; 0 picks a free one; `null` for no WebSocket). */
  wsPort?: number | null;
}

/** A running broker. */
export interface RunningBroker {
  /** The TCP port it listens on. */
  tcpPort: number;
  /** The WebSocket port it listens on, if any. */
  wsPort: number | undefined;
  /** The broker's state, for tests that look inside. */
  state: BrokerState;
  /** The connections open and refused, on TCP and on WebSocket. */
  connections: { tcp: ConnectionLimit; webSocket: ConnectionLimit };
  /** Disconnects every client (0x8B Server shutting down) and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts the broker: a TCP listener and, unless `wsPort` is `null`, a
 * WebSocket server (subprotocol "mqtt", section 6). Rejects for an invalid
 * option (`MqttError`, `Error` for a `deny` filter) or a port in use.
 */
// deno-lint-ignore require-await
export async function startBroker(
  options: BrokerOptions = {},
): Promise<RunningBroker> {
  const hostname = options.hostname ?? "127.0.0.1";
  const state = new BrokerState(options);
  const connections = new Set<Connection>();
  // Per listener, as mosquitto's max_connections.
  const maximumConnections = options.maximumConnections ??
    DEFAULT_SETTINGS.maximumConnections;
  const tcpLimit = new ConnectionLimit("TCP", maximumConnections, state.log);
  const wsLimit = new ConnectionLimit(
    "WebSocket",
    maximumConnections,
    state.log,
  );

  function serve(transport: Transport): void {
    const connection = new Connection(state, transport);
    connections.add(connection);
    connection.run().finally(() => connections.delete(connection));
  }

  const listener = Deno.listen({ hostname, port: options.port ?? 1883 });
  const accepting = (async () => {
    for await (const conn of listener) {
      const transport = tcpTransport(conn);
      // Over the limit: closed before a byte is read (no buffer taken).
      if (!tcpLimit.take(transport.remote)) {
        transport.close();
        continue;
      }
      const held = tcpLimit.held(transport);
      try {
        conn.setNoDelay(true);
      } catch {
        held.close(); // gone already
        continue;
      }
      serve(held);
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
        const { hostname: host, port } = info.remoteAddr;
        const remote = `ws:${host}:${port}`;
        // Over the limit: no WebSocket at all.
        if (!wsLimit.take(remote)) {
          return new Response("too many connections\n", { status: 503 });
        }
        const { socket, response } = Deno.upgradeWebSocket(
          request,
          offered.length > 0 ? { protocol: "mqtt" } : {},
        );
        // Room for a packet of the largest size, and some.
        const backlog = state.maximumPacketSize + 64 * 1024;
        serve(wsLimit.held(webSocketTransport(socket, remote, backlog)));
        return response;
      },
    );
  }

  return {
    tcpPort: (listener.addr as Deno.NetAddr).port,
    wsPort: server?.addr.port,
    state,
    connections: { tcp: tcpLimit, webSocket: wsLimit },
    async close() {
      listener.close();
      await accepting;
      const now = state.clock();
      for (const connection of connections) {
        connection.session.disconnect({ reasonCode: 0x8b }, now);
        connection.pump(now);
        connection.end();
      }
      while (connections.size > 0) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      state.close();
      await server?.shutdown();
    },
  };
}

/** The command line: `--flag value` for every option, `--help` lists them. */
const FLAGS: Record<string, [keyof BrokerSettings, string]> = {
  "max-connections": ["maximumConnections", "N"],
  "max-sessions": ["maximumSessions", "N"],
  "max-keep-alive": ["maximumKeepAlive", "S"],
  "topic-alias-maximum": ["topicAliasMaximum", "N"],
  "max-packet-size": ["maximumPacketSize", "B"],
  "max-connect-size": ["connectPacketSize", "B"],
  "connect-timeout": ["connectTimeout", "MS"],
  "receive-maximum": ["receiveMaximum", "N"],
  "max-inflight": ["maximumInFlight", "N"],
  "max-queued": ["maximumQueuedMessages", "N"],
  "max-queued-bytes": ["maximumQueuedBytes", "B"],
  "max-subscriptions": ["maximumSubscriptions", "N"],
  "max-retained-bytes": ["maximumRetainedBytes", "B"],
  "max-session-expiry": ["maximumSessionExpiryInterval", "S"],
};

function usage(): string {
  const limits = Object.entries(FLAGS).map(([flag, [key, unit]]) =>
    `  --${flag} ${unit}`.padEnd(30) +
    `(default ${DEFAULT_SETTINGS[key] ?? "none"})`
  );
  return [
    "usage: deno run -A examples/broker.ts [options]",
    "  --host H                    (default 127.0.0.1)",
    "  --port P                    (default 1883; 0: any free port)",
    "  --ws-port P | none          (default 8080)",
    "  --deny FILTER               (repeatable) no client may read FILTER",
    "  --server-reference R        refuse every client: use R (0x9C)",
    "  --verbose                   print every packet",
    ...limits,
  ].join("\n");
}

if (import.meta.main) {
  const flags = parseArgs(Deno.args, {
    string: [
      "host",
      "port",
      "ws-port",
      "server-reference",
      "deny",
      ...Object.keys(FLAGS),
    ],
    collect: ["deny"],
    boolean: ["verbose", "help"],
    default: { host: "127.0.0.1", port: "1883", "ws-port": "8080" },
  }) as unknown as Record<string, unknown> & { host: string; deny: string[] };
  if (flags.help === true) {
    console.log(usage());
    Deno.exit(0);
  }
  const options: BrokerOptions = {
    hostname: flags.host,
    port: Number(flags.port),
    wsPort: flags["ws-port"] === "none" ? null : Number(flags["ws-port"]),
    deny: flags.deny,
    verbose: flags.verbose === true,
    log: (line) => console.log(line),
  };
  if (typeof flags["server-reference"] === "string") {
    options.serverReference = flags["server-reference"];
  }
  for (const [flag, [key]] of Object.entries(FLAGS)) {
    const value = flags[flag];
    if (value === undefined) continue;
    const number = Number(value);
    if (!Number.isSafeInteger(number) || number < 0) {
      console.error(`--${flag}: not a whole number: ${value}\n${usage()}`);
      Deno.exit(2);
    }
    (options as Record<string, unknown>)[key] = number;
  }
  let broker: RunningBroker;
  try {
    broker = await startBroker(options);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error}`);
    Deno.exit(2);
  }
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
