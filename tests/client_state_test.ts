/**
 * `examples/client.ts --state FILE` (issues 9 and 10): a client process
 * killed with SIGKILL at random moments and started again with the same
 * flags goes on from its saved state, so that at QoS 2 the application
 * loses nothing and sees nothing twice, and at QoS 1 loses nothing. Real
 * processes on loopback, against our broker and mosquitto, both configured
 * with no queue limit (a subscriber that is away is owed every message).
 *
 * A kill lands at a random point of the run's progress (after a seeded
 * random number of messages printed by the subscriber), so that it always
 * hits a process in the middle of its work, never one that has finished.
 * The runs of both brokers go at once.
 */

import { describe } from "@std/testing/bdd";
import { AutoClient } from "./support/auto_client.ts";
import type { RunningBroker } from "./support/brokers.ts";
import {
  checkCountRun,
  type CountRun,
  type Finished,
  runOnBothBrokers,
} from "./support/client_runs.ts";
import { seededRandom } from "./support/flaky_proxy.ts";
import { waitUntil } from "./support/net.ts";
import { Process } from "./support/process.ts";

const CLIENT = new URL("../examples/client.ts", import.meta.url).pathname;
const COUNT = 2_000;
/** A generous guard for one process: a run that stalls is killed after it. */
const TIME_LIMIT_MS = 60_000;

/** Which process is killed, at which QoS. */
interface Scenario {
  name: string;
  qos: 1 | 2;
  killed: "publisher" | "subscriber";
}

const SCENARIOS: Scenario[] = [
  { name: "pub-qos2", qos: 2, killed: "publisher" },
  { name: "sub-qos2", qos: 2, killed: "subscriber" },
  { name: "pub-qos1", qos: 1, killed: "publisher" },
];

/** What a scenario found. */
interface Outcome extends CountRun {
  kills: number;
}

/** Lines that print a received message. */
function printed(lines: string[]): number {
  return lines.filter((line) => line.startsWith("PUBLISH ")).length;
}

/**
 * Runs a process with `args` again and again, killing it with SIGKILL once
 * `progress()` has reached each of `killPoints` in turn, and lets the last
 * one finish.
 */
async function runKilled(
  args: string[],
  progress: (process: Process) => number,
  killPoints: number[],
): Promise<Finished> {
  for (const point of killPoints) {
    const process = client(args);
    try {
      await waitUntil(
        () => progress(process) >= point,
        `progress ${point} before the kill`,
        TIME_LIMIT_MS,
      );
    } finally {
      process.kill("SIGKILL");
      await process.finish();
    }
  }
  return await client(args).finish(TIME_LIMIT_MS);
}

function client(args: string[]): Process {
  return new Process(Deno.execPath(), ["run", "-A", CLIENT, ...args]);
}

async function run(
  broker: RunningBroker,
  { name, qos, killed }: Scenario,
  seed: number,
): Promise<Outcome> {
  const prefix = `${broker.name}-${name}`;
  const topic = `${prefix}/stream`;
  const subscriberId = `${prefix}-subscriber`;
  const stateDir = await Deno.makeTempDir({ prefix: "client_state_" });
  try {
    // The subscriber's session, subscribed, before anything is published.
    const setup = await AutoClient.connect(broker.port, {
      protocolVersion: 5,
      clientId: subscriberId,
      cleanStart: true,
      sessionExpiryInterval: 600,
    });
    await setup.subscribe([{ topicFilter: topic, qos }]);
    await setup.disconnect();

    const common = [
      ...["--port", String(broker.port), "--qos", String(qos)],
      ...["--count", String(COUNT), "--session-expiry", "600"],
    ];
    const subscriberArgs = [
      ...common,
      ...["--sub", topic, "--id", subscriberId, "--no-clean-start"],
    ];
    const publisherArgs = [...common, "--pub", topic, "--id", `${prefix}-pub`];
    const random = seededRandom(seed);
    const kills = 2 + Math.floor(random() * 2);
    if (killed === "publisher") {
      const subscriber = client(subscriberArgs);
      await waitUntil(
        () => subscriber.lines.some((line) => line.startsWith("subscribed")),
        "the subscriber's SUBACK",
        TIME_LIMIT_MS,
      );
      // Kill points spread over the first two thirds of the messages.
      const span = Math.floor(COUNT * 2 / 3 / kills);
      const points = Array.from(
        { length: kills },
        (_, k) => k * span + 1 + Math.floor(random() * (span - 1)),
      );
      const published = await runKilled(
        [...publisherArgs, "--state", `${stateDir}/publisher.json`],
        () => printed(subscriber.lines),
        points,
      );
      const received = await subscriber.finish(TIME_LIMIT_MS);
      return { topic, kills, published, received };
    }
    const publisher = client(publisherArgs);
    // Each run of the subscriber is killed after some messages of its own.
    const points = Array.from(
      { length: kills },
      () => 1 + Math.floor(random() * COUNT / (kills + 1)),
    );
    const received = await runKilled(
      [...subscriberArgs, "--state", `${stateDir}/subscriber.json`],
      (process) => printed(process.lines),
      points,
    );
    const published = await publisher.finish(TIME_LIMIT_MS);
    return { topic, kills, published, received };
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
}

describe("examples/client.ts --state, killed with SIGKILL and started again", {
  // Brokers and processes are stopped by runOnBothBrokers and run().
  sanitizeOps: false,
  sanitizeResources: false,
}, () => {
  runOnBothBrokers(
    SCENARIOS,
    run,
    ({ qos, killed }) =>
      `QoS ${qos}, the ${killed} killed 2 or 3 times: ${
        qos === 2
          ? "each message received exactly once"
          : "none lost, duplicates counted"
      }`,
    (outcome, { name, qos }) => {
      console.log(
        `${name}: ${outcome.kills} kills; ${outcome.received.lines.at(-1)}`,
      );
      checkCountRun(outcome, qos, COUNT);
    },
  );
});
