/**
 * A command-line MQTT client on the session layer (`@mqtt/codec/session`),
 * over TCP or WebSocket, MQTT 5.0, 3.1.1 or 3.1. It subscribes and prints
 * what arrives, or publishes; it connects again by itself when the
 * connection is lost (back-off from 50 ms up to 1 s) and resumes its
 * session, so that nothing is lost and, at QoS 2, nothing arrives twice:
 *
 * ```sh
 * deno run -A examples/client.ts --sub 'sensors/#'                 # print messages until Ctrl-C
 * deno run -A examples/client.ts --pub sensors/1 --message 21.5 --qos 1
 * deno run -A examples/client.ts --ws ws://127.0.0.1:8080 --mqtt 4 --sub '#' --verbose
 * # 10,000 messages "0" .. "9999" at QoS 2 to a subscriber that may come and go:
 * deno run -A examples/client.ts --id sub --session-expiry 600 --qos 2 --sub load --count 10000
 * deno run -A examples/client.ts --id pub --session-expiry 600 --qos 2 --pub load --count 10000
 * ```
 *
 * Flags: `--host` (127.0.0.1), `--port` (1883), `--ws URL` (instead of TCP),
 * `--mqtt 3|4|5` (5), `--id CLIENT_ID`, `--sub FILTER` (repeatable), `--pub
 * TOPIC`, `--message TEXT`, `--qos 0|1|2` (0; also the subscriptions'),
 * `--retain`, `--count N`, `--session-expiry SECONDS` (MQTT 5.0),
 * `--no-clean-start`, `--keep-alive SECONDS` (60), `--max-inflight N`,
 * `--receive-maximum N` (MQTT 5.0), `--verbose` (print every packet).
 *
 * - `--count N --pub TOPIC` publishes N messages whose payloads are "0" ..
 *   "N-1", in order, then disconnects; it exits 0 once all are
 *   acknowledged. Without `--count` it publishes `--message` once.
 * - `--count N --sub FILTER` exits 0 once N distinct payloads have
 *   arrived; its last line is `received N messages (D duplicates)` (also
 *   after Ctrl-C without `--count`).
 * - After a lost connection it connects again with Clean Start 0 when its
 *   session may still be on the broker (a Session Expiry Interval above 0
 *   in MQTT 5.0; `--no-clean-start` in 3.1.1 and 3.1, which have no
 *   expiry), and it subscribes again when the broker no longer has the
 *   session. Unacknowledged messages are resent (PUBLISH with DUP, PUBREL)
 *   by the session.
 * - It holds to the broker's Receive Maximum, Topic Alias Maximum (it sends
 *   aliases), Maximum Packet Size and Server Keep Alive, and takes more QoS
 *   2 messages than its own Receive Maximum from brokers that count them
 *   done at PUBREC (mosquitto 2.0.11): `strictReceiveMaximum: false`. MQTT
 *   3.1.1 cannot learn the broker's limit: `--max-inflight` says it (the
 *   session's default is 20, mosquitto's default).
 * - Exit codes: 0 done, 1 refused or failed (a message refused by the
 *   broker or dropped, a connection refused for good), 2 bad flags.
 *
 * As a module it exports {@linkcode Client} (from `client/client.ts`), used
 * by the demo.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import type { ProtocolVersion, QoS } from "../mod.ts";
import { Client } from "./client/client.ts";
import { formatPacket } from "./format_packet.ts";

export {
  Client,
  type ClientOptions,
  type PublishOptions,
  type Retry,
} from "./client/client.ts";

/** How many messages of `--count` wait in the session at most. */
const PUBLISH_WINDOW = 1_000;

const USAGE =
  "usage: deno run -A examples/client.ts [--host H] [--port P | --ws URL] [--mqtt 3|4|5] [--id ID]\n" +
  "         [--sub FILTER]... [--pub TOPIC [--message TEXT]] [--qos 0|1|2] [--retain] [--count N]\n" +
  "         [--session-expiry S] [--no-clean-start] [--keep-alive S] [--max-inflight N]\n" +
  "         [--receive-maximum N] [--verbose]";

