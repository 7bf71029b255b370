/**
 * The example client on a network that keeps failing (issue 10): a
 * publisher and a subscriber, each an `examples/client.ts` process, talk to
 * the broker through the flaky proxy (tests/support/flaky_proxy.ts), which
 * cuts every connection after a seeded life of 0.2 to 1.5 s (a RST or a
 * FIN, both sides at once), splits the data into pieces of 1 to 64 bytes,
 * and holds it 5 ms each way, as a long link does. Against mosquitto
 * configured for it (`max_inflight_messages 10`, no queue limit:
 * tests/support/mosquitto.ts) and against our broker (whatever
 * `examples/broker.ts` is). Each run prints how many cuts it survived.
 *
 * The client's command-line contract is issue 10's: `--count N --pub TOPIC`
 * publishes the payloads "0" .. "N-1" in order and exits 0 once all are
 * acknowledged; `--count N --sub FILTER` exits 0 once N distinct payloads
 * have arrived, its last line `received N messages (D duplicates)`; `--id`,
 * `--session-expiry`, `--no-clean-start`, `--qos`; it reconnects by itself
 * and resumes its session. The subscriber's session (and subscription) is
 * made by the test before either process starts, so that nothing is
 * published before it exists.
 *
 * Both clients keep at most 10 messages in flight (mosquitto's Receive
 * Maximum here; `--max-inflight` and `--receive-maximum` give our broker
 * the same window), so that each cut leaves a window unacknowledged. With
 * the latency, the window is what paces the run: ~350 QoS 2 or ~650 QoS 1
 * messages a second, cut ~2.4 times a second, at little CPU. By default
 * 3,000 QoS 2 and 5,000 QoS 1 messages in MQTT 5.0, and 2,000 QoS 2
 * messages in MQTT 3.1.1 (some 10 s and two dozen cuts per run; the six
 * runs go at once); `NETWORK_TEST_COUNT=20000` runs issue 10's full count
 * (about a minute and a half), and `NETWORK_TEST_LATENCY_MS=0` as fast as
 * the machine goes: a broker then has to queue for a subscriber slower
 * than its publisher (the example broker of phase 1 drops what is past
 * 1,000 queued messages, so it fails there; mosquitto, configured with no
 * queue limit, passes).
 */

import { assertGreater } from "@std/assert";
import { describe } from "@std/testing/bdd";
import { AutoClient } from "./support/auto_client.ts";
import type { RunningBroker } from "./support/brokers.ts";
import {
  checkCountRun,
  type CountRun,
  runOnBothBrokers,
} from "./support/client_runs.ts";
import { FlakyProxy } from "./support/flaky_proxy.ts";
import { Process } from "./support/process.ts";

const CLIENT = new URL("../examples/client.ts", import.meta.url).pathname;
/** Issue 10's count for every run, when asked for (20,000). */
const COUNT_SET = Deno.env.get("NETWORK_TEST_COUNT");

/** One kind of run: the protocol version, the QoS, how many messages by default. */
interface RunKind {
  version: 4 | 5;
  qos: 1 | 2;
  count: number;
}

/**
 * The runs, each against each broker, all at once. MQTT 3.1.1 resumes a
 * session by Clean Session 0 (`--no-clean-start`), and learns no Receive
 * Maximum: the publisher is told the window.
 */
const KINDS: RunKind[] = [
  { version: 5, qos: 2, count: 3_000 },
  { version: 5, qos: 1, count: 5_000 },
  { version: 4, qos: 2, count: 2_000 },
].map((kind) => ({
  ...kind,
  count: COUNT_SET === undefined ? kind.count : Number(COUNT_SET),
})) as RunKind[];

/** The messages either client keeps in flight at most. */
const WINDOW = 10;
/** `NETWORK_TEST_LATENCY_MS=0` runs as fast as the machine goes, with fewer cuts. */
const PROXY = {
  minLifeMs: 200,
  maxLifeMs: 1_500,
  maxChunkBytes: 64,
  latencyMs: Number(Deno.env.get("NETWORK_TEST_LATENCY_MS") ?? 5),
};
/** A generous guard: a run that stalls (a lost message) is killed after it. */
const TIME_LIMIT_MS = 300_000;

/** What a run found. */
interface Outcome extends CountRun {
  cuts: number;
}

/**
 * One run: `count` messages at `qos` from a publisher to a subscriber, both
 * through a proxy of their own.
 */
async function run(
  broker: RunningBroker,
  { version, qos, count }: RunKind,
  seed: number,
): Promise<Outcome> {
  const prefix = `${broker.name}-${version}-${qos}`;
  const topic = `${prefix}/stream`;
  const subscriber = `${prefix}-subscriber`;
  // The subscriber's session, with its subscription, before anything is
  // published.
  const setup = await AutoClient.connect(broker.port, {
    protocolVersion: version,
    clientId: subscriber,
    ...(version === 5
      ? { cleanStart: true, sessionExpiryInterval: 600 }
      : { cleanStart: false }),
  });
  await setup.subscribe([{ topicFilter: topic, qos }]);
  await setup.disconnect();

  const proxy = await FlakyProxy.start({
    targetPort: broker.port,
    seed,
    ...PROXY,
  });
  const client = (args: string[]) =>
    new Process(Deno.execPath(), [
      "run",
      "-A",
      CLIENT,
      ...["--port", String(proxy.port), "--mqtt", String(version)],
      ...["--qos", String(qos), "--count", String(count)],
      ...(version === 5 ? ["--session-expiry", "600"] : ["--no-clean-start"]),
      ...args,
    ]);
  try {
    const receiving = client([
      ...["--sub", topic, "--id", subscriber, "--no-clean-start"],
      ...(version === 5 ? ["--receive-maximum", String(WINDOW)] : []),
    ]);
    const publishing = client([
      ...["--pub", topic, "--id", `${prefix}-publisher`],
      ...["--max-inflight", String(WINDOW)],
    ]);
    const published = await publishing.finish(TIME_LIMIT_MS);
    const received = await receiving.finish(TIME_LIMIT_MS);
    const { cuts, resets } = proxy.stats;
    console.log(
      `${broker.name}, MQTT ${version === 5 ? "5.0" : "3.1.1"}, QoS ${qos}: ${
        received.lines.at(-1)
      } of ${count}; ${cuts} cuts survived (${resets} with RST)`,
    );
    return { topic, cuts, published, received };
  } finally {
    await proxy.close();
  }
}

/** Checks a run: every message published and received, QoS 2 exactly once. */
function check(outcome: Outcome, { qos, count }: RunKind): void {
  checkCountRun(outcome, qos, count);
  assertGreater(outcome.cuts, 0, "the network failed");
}

describe("the example client on a failing network", {
  // Brokers and proxies are stopped by runOnBothBrokers and run().
  sanitizeOps: false,
  sanitizeResources: false,
}, () => {
  runOnBothBrokers(
    KINDS,
    run,
    (kind) =>
      `${kind.count} QoS ${kind.qos} messages, MQTT ${
        kind.version === 5 ? "5.0" : "3.1.1"
      }, through connections cut every 0.2 to 1.5 s: ${
        kind.qos === 2
          ? "each received exactly once"
          : "none lost, some received twice"
      }`,
    check,
  );
});
