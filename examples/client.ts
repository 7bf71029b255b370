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
 * `--receive-maximum N` (MQTT 5.0), `--state FILE`, `--verbose` (print
 * every packet).
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
 * - `--state FILE` makes the session outlive the process, even one killed
 *   with SIGKILL at any moment: started again with the same flags, the
 *   client goes on from FILE, and at QoS 2 the application loses nothing
 *   and sees nothing twice (issue 9). FILE holds the session's snapshot
 *   (`ClientSession.snapshot()`, restored by `ClientSession.restore`) and
 *   the program's own state: for `--pub --count` the index of the next
 *   message to hand to the session, for `--sub --count` the distinct
 *   payloads received (runs of numbers as ranges) and the duplicates.
 *   Write-ahead: before the packets of a batch go out, the state that
 *   includes them is on disk (FILE.tmp written, fsync, renamed over FILE);
 *   a message received is counted and printed in the same state as its
 *   QoS 2 Packet Identifier awaiting PUBREL, saved before its PUBREC (or
 *   PUBACK) goes, so that a restart never counts it twice nor loses it.
 *   (Its line may be printed again, once, when the process is killed
 *   between printing and saving: stdout is not part of the saved state.)
 *   One save per batch, not per packet: the packets the session gives
 *   while a save runs wait for the next one. It costs: 5,000 QoS 2
 *   messages to mosquitto go at about a quarter of the rate without it
 *   (`bench/client_state.ts`). FILE is deleted when the job is done (exit
 *   0 with `--count` or `--pub`: every message acknowledged, or every one
 *   received), since a new run with the same flags is then a new job; it
 *   is kept, saved a last time, after Ctrl-C without `--count` and after a
 *   failure (exit 1), so that the next run resumes that session. The
 *   clock is then `Date.now()`, so that a message's expiry counts the
 *   downtime.
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
import { PayloadSet, type SavedPayloads } from "./client/payload_set.ts";
import { type SavedState, StateFile } from "./client/state_file.ts";

export {
  Client,
  type ClientOptions,
  type PublishOptions,
  type Retry,
} from "./client/client.ts";

/** How many messages of `--count` wait in the session at most. */
const PUBLISH_WINDOW = 1_000;
/**
 * The same with `--state`: each save writes every message in the session,
 * so fewer wait there; still many more than a broker lets be in flight.
 */
const SAVED_PUBLISH_WINDOW = 100;

/** The program's own state in a `--state` file, next to the session's. */
interface ProgramState {
  /** `--pub --count`: the index of the next message to hand to the session. */
  next: number;
  /** `--sub --count`: the distinct payloads received. */
  received: SavedPayloads;
  /** `--sub --count`: how many arrived again. */
  duplicates: number;
}

