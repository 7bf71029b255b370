/**
 * The brokers the black-box tests run against, each started as its own
 * process on a free 127.0.0.1 port and stopped by its PID: ours
 * (`examples/broker.ts`, through its command line) and mosquitto 2.0.11,
 * the reference. One set of options means the same for both:
 *
 * | option            | ours                   | mosquitto                                  |
 * | ----------------- | ---------------------- | ------------------------------------------ |
 * | `deny: [F, ...]`  | `--deny F` (repeated)  | an ACL file: `topic deny F`, `topic readwrite #` |
 * | `maxKeepAlive: S` | `--max-keep-alive S`   | `max_keepalive S`                          |
 * | `topicAliasMaximum: N` | `--topic-alias-maximum N` | `max_topic_alias N`               |
 * | `maximumPacketSize: B` | `--max-packet-size B` | `max_packet_size B`                     |
 * | `serverReference: R` | `--server-reference R` | (none: starting fails)                   |
 * | `args` / `config` | more command-line flags | more configuration lines                  |
 *
 * Our broker is ready when it prints `mqtt://HOST:PORT` on stdout (it is
 * started with `--port 0`, so the port is whatever it got).
 */

import { startMosquitto } from "./mosquitto.ts";
import { waitUntil } from "./net.ts";
import { Process } from "./process.ts";

/**
 * Our broker with the queue limits of FAILURE_TEST_CONFIG's mosquitto (no
 * queue limit there): a subscriber that falls behind a publisher across the
 * cuts must not lose messages to a queue cap, on either broker. Our broker's
 * limits are inclusive of what is in flight; 20,000 messages of a few bytes
 * each fit with room to spare.
 */
export const OUR_FAILURE_TEST_ARGS: readonly string[] = [
  ...["--max-queued", "1000000"],
  ...["--max-queued-bytes", String(256 * 1024 * 1024)],
];

/** The two brokers under test. */
export type BrokerName = "ours" | "mosquitto";

/** How to start a broker; what neither broker has is left out. */
export interface BrokerOptions {
  /** Topic filters whose SUBSCRIBE is refused (SUBACK 0x80 in 3.1.1). */
  deny?: string[];
  /** The highest Keep Alive granted (Server Keep Alive above it or for 0). */
  maxKeepAlive?: number;
  /** Topic Alias Maximum: the aliases a client may set. */
  topicAliasMaximum?: number;
  /** Maximum Packet Size the broker accepts. */
  maximumPacketSize?: number;
  /** Send every client elsewhere: CONNACK 0x9C with this Server Reference. */
  serverReference?: string;
  /** More flags for ours. */
  args?: string[];
  /** More configuration lines for mosquitto. */
  config?: string[];
}

/** A broker process started for a test. */
export interface RunningBroker {
  name: BrokerName;
  port: number;
  pid: number;
  /** Stops the process (SIGTERM to its PID) and returns what it logged. */
  stop(): Promise<string>;
}

/** Starts a broker of one kind. */
export type BrokerStarter = (options?: BrokerOptions) => Promise<RunningBroker>;

const BROKER_SCRIPT = new URL("../../examples/broker.ts", import.meta.url)
  .pathname;

/** Starts examples/broker.ts as a process, on a port it picks. */
export async function startOurBroker(
  options: BrokerOptions = {},
): Promise<RunningBroker> {
  const args = ["run", "-A", BROKER_SCRIPT, "--port", "0", "--ws-port", "none"];
  for (const filter of options.deny ?? []) args.push("--deny", filter);
  if (options.maxKeepAlive !== undefined) {
    args.push("--max-keep-alive", String(options.maxKeepAlive));
  }
  if (options.topicAliasMaximum !== undefined) {
    args.push("--topic-alias-maximum", String(options.topicAliasMaximum));
  }
  if (options.maximumPacketSize !== undefined) {
    args.push("--max-packet-size", String(options.maximumPacketSize));
  }
  if (options.serverReference !== undefined) {
    args.push("--server-reference", options.serverReference);
  }
  args.push(...options.args ?? []);
  const process = new Process(Deno.execPath(), args);
  let exited = false;
  process.child.status.then(() => exited = true);
  const address = () =>
    process.lines.map((line) => line.match(/mqtt:\/\/[^:\s]+:(\d+)/))
      .find((match) => match !== null);
  try {
    await waitUntil(
      () => exited || address() !== undefined,
      "examples/broker.ts to listen",
      30_000,
    );
  } catch (error) {
    await process.stop();
    throw error;
  }
  if (exited) {
    const { stderr } = await process.finish();
    throw new Error(`examples/broker.ts exited before listening: ${stderr}`);
  }
  return {
    name: "ours",
    port: Number(address()![1]),
    pid: process.child.pid,
    async stop() {
      await process.stop();
      return process.lines.join("\n");
    },
  };
}

/** Starts mosquitto with the same options, as configuration lines. */
export async function startReferenceBroker(
  options: BrokerOptions = {},
): Promise<RunningBroker> {
  const config: string[] = [];
  let aclDir: string | undefined;
  if (options.deny !== undefined) {
    // With an ACL file anonymous clients get only the rules before any
    // "user" line; the first rule that matches decides: the denied
    // filters, then everything else.
    aclDir = await Deno.makeTempDir({ prefix: "mqtt-codec-acl-" });
    const acl = `${aclDir}/acl`;
    await Deno.writeTextFile(
      acl,
      [
        ...options.deny.map((filter) => `topic deny ${filter}`),
        "topic readwrite #",
        "",
      ].join("\n"),
    );
    // mosquitto started as root reads it after dropping to its own user.
    await Deno.chmod(aclDir, 0o755);
    await Deno.chmod(acl, 0o644);
    config.push(`acl_file ${acl}`);
  }
  if (options.maxKeepAlive !== undefined) {
    config.push(`max_keepalive ${options.maxKeepAlive}`);
  }
  if (options.topicAliasMaximum !== undefined) {
    config.push(`max_topic_alias ${options.topicAliasMaximum}`);
  }
  if (options.maximumPacketSize !== undefined) {
    config.push(`max_packet_size ${options.maximumPacketSize}`);
  }
  if (options.serverReference !== undefined) {
    throw new Error("mosquitto has no option to send clients elsewhere");
  }
  config.push(...options.config ?? []);
  const mosquitto = await startMosquitto(config);
  return {
    name: "mosquitto",
    port: mosquitto.port,
    pid: mosquitto.pid,
    async stop() {
      const log = await mosquitto.stop();
      if (aclDir !== undefined) await Deno.remove(aclDir, { recursive: true });
      return log;
    },
  };
}

/** Each broker by name. */
export const BROKERS: Record<BrokerName, BrokerStarter> = {
  ours: startOurBroker,
  mosquitto: startReferenceBroker,
};

/** The resident set size of a process, in bytes (VmRSS of /proc/PID/status). */
export async function residentBytes(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const match = status.match(/^VmRSS:\s+(\d+) kB$/m);
  if (match === null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}
