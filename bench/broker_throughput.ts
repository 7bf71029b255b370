/**
 * The whole stack, measured: the same fast Deno client (bench_client.ts, on
 * PacketReader/PacketWriter) against our broker (examples/broker.ts) and
 * against mosquitto 2.0.11, each started as a process, in one run.
 *
 * - Throughput: one publisher and one subscriber on one topic, 64-byte
 *   payloads, at QoS 0, 1 and 2; messages per second from the first PUBLISH
 *   to the subscriber's last message. The publisher keeps as many QoS 1 and
 *   2 messages in flight as the broker's Receive Maximum allows (at most
 *   1,000); at QoS 0 it stays at most 2,000 messages ahead of its
 *   subscriber, so that no broker has to drop or pile up messages. The two
 *   brokers take turns, round after round; the table shows the median.
 * - mosquitto runs with its default configuration but `set_tcp_nodelay
 *   true` (ours disables Nagle's algorithm too); more lines with
 *   `--mosquitto-config "max_inflight_messages 100"`.
 * - Memory: the broker's resident set (VmRSS) when idle after its start,
 *   then with 1,000 idle connections (connected, Keep Alive 600 s), and
 *   after the runs; per idle connection is the growth the 1,000 made,
 *   divided by 1,000, measured on the fresh broker (after the runs its heap
 *   holds garbage that a collection may return at any moment).
 *
 * ```sh
 * deno task bench:broker                       # 3 rounds
 * deno run -A bench/broker_throughput.ts --rounds 5 --scale 0.5
 * ```
 *
 * Not part of `deno task test`: it takes about a minute and measures time.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import type { QoS } from "../mod.ts";
import {
  type BrokerName,
  BROKERS,
  residentBytes,
  type RunningBroker,
} from "../tests/support/brokers.ts";
import { BenchClient } from "./bench_client.ts";

const flags = parseArgs(Deno.args, {
  string: ["rounds", "scale", "connections", "mosquitto-config"],
  collect: ["mosquitto-config"],
  default: { rounds: "3", scale: "1", connections: "1000" },
});
const ROUNDS = Number(flags.rounds);
const SCALE = Number(flags.scale);
const IDLE_CONNECTIONS = Number(flags.connections);
const COUNTS: Record<QoS, number> = {
  0: Math.round(200_000 * SCALE),
  1: Math.round(50_000 * SCALE),
  2: Math.round(30_000 * SCALE),
};
const PAYLOAD = new Uint8Array(64);
const QOS_0_LEAD = 2_000;
const MAX_WINDOW = 1_000;
const NAMES: BrokerName[] = ["ours", "mosquitto"];

const MiB = 2 ** 20;

/** The publisher's window at QoS 1 and 2 with each broker (its Receive Maximum). */
const windows = {} as Record<BrokerName, number>;