const USAGE =
  "usage: deno run -A examples/client.ts [--host H] [--port P | --ws URL] [--mqtt 3|4|5] [--id ID]\n" +
  "         [--sub FILTER]... [--pub TOPIC [--message TEXT]] [--qos 0|1|2] [--retain] [--count N]\n" +
  "         [--session-expiry S] [--no-clean-start] [--keep-alive S] [--max-inflight N]\n" +
  "         [--receive-maximum N] [--state FILE] [--verbose]";

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
      "state",
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

  const stateFile = flags.state === undefined
    ? undefined
    : new StateFile<ProgramState>(flags.state);
  let saved: SavedState<ProgramState> | undefined;
  try {
    saved = await stateFile?.load();
  } catch (error) {
    console.error(`--state ${flags.state}: ${(error as Error).message}`);
    return 1;
  }
  const distinct = PayloadSet.from(saved?.application.received ?? []);
  let duplicates = saved?.application.duplicates ?? 0;
  let next = saved?.application.next ?? 0;
  const programState = (): ProgramState => ({
    next,
    received: distinct.save(),
    duplicates,
  });
  /** Payloads of the messages a restored session still sends, by id. */
  const restoredPayloads = new Map(
    saved?.session.messages.map((entry) => [
      entry.id,
      new TextDecoder().decode(entry.message.payload),
    ]),
  );
  let connections = 0;
  let failed = 0;
  /** Resolves once `--count` distinct payloads have arrived. */
  const allReceived = Promise.withResolvers<void>();
  if (count !== undefined && distinct.size >= count) allReceived.resolve();
  /** Wakes the publishing loop: a message is done, or the client stopped. */
  let wake: (() => void) | undefined;
  const restoredFailure = (id: number | undefined, why: string) => {
    const payload = id === undefined ? undefined : restoredPayloads.get(id);
    if (payload === undefined) return; // one of ours: publish() rejects
    failed++;
    console.error(`message "${payload}": ${why}`);
  };
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
  let client: Client;
  try {
    client = new Client({
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
        if (event.type === "message") {
          const text = new TextDecoder().decode(event.message.payload);
          if (distinct.add(text)) {
            if (count !== undefined && distinct.size >= count) {
              allReceived.resolve();
            }
          } else duplicates++;
          // With --verbose every packet is printed already.
          if (!flags.verbose) console.log(formatPacket(event.message, version));
          return;
        }
        if (event.type === "published" || event.type === "dropped") {
          if (event.type === "dropped") {
            restoredFailure(event.id, `dropped: ${event.reason}`);
          } else if (event.reasonCode >= 0x80) {
            restoredFailure(
              event.id,
              `refused: reason code 0x${event.reasonCode.toString(16)}`,
            );
          }
          wake?.();
          return;
        }
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
        // A session the broker kept has the subscriptions already; a
        // restored one was subscribed by an earlier process.
        const fresh = connections === 1 && saved === undefined;
        if (subscriptions.length > 0 && (fresh || !event.sessionPresent)) {
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
      restore: saved?.session,
      // Times in a saved session must outlive the process.
      now: stateFile === undefined ? undefined : Date.now,
      save: stateFile === undefined ? undefined : async (session) => {
        try {
          await stateFile.save({
            session: session.snapshot(),
            application: programState(),
          });
        } catch (error) {
          console.error(`--state ${flags.state}: ${(error as Error).message}`);
          throw error;
        }
      },
    });
  } catch (error) {
    // A saved session that is not one, or of other options (--mqtt).
    console.error(`--state ${flags.state}: ${(error as Error).message}`);
    return 1;
  }
  // Messages are counted as they arrive (onEvent), in the state saved.
  client.messages.cancel().catch(() => {});
  let stopped = false;
  client.closed.finally(() => {
    stopped = true;
    wake?.();
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
    const window = stateFile === undefined
      ? PUBLISH_WINDOW
      : SAVED_PUBLISH_WINDOW;
    const waiting = () => {
      const stats = client.session.stats;
      return stats.queuedMessages + stats.inFlightMessages;
    };
    const sleep = () => new Promise<void>((resolve) => wake = resolve);
    while (next < total && !stopped) {
      if (waiting() >= window) {
        await sleep();
        continue;
      }
      // `next` and the session change together: a save has both or neither.
      const i = next++;
      const payload = count === undefined ? flags.message ?? "" : String(i);
      client.publish(flags.pub, payload, { qos, retain: flags.retain })
        .catch((error) => {
          failed++;
          console.error(`message ${i}: ${error.message}`);
        });
    }
    while (waiting() > 0 && !stopped) await sleep();
    console.log(
      count === undefined
        ? `published to ${flags.pub}`
        : `published ${total - failed} messages to ${flags.pub}`,
    );
  }
  if (flags.sub.length > 0 && failed === 0) {
    await Promise.race([allReceived.promise, client.closed]);
  }
  await client.disconnect();
  if (flags.sub.length > 0) {
    console.log(
      `received ${distinct.size} messages (${duplicates} duplicates)`,
    );
  }
  const complete = count === undefined || flags.sub.length === 0 ||
    distinct.size >= count;
  const code = failed === 0 && complete ? 0 : 1;
  if (stateFile !== undefined) {
    try {
      // Done: the next run is a new job. Otherwise (Ctrl-C, a failure) the
      // next run goes on from here, the session included.
      if (code === 0 && (count !== undefined || flags.pub !== undefined)) {
        await stateFile.remove();
      } else {
        await stateFile.save({
          session: client.session.snapshot(),
          application: programState(),
        });
      }
    } catch (error) {
      console.error(`--state ${flags.state}: ${(error as Error).message}`);
      return 1;
    }
  }
  return code;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
