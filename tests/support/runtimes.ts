/**
 * The runtimes the library is tested on besides Deno, and running their
 * test suites from a Deno test. `.ci/run` installs them from the npm
 * registry into `.ci/runtimes/` (every binary ships inside an npm package):
 * Bun, workerd, Node 20 and Node 22, and TypeScript with the type packages
 * of each runtime.
 *
 * A runtime that is not installed skips its tests with one line saying so,
 * except on CI (`CI` set), where `.ci/run` has installed it and its absence
 * is a failure.
 */

import { startBroker } from "../../examples/broker.ts";
import { startMosquitto } from "./mosquitto.ts";

const NODE_MODULES = new URL(
  "../../.ci/runtimes/node_modules/",
  import.meta.url,
);

/** What `.ci/run` installs, by the path of its executable in the folder. */
const EXECUTABLES = {
  bun: "bun/bin/bun.exe",
  node20: "node20/bin/node",
  node22: "node22/bin/node",
  workerd: "workerd/bin/workerd",
  tsc: "typescript/bin/tsc",
} as const;

/** A runtime (or tool) that `.ci/run` installs. */
export type RuntimeName = keyof typeof EXECUTABLES;

/** The project's root folder. */
export const ROOT: string = new URL("../../", import.meta.url).pathname;

/** The `node_modules` folder of `.ci/runtimes/`, where the type packages are. */
export const RUNTIME_MODULES: string = NODE_MODULES.pathname;

/**
 * The path of an installed runtime, or `undefined` (after one line on
 * stderr) when it is missing and the test may be skipped. On CI the path is
 * returned as it is, and running it fails loudly.
 */
export function installedRuntime(
  name: RuntimeName,
  test: string,
): string | undefined {
  return installedExecutable(
    new URL(EXECUTABLES[name], NODE_MODULES).pathname,
    `${name} is not installed in .ci/runtimes/`,
    test,
  );
}

/**
 * `path` if it is a file; else `undefined` after one line on stderr (`test`:
 * `missing`; `bash .ci/run` installs it), except on CI, where `path` is
 * returned as it is and using it fails loudly.
 */
export function installedExecutable(
  path: string,
  missing: string,
  test: string,
): string | undefined {
  try {
    if (Deno.statSync(path).isFile) return path;
  } catch {
    // not installed
  }
  if (Deno.env.get("CI")) return path;
  console.warn(`${test}: ${missing} (bash .ci/run installs it); skipped`);
  return undefined;
}

/** What a runtime's test suite did. */
export interface SuiteResult {
  code: number;
  /** stdout and stderr, interleaved as written. */
  output: string;
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
}

/** Reads the counts from the closing lines of node's TAP or bun's report. */
function counts(
  output: string,
): Pick<SuiteResult, "passed" | "failed" | "skipped"> {
  const count = (pattern: RegExp) => {
    const match = output.match(pattern);
    return match ? Number(match[1]) : 0;
  };
  return {
    passed: count(/^# pass (\d+)$/m) || count(/^ *(\d+) pass$/m),
    failed: count(/^# fail (\d+)$/m) || count(/^ *(\d+) fail$/m),
    skipped: count(/^# skipped (\d+)$/m) || count(/^ *(\d+) skip$/m),
  };
}

/**
 * Runs a runtime's test command in the project's root with `env` added,
 * and returns its exit code, output and counts. A suite that hangs is
 * killed after `ms` (a guard, not a time under test).
 */
export async function runSuite(
  command: string,
  args: string[],
  env: Record<string, string>,
  ms = 120_000,
): Promise<SuiteResult> {
  const started = performance.now();
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(ms),
  }).spawn();
  const chunks: string[] = [];
  const collect = (stream: ReadableStream<Uint8Array>) =>
    stream.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({ write: (text) => void chunks.push(text) }),
    );
  const [status] = await Promise.all([
    child.status,
    collect(child.stdout),
    collect(child.stderr),
  ]);
  const output = chunks.join("");
  return {
    code: status.code,
    output,
    ...counts(output),
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * Fails with the suite's whole output unless it exited 0, ran at least one
 * test and failed none; else prints one line of counts and time.
 */
export function assertSuitePassed(name: string, result: SuiteResult): void {
  const summary =
    `${name}: ${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped (${
      result.seconds.toFixed(1)
    } s)`;
  if (result.code !== 0 || result.failed > 0 || result.passed === 0) {
    throw new Error(
      `${summary}, exit code ${result.code}\n${result.output}`,
    );
  }
  console.log(summary);
}

/** The brokers of tests/support/scenarios.mjs, and how to stop them. */
export interface ScenarioBrokers {
  /** MQTT_TCP_PORT and MQTT_WS_URL, for the runtime's environment. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts the brokers the client scenarios run against: mosquitto for TCP,
 * and the example broker (examples/broker.ts) for WebSocket, because
 * mosquitto 2.0.11's websockets listener takes about 26 s to take in a
 * 1 MiB message.
 */
export async function startScenarioBrokers(): Promise<ScenarioBrokers> {
  const mosquitto = await startMosquitto();
  try {
    const broker = await startBroker({ port: 0, wsPort: 0 });
    return {
      env: {
        MQTT_TCP_PORT: String(mosquitto.port),
        MQTT_WS_URL: `ws://127.0.0.1:${broker.wsPort}`,
      },
      async stop() {
        await broker.close();
        await mosquitto.stop();
      },
    };
  } catch (error) {
    await mosquitto.stop();
    throw error;
  }
}

/** What `EXECUTABLE --version` prints, trimmed ("1.4.5", "v22.23.5"). */
export async function runtimeVersion(executable: string): Promise<string> {
  const { stdout } = await new Deno.Command(executable, {
    args: ["--version"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(stdout).trim();
}
