/**
 * Runs of the example client program (examples/client.ts) as a publisher
 * and a subscriber of `--count N`, against our broker and mosquitto at
 * once, as the network-failure and `--state` tests make them: the brokers
 * configured for it (no queue limit), the runs started together in
 * `beforeAll`, each reported by its own test; and the check of issue 10's
 * command-line contract on what the two processes printed.
 */

import { assert, assertEquals } from "@std/assert";
import { afterAll, beforeAll, it } from "@std/testing/bdd";
import {
  type BrokerName,
  BROKERS,
  OUR_FAILURE_TEST_ARGS,
  type RunningBroker,
} from "./brokers.ts";
import { FAILURE_TEST_CONFIG } from "./mosquitto.ts";

/** How a process ended: its exit code, its stdout lines, its stderr. */
export interface Finished {
  code: number;
  lines: string[];
  stderr: string;
}

/** What a run of a publisher and a subscriber printed. */
export interface CountRun {
  topic: string;
  published: Finished;
  received: Finished;
}

/**
 * Checks issue 10's contract: the publisher exited 0 after `published N
 * messages to TOPIC`, the subscriber exited 0 after `received N messages
 * (D duplicates)`, none lost, and none twice at QoS 2 (QoS 1 may deliver
 * some twice).
 */
export function checkCountRun(
  run: CountRun,
  qos: 0 | 1 | 2,
  count: number,
): void {
  const { published, received } = run;
  assertEquals(published.code, 0, `publisher: ${published.stderr}`);
  assertEquals(
    published.lines.at(-1),
    `published ${count} messages to ${run.topic}`,
  );
  assertEquals(received.code, 0, `subscriber: ${received.stderr}`);
  const match = received.lines.at(-1)?.match(
    /^received (\d+) messages \((\d+) duplicates\)$/,
  );
  assert(match, `the subscriber's last line: ${received.lines.at(-1)}`);
  assertEquals(Number(match[1]), count, "every message, none lost");
  if (qos === 2) assertEquals(Number(match[2]), 0, "duplicates");
}

/**
 * Inside a `describe` (with the sanitizers off: brokers and processes
 * outlive a test): starts both brokers for failure tests, starts
 * `run(broker, kind, seed)` for every kind on each at once, and adds one
 * test per broker and kind, named by `name(kind)`, that awaits its run and
 * `check`s it. The seeds are 1, 2, ... in the order of `kinds`.
 */
export function runOnBothBrokers<Kind, Outcome>(
  kinds: Kind[],
  run: (broker: RunningBroker, kind: Kind, seed: number) => Promise<Outcome>,
  name: (kind: Kind) => string,
  check: (outcome: Outcome, kind: Kind) => void,
): void {
  const names: BrokerName[] = ["ours", "mosquitto"];
  const brokers: RunningBroker[] = [];
  /** The runs, started together: settled here, reported by each test. */
  const runs = new Map<string, Promise<Outcome | { error: unknown }>>();
  const key = (broker: BrokerName, index: number) => `${broker} ${index}`;

  beforeAll(async () => {
    for (const broker of names) {
      const running = await BROKERS[broker]({
        config: [...FAILURE_TEST_CONFIG],
        args: [...OUR_FAILURE_TEST_ARGS],
      });
      brokers.push(running);
      for (const [index, kind] of kinds.entries()) {
        runs.set(
          key(broker, index),
          run(running, kind, index + 1).catch((error) => ({ error })),
        );
      }
    }
  });

  afterAll(async () => {
    await Promise.all(runs.values());
    await Promise.all(brokers.map((broker) => broker.stop()));
  });

  for (const broker of names) {
    for (const [index, kind] of kinds.entries()) {
      it(`against ${broker}: ${name(kind)}`, async () => {
        const outcome = await runs.get(key(broker, index))!;
        if (
          outcome !== null && typeof outcome === "object" && "error" in outcome
        ) {
          throw outcome.error;
        }
        check(outcome as Outcome, kind);
      });
    }
  }
}
