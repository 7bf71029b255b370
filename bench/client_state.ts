/**
 * What `examples/client.ts --state FILE` costs: 5,000 QoS 2 messages
 * published (MQTT 5.0) to mosquitto 2.0.11, with and without `--state`, the
 * two taking turns for 3 rounds; the median messages/s of each and their
 * ratio. Each run is a process; its start-up (a `--count 1` run) is taken
 * off. With `--state` every batch of packets waits for a save (write
 * FILE.tmp, fsync, rename): the fsync, a few ms on a disk, paces the
 * QoS 2 round trips.
 *
 * ```sh
 * deno run -A bench/client_state.ts [--count 5000] [--rounds 3]
 * ```
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { BROKERS } from "../tests/support/brokers.ts";
import { run } from "../tests/support/process.ts";

const CLIENT = new URL("../examples/client.ts", import.meta.url).pathname;

const flags = parseArgs(Deno.args, {
  string: ["count", "rounds"],
  default: { count: "5000", rounds: "3" },
});
const count = Number(flags.count);
const rounds = Number(flags.rounds);

const broker = await BROKERS.mosquitto();
const dir = await Deno.makeTempDir({ prefix: "client_state_bench_" });

/** Seconds one publishing process takes, from start to exit. */
async function seconds(n: number, state: boolean): Promise<number> {
  const started = performance.now();
  const { code, stderr } = await run(Deno.execPath(), [
    "run",
    "-A",
    CLIENT,
    ...["--port", String(broker.port), "--qos", "2", "--count", String(n)],
    ...["--pub", "bench", "--id", "bench-publisher"],
    ...(state ? ["--state", `${dir}/state.json`] : []),
  ], 600_000);
  if (code !== 0) throw new Error(`the publisher failed: ${stderr}`);
  return (performance.now() - started) / 1_000;
}

const median = (values: number[]) =>
  values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)];
try {
  const rates: Record<"without" | "with", number[]> = { without: [], with: [] };
  for (let round = 0; round < rounds; round++) {
    const startup = await seconds(1, false);
    rates.without.push(count / (await seconds(count, false) - startup));
    rates.with.push(count / (await seconds(count, true) - startup));
  }
  const without = median(rates.without);
  const withState = median(rates.with);
  console.log(
    `${count} QoS 2 messages to mosquitto: ${Math.round(without)} msg/s ` +
      `without --state, ${Math.round(withState)} msg/s with it ` +
      `(${(withState / without).toFixed(2)}×)`,
  );
} finally {
  await broker.stop();
  await Deno.remove(dir, { recursive: true });
}
