/**
 * The summary of `deno task bench`: one table of ratios, how many times
 * faster ours is than each peer on the same packets (peer time ÷ our time:
 * higher is better), next to the targets of the performance issue.
 *
 * It runs the cases of `cases.ts` (the very functions `deno bench` runs)
 * with its own timing loop, made for a shared, noisy machine: the cases of a
 * group take turns, round after round, each round timing every case over
 * the same short stretch of time, and a ratio is the median over the rounds
 * of the ratio within each round. A neighbour's burst of work then slows one
 * round, not one codec.
 *
 * ```sh
 * deno run -A bench/summary.ts          # every case
 * deno run -A bench/summary.ts decode-  # the groups whose name has "decode-"
 * ```
 *
 * @module
 */

import { type Case, CODEC_CASES, streamCases } from "./cases.ts";
import { SESSION_CASES } from "./session_cases.ts";

/** The time one sample of a fast case takes, in milliseconds. */
const SAMPLE_MS = 20;
/** Rounds for fast cases (microseconds a call) and slow ones (tens of milliseconds). */
const ROUNDS = 15;
const SLOW_ROUNDS = 9;

/** What the timing loop measured of one case. */
export interface Measured {
  /** The median time of one call, in nanoseconds. */
  readonly time: number;
  /** The median, over rounds, of the group's baseline time ÷ this case's time. */
  readonly speedup: number;
}

/** The measurements, by case name. */
export type Results = Map<string, Measured>;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Runs `c` `count` times; returns the time per call in nanoseconds. */
async function time(c: Case, count: number): Promise<number> {
  const fn = c.fn;
  const start = performance.now();
  if (c.async) {
    for (let i = 0; i < count; i++) await fn();
  } else {
    for (let i = 0; i < count; i++) fn();
  }
  return (performance.now() - start) * 1e6 / count;
}

/** Times the cases of one group in interleaved rounds. */
async function measureGroup(cases: Case[], results: Results): Promise<void> {
  const slow = cases.some((c) => c.slow);
  // Warm up (the JIT compiles), and find how many calls fill a sample.
  const counts: number[] = [];
  for (const c of cases) {
    let count = 1;
    if (slow) {
      await time(c, 2);
    } else {
      let elapsed = 0;
      while (elapsed < 150) {
        const started = performance.now();
        await time(c, count);
        elapsed += performance.now() - started;
        count *= 2;
      }
      const perCall = await time(c, count);
      count = Math.max(1, Math.round(SAMPLE_MS * 1e6 / perCall));
    }
    counts.push(count);
  }
  const baseline = cases.findIndex((c) => c.baseline);
  const times: number[][] = cases.map(() => []);
  const rounds = slow ? SLOW_ROUNDS : ROUNDS;
  for (let round = 0; round < rounds; round++) {
    // A different case goes first each round: no case always follows another.
    for (let k = 0; k < cases.length; k++) {
      const i = (k + round) % cases.length;
      times[i].push(await time(cases[i], counts[i]));
    }
  }
  cases.forEach((c, i) => {
    results.set(c.name, {
      time: median(times[i]),
      speedup: median(times[i].map((t, r) => t / times[baseline][r])),
    });
  });
}

/** Times every case, group by group. */
export async function measure(cases: Case[]): Promise<Results> {
  const results: Results = new Map();
  const groups = [...new Set(cases.map((c) => c.group))];
  for (const group of groups) {
    await measureGroup(cases.filter((c) => c.group === group), results);
  }
  return results;
}

/** One row of the summary. */
export interface SummaryRow {
  /** What is measured. */
  readonly case: string;
  /** Our median time for one iteration, in nanoseconds. */
  readonly ours: number;
  /** Ours ÷ mqtt-packet, as a speed ratio. */
  readonly mqttPacket?: number;
  /** Ours ÷ opifex, as a speed ratio. */
  readonly opifex?: number;
  /** A comparison with a limit or with our own codec, already formatted. */
  readonly limit?: string;
  /** The target, in words. */
  readonly target: string;
  /** Whether the target is met, or `undefined` when there is none. */
  readonly met?: boolean;
}