/** Runs the command line; resolves with the exit code. */
export async function main(args: string[]): Promise<number> {
  const flags = parseArgs(args, {
    string: [
      "host",
      "port",
      "ws",
      "mqtt",
      "id",
      "sub",
      "pub",
      "message",
      "qos",
      "count",
      "session-expiry",
      "keep-alive",
      "max-inflight",
      "receive-maximum",
    ],
    boolean: ["retain", "verbose", "help", "clean-start"],
    negatable: ["clean-start"],
    collect: ["sub"],
    default: {
      host: "127.0.0.1",
      port: "1883",
      mqtt: "5",
      qos: "0",
      "clean-start": true,
    },
  });
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const problem = (message: string) => {
    console.error(`${message}\n${USAGE}`);
    return 2;
  };
  if (flags.sub.length === 0 && flags.pub === undefined) {
    return problem("--sub or --pub is needed");
  }
  const version = Number(flags.mqtt) as ProtocolVersion;
  if (![3, 4, 5].includes(version)) return problem("--mqtt must be 3, 4 or 5");
  const qos = Number(flags.qos) as QoS;
  if (![0, 1, 2].includes(qos)) return problem("--qos must be 0, 1 or 2");
  const numbers: Record<string, number | undefined> = {};
  for (
    const name of [
      "count",
      "session-expiry",
      "keep-alive",
      "max-inflight",
      "receive-maximum",
    ]
  ) {
    const text = flags[name as "count"];
    if (text === undefined) continue;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 0) {
      return problem(`--${name} must be a whole number, got ${text}`);
    }
    numbers[name] = value;
  }
  const count = numbers["count"];
  const sessionExpiry = numbers["session-expiry"];
  if (sessionExpiry !== undefined && version !== 5) {
    return problem(
      "--session-expiry is MQTT 5.0; in 3.1.1 and 3.1 a session kept by the broker is --no-clean-start",
    );
  }
  const receiveMaximum = numbers["receive-maximum"];
  if (receiveMaximum !== undefined && version !== 5) {
    return problem("--receive-maximum is MQTT 5.0");
  }

  const distinct = new Set<string>();
  let duplicates = 0;
  let connections = 0;
  let failed = 0;
  const subscriptions = flags.sub.map((topicFilter) => ({ topicFilter, qos }));
  const subscribe = () =>
    client.subscribe(subscriptions).then((suback) => {
      const codes = suback.reasonCodes;
      console.log(`subscribed to ${flags.sub.join(", ")}: ${codes.join(", ")}`);
      if (codes.every((code) => code >= 0x80)) {
        console.error("every subscription was refused");
        failed++;
        client.disconnect().catch(() => {});
      }
    }).catch(() => {}); // the client stopped first: said where it stops
  const client: Client = new Client({
    host: flags.host,
    port: Number(flags.port),
    ws: flags.ws,
    protocolVersion: version,
    clientId: flags.id,
    cleanStart: flags["clean-start"],
    keepAlive: numbers["keep-alive"],
    sessionExpiryInterval: sessionExpiry,
    maximumInFlight: numbers["max-inflight"],
    receiveMaximum,
    // mosquitto 2.0.11 frees a QoS 2 slot at PUBREC, not PUBCOMP.
    strictReceiveMaximum: false,
    onPacket: flags.verbose
      ? (direction, packet) =>
        console.log(
          `${direction === "in" ? "<-" : "->"} ${
            formatPacket(packet, version)
          }`,
        )
      : undefined,
    onEvent(event) {
      if (event.type !== "connected") return;
      connections++;
      if (connections === 1) {
        // A 3.1.1 broker does not tell the identifier it assigned.
        const id = client.clientId;
        console.log(`connected${id === "" ? "" : ` as ${id}`}`);
      } else {
        console.error(
          `connected again, session ${
            event.sessionPresent ? "resumed" : "not present"
          }`,
        );
      }
      // A session the broker kept has the subscriptions already.
      if (
        subscriptions.length > 0 && (connections === 1 || !event.sessionPresent)
      ) {
        subscribe();
      }
    },
    onRetry({ delay, event, error }) {
      const why = event === undefined
        ? String(error)
        : `${event.initiator}${
          event.reasonCode === undefined
            ? ""
            : `, reason code 0x${event.reasonCode.toString(16)}`
        }`;
      console.error(
        `connection ended (${why}): again in ${Math.round(delay)} ms`,
      );
    },
  });
  Deno.addSignalListener("SIGINT", () => {
    client.disconnect().catch(() => {});
  });
  try {
    await client.ready;
  } catch (error) {
    console.error(`could not connect: ${(error as Error).message}`);
    return 1;
  }

  if (flags.pub !== undefined) {
    const total = count ?? 1;
    let settled = 0;
    let wake: (() => void) | undefined;
    for (let i = 0; i < total; i++) {
      while (i - settled >= PUBLISH_WINDOW) {
        await new Promise<void>((resolve) => wake = resolve);
      }
      const payload = count === undefined ? flags.message ?? "" : String(i);
      client.publish(flags.pub, payload, { qos, retain: flags.retain })
        .catch((error) => {
          failed++;
          console.error(`message ${i}: ${error.message}`);
        })
        .finally(() => {
          settled++;
          wake?.();
        });
    }
    while (settled < total) {
      await new Promise<void>((resolve) => wake = resolve);
    }
    console.log(
      count === undefined
        ? `published to ${flags.pub}`
        : `published ${total - failed} messages to ${flags.pub}`,
    );
  }
  if (flags.sub.length > 0 && failed === 0) {
    for await (const message of client.messages) {
      const text = new TextDecoder().decode(message.payload);
      if (distinct.has(text)) duplicates++;
      else distinct.add(text);
      // With --verbose every packet is printed already.
      if (!flags.verbose) console.log(formatPacket(message, version));
      if (count !== undefined && distinct.size >= count) break;
    }
  }
  await client.disconnect();
  if (flags.sub.length > 0) {
    console.log(
      `received ${distinct.size} messages (${duplicates} duplicates)`,
    );
  }
  const complete = count === undefined || flags.sub.length === 0 ||
    distinct.size >= count;
  return failed === 0 && complete ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
