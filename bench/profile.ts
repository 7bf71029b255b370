/**
 * Runs one case of `cases.ts` in a loop, for a profiler:
 *
 * ```sh
 * deno run -A --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile.ts decode-mix-v5/ours 3
 * deno run -A --v8-flags=--prof bench/profile.ts encode-small/ours
 * deno run -A --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile.ts session-qos1/ours
 * ```
 *
 * The arguments are the case's name and the seconds to run (default 3).
 *
 * @module
 */

import { CODEC_CASES, streamCases } from "./cases.ts";
import { SESSION_CASES } from "./session_cases.ts";

const [name, seconds = "3"] = Deno.args;
const cases = name?.startsWith("read-") || name?.startsWith("write-")
  ? streamCases()
  : name?.startsWith("session-")
  ? SESSION_CASES
  : CODEC_CASES;
const found = cases.find((c) => c.name === name);
if (found === undefined) {
  console.error(
    `usage: bench/profile.ts CASE [SECONDS]; cases: ${
      cases.map((c) => c.name).join(", ")
    }`,
  );
  Deno.exit(2);
}
const stop = performance.now() + Number(seconds) * 1000;
let calls = 0;
while (performance.now() < stop) {
  for (let i = 0; i < 100; i++) {
    if (found.async) await found.fn();
    else found.fn();
  }
  calls += 100;
}
console.log(`${found.name}: ${calls} calls in ${seconds} s`);