/** Messages per second through one broker at one QoS. */
async function throughput(
  broker: RunningBroker,
  qos: QoS,
  count: number,
  run: string,
): Promise<number> {
  const topic = `bench/${run}`;
  const subscriber = await BenchClient.connect(broker.port, `sub-${run}`);
  await subscriber.subscribe(topic, qos);
  const publisher = await BenchClient.connect(broker.port, `pub-${run}`);
  const window = Math.min(publisher.sendQuota, MAX_WINDOW);
  windows[broker.name] = window;
  const pace = qos > 0
    ? undefined
    : (sent: number) =>
      sent - subscriber.received > QOS_0_LEAD
        ? subscriber.receivedAtLeast(sent - QOS_0_LEAD)
        : undefined;
  const started = performance.now();
  await publisher.publish(
    count,
    { topic, payload: PAYLOAD, retain: false },
    qos,
    window,
    pace,
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const complete = await Promise.race([
    subscriber.receivedAtLeast(count).then(() => true),
    new Promise<false>((resolve) =>
      timer = setTimeout(() => resolve(false), 60_000)
    ),
  ]);
  clearTimeout(timer);
  const elapsed = (performance.now() - started) / 1000;
  if (!complete) {
    console.error(
      `${broker.name} QoS ${qos}: ${subscriber.received} of ${count} arrived`,
    );
  }
  await publisher.close();
  await subscriber.close();
  return subscriber.received / elapsed;
}

/** Opens `count` idle connections; returns a function that closes them. */
async function idleConnections(
  port: number,
  count: number,
): Promise<() => Promise<void>> {
  const clients: BenchClient[] = [];
  for (let i = 0; i < count; i += 100) {
    clients.push(
      ...await Promise.all(
        Array.from(
          { length: Math.min(100, count - i) },
          (_, j) =>
            BenchClient.connect(port, `idle-${i + j}`, { keepAlive: 600 }),
        ),
      ),
    );
  }
  return async () => {
    await Promise.all(clients.map((client) => client.close()));
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

/** The load average of the machine (1 minute): the other jobs on it. */
async function load(): Promise<string> {
  try {
    return (await Deno.readTextFile("/proc/loadavg")).split(" ")[0];
  } catch {
    return "?";
  }
}

const brokers = {} as Record<BrokerName, RunningBroker>;
brokers.ours = await BROKERS.ours();
// Nagle off, as ours has it (`setNoDelay`): with it on, mosquitto routes
// QoS 0 at half the rate here.
brokers.mosquitto = await BROKERS.mosquitto({
  config: ["set_tcp_nodelay true", ...flags["mosquitto-config"] as string[]],
});
const loadBefore = await load();
try {
  await settle();
  const idle = {} as Record<BrokerName, number>;
  const loaded = {} as Record<BrokerName, number>;
  for (const name of NAMES) {
    idle[name] = await residentBytes(brokers[name].pid);
    const close = await idleConnections(brokers[name].port, IDLE_CONNECTIONS);
    await settle();
    loaded[name] = await residentBytes(brokers[name].pid);
    await close();
  }

  const rates = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const qos of [0, 1, 2] as QoS[]) {
      for (const name of NAMES) {
        const rate = await throughput(
          brokers[name],
          qos,
          COUNTS[qos],
          `${round}-${qos}`,
        );
        const key = `${name} ${qos}`;
        rates.set(key, [...rates.get(key) ?? [], rate]);
        console.error(
          `round ${round + 1}: ${name} QoS ${qos}: ${Math.round(rate)} msg/s`,
        );
      }
    }
  }
  await settle();
  const after = {} as Record<BrokerName, number>;
  for (const name of NAMES) {
    after[name] = await residentBytes(brokers[name].pid);
  }

  const k = (rate: number) => `${(rate / 1000).toFixed(1)} k`;
  console.log(
    `\nDeno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores; ` +
      `${ROUNDS} rounds, median; 64-byte payloads; ` +
      `${COUNTS[0]} / ${COUNTS[1]} / ${COUNTS[2]} messages at QoS 0 / 1 / 2; ` +
      `load average ${loadBefore} before, ${await load()} after; ` +
      `QoS 1 and 2 publisher window (the broker's Receive Maximum): ours ${windows.ours}, mosquitto ${windows.mosquitto}\n`,
  );
  console.log("| QoS | ours msg/s | mosquitto msg/s | ours ÷ mosquitto |");
  console.log("| --- | ---------- | --------------- | ---------------- |");
  for (const qos of [0, 1, 2]) {
    const ours = median(rates.get(`ours ${qos}`)!);
    const theirs = median(rates.get(`mosquitto ${qos}`)!);
    console.log(
      `| ${qos} | ${k(ours)} | ${k(theirs)} | ${(ours / theirs).toFixed(2)}x |`,
    );
  }
  const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
  console.log("\n| resident memory | ours | mosquitto |");
  console.log("| --------------- | ---- | --------- |");
  console.log(
    `| idle, after start | ${mib(idle.ours)} | ${mib(idle.mosquitto)} |`,
  );
  console.log(
    `| with ${IDLE_CONNECTIONS} idle connections | ${mib(loaded.ours)} | ${
      mib(loaded.mosquitto)
    } |`,
  );
  console.log(
    `| after the runs | ${mib(after.ours)} | ${mib(after.mosquitto)} |`,
  );
  const per = (name: BrokerName) =>
    `${((loaded[name] - idle[name]) / IDLE_CONNECTIONS / 1024).toFixed(1)} KiB`;
  console.log(`| per idle connection | ${per("ours")} | ${per("mosquitto")} |`);
} finally {
  for (const name of NAMES) await brokers[name]?.stop();
}