/**
 * The summary rows from one run's measurements. A missing case leaves its
 * ratios `NaN`.
 */
export function summarize(results: Results): SummaryRow[] {
  /** How many times faster ours runs than `name` (NaN when it is missing). */
  const vs = (name: string): number => results.get(name)?.speedup ?? NaN;
  const ours = (group: string): number =>
    results.get(`${group}/ours`)?.time ?? NaN;
  const rows: SummaryRow[] = [];
  const groups: [string, string][] = [
    ["decode-small", "decode small PUBLISH v5"],
    ["decode-mix-v5", "decode mix v5"],
    ["decode-mix-v4", "decode mix v4"],
    ["encode-small", "encode small PUBLISH v5"],
    ["encode-mix-v5", "encode mix v5"],
    ["encode-mix-v4", "encode mix v4"],
  ];
  for (const [group, name] of groups) {
    const mqttPacket = vs(`${group}/mqtt-packet`);
    const opifex = vs(`${group}/opifex`);
    rows.push({
      case: name,
      ours: ours(group),
      mqttPacket,
      opifex,
      target: "≥ 1.5x the faster peer",
      met: Math.min(mqttPacket, opifex) >= 1.5,
    });
  }
  // The hand-written floor (floor.mjs): its time over ours, so ≥ 0.91x is
  // "at most 1.1x the floor's time".
  for (const what of ["encode", "decode"]) {
    const floor = vs(`${what}-floor/floor`);
    rows.push({
      case: `${what} small PUBLISH v5 vs a hand-written ${what}r`,
      ours: ours(`${what}-floor`),
      limit: `floor: ${ratio(floor)}`,
      target: "at most 1.1x the floor's time (floor ≥ 0.91x)",
      met: floor >= 1 / 1.1,
    });
  }
  // A view: decoding 1 MiB costs what decoding the same header with 64 B does.
  const sizeFree = vs("decode-1MiB/ours-64B");
  rows.push({
    case: "decode 1 MiB PUBLISH v5",
    ours: ours("decode-1MiB"),
    mqttPacket: vs("decode-1MiB/mqtt-packet"),
    opifex: vs("decode-1MiB/opifex"),
    limit: `same with 64 B: ${ratio(sizeFree)}`,
    target: "independent of payload size (64 B ≥ 0.8x)",
    met: sizeFree >= 0.8,
  });
  const copy = vs("encode-1MiB/copy");
  rows.push({
    case: "encode 1 MiB PUBLISH v5",
    ours: ours("encode-1MiB"),
    mqttPacket: vs("encode-1MiB/mqtt-packet"),
    opifex: vs("encode-1MiB/opifex"),
    limit: `copy: ${ratio(copy)}; alloc+copy: ${
      ratio(vs("encode-1MiB/alloc+copy"))
    }`,
    target: "within 1.5x of the copy (copy ≥ 0.67x)",
    met: copy >= 1 / 1.5,
  });
  // the copy's time over encodeInto's: the copy is `copy`, encodeInto `ours-into`
  const intoVsCopy = copy / vs("encode-1MiB/ours-into");
  rows.push({
    case: "encodeInto 1 MiB PUBLISH v5, reused buffer",
    ours: results.get("encode-1MiB/ours-into")?.time ?? NaN,
    limit: `copy: ${ratio(intoVsCopy)}`,
    target: "within 1.5x of the copy (copy ≥ 0.67x)",
    met: intoVsCopy >= 1 / 1.5,
  });
  const reader = vs("read-100k/mqtt-packet");
  const loop = vs("read-100k/decode-loop");
  rows.push({
    case: "PacketReader, 100k packets, 64 KiB chunks",
    ours: ours("read-100k"),
    mqttPacket: reader,
    limit: `decode loop: ${ratio(loop)}`,
    target: "≥ 1.5x mqtt-packet; within 1.2x of the loop (≥ 0.83x)",
    met: reader >= 1.5 && loop >= 1 / 1.2,
  });
  // The parser's own ratios: the others' time over the parser's.
  const parser = vs("read-100k/parser");
  rows.push({
    case: "PacketParser, 100k packets, 64 KiB chunks",
    ours: results.get("read-100k/parser")?.time ?? NaN,
    mqttPacket: reader / parser,
    limit: `decode loop: ${ratio(loop / parser)}; PacketReader: ${
      ratio(1 / parser)
    }`,
    target: "the fastest way to read (PacketReader ≥ 1x)",
    met: 1 / parser >= 1,
  });
  rows.push({
    case: "PacketReader with copyPayloads",
    ours: results.get("read-100k/ours-copy")?.time ?? NaN,
    limit: `${ratio(vs("read-100k/ours-copy"))} the time without`,
    target: "(none: the price of not pinning chunks)",
  });
  rows.push({
    case: "PacketWriter, 100k packets",
    ours: ours("write-100k"),
    mqttPacket: vs("write-100k/mqtt-packet"),
    limit: `encode loop: ${ratio(vs("write-100k/encode-loop"))}; await each: ${
      ratio(vs("write-100k/ours-await-each"))
    }`,
    target: "(none)",
  });
  for (const qos of [1, 2]) {
    // The codec's time ÷ the sessions' on the same packets: the layer adds
    // at most 25% to the codec's cost when this is at least 4.
    const codec = vs(`session-qos${qos}/codec`);
    rows.push({
      case: `sessions, QoS ${qos} exchange each way`,
      ours: ours(`session-qos${qos}`),
      limit: `codec alone: ${ratio(codec)}; sessions + codec: ${
        ratio(vs(`session-qos${qos}/ours+codec`))
      }`,
      target: "codec ≥ 4x the sessions (adds ≤ 25%)",
      met: codec >= 4,
    });
  }
  return rows;
}

