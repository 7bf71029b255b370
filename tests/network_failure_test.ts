/**
 * The example client on a network that keeps failing (issue 10): a
 * publisher and a subscriber, each an `examples/client.ts` process, talk to
 * the broker through the flaky proxy (tests/support/flaky_proxy.ts), which
 * cuts every connection after a seeded life of 0.2 to 1.5 s; against
 * mosquitto configured for it (`max_inflight_messages 10`, no queue limit:
 * tests/support/mosquitto.ts) and against our broker. Each row prints how
 * many cuts the run survived.
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
 * Today's client has no such contract: every row is marked, and phase 2
 * (the client on the session layer) turns them on.
 */

import { assert, assertEquals } from "@std/assert";
import { AutoClient } from "./support/auto_client.ts";
import { FlakyProxy } from "./support/flaky_proxy.ts";
import { interopSuite, type Row } from "./support/interop_suite.ts";
import { FAILURE_TEST_CONFIG } from "./support/mosquitto.ts";
import { Process } from "./support/process.ts";
import type { QoS } from "../mod.ts";

const CLIENT = new URL("../examples/client.ts", import.meta.url).pathname;
/** 20,000 as issue 10 asks; `NETWORK_TEST_COUNT` sets fewer while working on it. */
const COUNT = Number(Deno.env.get("NETWORK_TEST_COUNT") ?? 20_000);
const NOT_YET =
  "examples/client.ts has no --count publisher, reconnection or session resumption yet (phase 2)";

/** One run: `COUNT` messages at `qos` from a publisher to a subscriber, both through the proxy. */
function run(qos: QoS, seed: number): Row["fn"] {
  return async (t) => {
    const topic = t.id("stream");
    const subscriber = { id: t.id("subscriber"), expiry: "600" };
    // The subscriber's session, with its subscription, before anything is published.
    const setup = await AutoClient.connect(t.broker.port, {
      clientId: subscriber.id,
      cleanStart: true,
      sessionExpiryInterval: 600,
    });
    await setup.subscribe([{ topicFilter: topic, qos }]);
    await setup.disconnect();

    const proxy = await FlakyProxy.start({ targetPort: t.broker.port, seed });
    const client = (args: string[]) =>
      new Process(Deno.execPath(), [
        "run",
        "-A",
        CLIENT,
        "--port",
        String(proxy.port),
        "--qos",
        String(qos),
        "--count",
        String(COUNT),
        ...args,
      ]);
    try {
      const receiving = client([
        "--sub",
        topic,
        "--id",
        subscriber.id,
        "--session-expiry",
        subscriber.expiry,
        "--no-clean-start",
      ]);
      const publishing = client([
        "--pub",
        topic,
        "--id",
        t.id("publisher"),
        "--session-expiry",
        "600",
      ]);
      const published = await publishing.finish(240_000);
      const received = await receiving.finish(240_000);
      console.log(
        `QoS ${qos}, ${COUNT} messages: ${proxy.stats.cuts} cuts survived (${proxy.stats.resets} with RST)`,
      );
      assertEquals(published.code, 0, `publisher: ${published.stderr}`);
      assertEquals(received.code, 0, `subscriber: ${received.stderr}`);
      const match = received.lines.at(-1)?.match(
        /^received (\d+) messages \((\d+) duplicates\)$/,
      );
      assert(match, `the subscriber's last line: ${received.lines.at(-1)}`);
      assertEquals(Number(match[1]), COUNT, "every message, none lost");
      // Exactly once at QoS 2; QoS 1 may deliver some twice.
      if (qos === 2) assertEquals(Number(match[2]), 0, "duplicates");
      assert(proxy.stats.cuts > 0, "the network failed at least once");
    } finally {
      await proxy.close();
    }
  };
}

const ROWS: Row[] = [
  {
    name:
      "20,000 QoS 2 messages through a connection cut every 0.2 to 1.5 s: each received exactly once",
    broker: { config: [...FAILURE_TEST_CONFIG] },
    fails: { ours: NOT_YET, mosquitto: NOT_YET },
    fn: run(2, 2),
  },
  {
    name:
      "20,000 QoS 1 messages through a connection cut every 0.2 to 1.5 s: none lost",
    broker: { config: [...FAILURE_TEST_CONFIG] },
    fails: { ours: NOT_YET, mosquitto: NOT_YET },
    fn: run(1, 1),
  },
];

interopSuite("the example client on a failing network", 5, ROWS);
