/**
 * A logging MQTT proxy: forwards every connection to a broker and prints
 * each packet, decoded, in both directions.
 *
 * ```sh
 * deno run -A examples/proxy.ts --listen 1884 --upstream 127.0.0.1:1883
 * mosquitto_sub -p 1884 -t '#' -v                 # then watch the proxy's output
 * ```
 *
 * The proxy forwards the raw bytes and decodes a copy of them (a `tee` of
 * each direction), rather than decoding and re-encoding: what reaches the
 * other side is exactly what was sent, byte for byte, even where our encoder
 * would write something equivalent in another form (a longer Variable Byte
 * Integer, properties in another order) or where our decoder rejects a
 * packet. A debugging tool must not change the traffic it shows; a packet
 * that fails to decode is reported, and forwarding goes on.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import {
  MqttError,
  type Packet,
  PacketReader,
  type ProtocolVersion,
} from "../mod.ts";
import { formatPacket } from "./format_packet.ts";

/** How long the other side may stay open after one side has closed. */
const LINGER_MS = 2_000;

/** Which way a packet travels. */
export type Direction = "client->broker" | "broker->client";

/** Options of {@linkcode startProxy}. */
export interface ProxyOptions {
  /** Interface to listen on (default "127.0.0.1"). */
  hostname?: string;
  /** Port to listen on (0 picks a free one). */
  port: number;
  /** The broker to forward to. */
  upstream: { hostname: string; port: number };
  /** Where log lines go (default: nowhere). */
  log?: (line: string) => void;
  /** Called with every packet decoded, with the number of its connection. */
  onPacket?: (connection: number, direction: Direction, packet: Packet) => void;
}

/** A running proxy. */
export interface RunningProxy {
  /** The port it listens on. */
  port: number;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Starts the proxy. */
export function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const log = options.log ?? (() => {});
  const listener = Deno.listen({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port,
  });
  const open = new Set<() => void>();
  const running = new Set<Promise<void>>();
  let count = 0;

  const accepting = (async () => {
    for await (const client of listener) {
      const id = ++count;
      const done = relay(id, client).finally(() => running.delete(done));
      running.add(done);
    }
  })().catch(() => {}); // ends with an error when the listener is closed

  async function relay(id: number, client: Deno.TcpConn): Promise<void> {
    let upstream: Deno.TcpConn;
    try {
      upstream = await Deno.connect(options.upstream);
    } catch (error) {
      log(`#${id} cannot reach the broker: ${error}`);
      closeQuietly(client);
      return;
    }
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    log(`#${id} open`);
    const closeBoth = () => {
      closeQuietly(client);
      closeQuietly(upstream);
    };
    open.add(closeBoth);

    const [up, upCopy] = client.readable.tee();
    const [down, downCopy] = upstream.readable.tee();
    // The broker's packets can only be decoded once the client's CONNECT
    // has told the protocol version (CONNACK does not carry it).
    const version = Promise.withResolvers<ProtocolVersion>();
    const show = (direction: Direction, packet: Packet, v: ProtocolVersion) => {
      log(`#${id} ${direction} ${formatPacket(packet, v)}`);
      options.onPacket?.(id, direction, packet);
    };
    const logging = Promise.all([
      (async () => {
        const reader = new PacketReader(upCopy);
        await decodeAll(reader, (packet) => {
          if (packet.type === "connect") {
            version.resolve(packet.protocolVersion);
          }
          show("client->broker", packet, reader.protocolVersion);
        }, (error) => log(`#${id} client->broker undecodable: ${error}`));
        version.resolve(5);
      })(),
      (async () => {
        const v = await version.promise;
        const reader = new PacketReader(downCopy, { protocolVersion: v });
        await decodeAll(
          reader,
          (packet) => show("broker->client", packet, v),
          (error) => log(`#${id} broker->client undecodable: ${error}`),
        );
      })(),
    ]);

    // A side that ends is passed on as a half close, so that the other side
    // can finish (a broker answering a DISCONNECT by closing, say) and every
    // packet gets logged; closing a Deno.Conn's writable would close it all.
    const forward = (
      from: ReadableStream<Uint8Array>,
      to: Deno.TcpConn,
    ) =>
      from.pipeTo(to.writable, { preventClose: true })
        .then(() => to.closeWrite())
        .catch(() => closeBoth());
    const directions = [forward(up, upstream), forward(down, client)];
    await Promise.race(directions);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(directions),
      new Promise((resolve) => timer = setTimeout(resolve, LINGER_MS)),
    ]);
    clearTimeout(timer);
    closeBoth();
    open.delete(closeBoth);
    await logging;
    log(`#${id} closed`);
  }

  return Promise.resolve({
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await accepting;
      for (const closeBoth of open) closeBoth();
      await Promise.all(running);
    },
  });
}

/**
 * Decodes and shows every packet of one direction. On a decoding error the
 * copy is cancelled, so that it does not buffer the rest of the connection;
 * the forwarding goes on. A network error (the connection closing) ends it
 * quietly.
 */
async function decodeAll(
  reader: PacketReader,
  show: (packet: Packet) => void,
  report: (error: unknown) => void,
): Promise<void> {
  try {
    for await (const packet of reader) show(packet);
  } catch (error) {
    if (error instanceof MqttError) report(error);
    await reader.cancel().catch(() => {});
  }
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
    string: ["host", "listen", "upstream"],
    boolean: ["help"],
    default: { host: "127.0.0.1", listen: "1884", upstream: "127.0.0.1:1883" },
  });
  const match = /^(.+):(\d+)$/.exec(flags.upstream);
  if (flags.help || match === null) {
    console.log(
      "usage: deno run -A examples/proxy.ts [--host 127.0.0.1] [--listen 1884] [--upstream 127.0.0.1:1883]",
    );
    Deno.exit(flags.help ? 0 : 2);
  }
  const proxy = await startProxy({
    hostname: flags.host,
    port: Number(flags.listen),
    upstream: { hostname: match[1], port: Number(match[2]) },
    log: (line) => console.log(line),
  });
  console.log(
    `MQTT proxy on ${flags.host}:${proxy.port} -> ${flags.upstream} (Ctrl-C to stop)`,
  );
}