function ratio(value: number | undefined): string {
  if (value === undefined) return "—";
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : "missing";
}

function duration(ns: number): string {
  if (!Number.isFinite(ns)) return "missing";
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${(ns / 1e6).toFixed(1)} ms`;
}

/** The summary as a Markdown table, as `bench/README.md` shows it. */
export function table(rows: SummaryRow[]): string {
  const header = [
    "case",
    "ours",
    "vs mqtt-packet",
    "vs opifex",
    "vs the limit / our own loop",
    "target",
    "met",
  ];
  const body = rows.map((row) => [
    row.case,
    duration(row.ours),
    ratio(row.mqttPacket),
    ratio(row.opifex),
    row.limit ?? "",
    row.target,
    row.met === undefined ? "" : row.met ? "yes" : "**no**",
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...body.map((cells) => cells[i].length))
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(" | ")} |`;
  return [
    line(header),
    line(widths.map((width) => "-".repeat(width))),
    ...body.map(line),
  ].join("\n");
}

if (import.meta.main) {
  // An argument limits the run to the groups whose name contains it.
  const filter = Deno.args[0] ?? "";
  const cases = [
    ...CODEC_CASES,
    ...("read-100k write-100k".includes(filter) ? streamCases() : []),
    ...SESSION_CASES,
  ].filter((c) => c.group.includes(filter));
  console.log(
    `\nSummary: timing the ${cases.length} cases again, interleaved (${ROUNDS} rounds; ${SLOW_ROUNDS} for streams)...`,
  );
  const rows = summarize(await measure(cases));
  const out = table(rows);
  console.log(
    [
      "",
      "How many times faster ours is on the same packets: peer time ÷ our time, median over rounds",
      '(higher is better; below 1x the other is faster). "ours" is our median time per iteration.',
      "The machine is shared and noisy: ratios within one run matter, absolute times do not.",
      "",
      out,
      "",
    ].join("\n"),
  );
  if (filter === "" && out.includes("missing")) {
    console.error("bench/summary.ts: some cases are missing");
    Deno.exit(1);
  }
}
