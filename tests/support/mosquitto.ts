/**
 * Starts a real mosquitto broker for a test: on a free 127.0.0.1 port, with
 * a generated configuration in a temporary directory, stopped by its PID.
 * A missing mosquitto is an error, not a skip: `.ci/run` installs it.
 */

import { freePort, waitForPort, withTimeout } from "./net.ts";

const CANDIDATES = [
  "/usr/sbin/mosquitto",
  "/usr/bin/mosquitto",
  "/usr/local/sbin/mosquitto",
  "/usr/local/bin/mosquitto",
];

/** A mosquitto started by {@linkcode startMosquitto}. */
export interface Mosquitto {
  port: number;
  pid: number;
  /** Stops it (SIGTERM to its PID), waits for it to exit; returns its log. */
  stop(): Promise<string>;
}

/** The path of the mosquitto binary; throws when it is not installed. */
export async function mosquittoPath(): Promise<string> {
  for (const path of CANDIDATES) {
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch {
      // not there
    }
  }
  throw new Error(
    "mosquitto is not installed (apt-get install mosquitto; .ci/run does it)",
  );
}

/** Starts mosquitto; retries on another port if the chosen one was taken meanwhile. */
export async function startMosquitto(
  extraConfig: string[] = [],
): Promise<Mosquitto> {
  const binary = await mosquittoPath();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(binary, freePort(), extraConfig);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOnce(
  binary: string,
  port: number,
  extraConfig: string[],
): Promise<Mosquitto> {
  const dir = await Deno.makeTempDir({ prefix: "mqtt-codec-mosquitto-" });
  const config = `${dir}/mosquitto.conf`;
  await Deno.writeTextFile(
    config,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "persistence false",
      "log_dest stderr",
      "log_type error",
      "log_type warning",
      "log_type notice",
      ...extraConfig,
      "",
    ].join("\n"),
  );
  const child = new Deno.Command(binary, {
    args: ["-c", config],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  let stopped: Promise<string> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // already exited
      }
      const { stdout, stderr } = await output;
      await Deno.remove(dir, { recursive: true });
      return decode(stdout) + decode(stderr);
    })();
  try {
    // Ready when it accepts connections; failed if it exits first.
    await withTimeout(
      Promise.race([
        waitForPort(port),
        output.then(({ code, stderr }) => {
          throw new Error(
            `mosquitto exited with code ${code}: ${decode(stderr)}`,
          );
        }),
      ]),
      "mosquitto to start",
      10_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, pid: child.pid, stop };
}

/**
 * The configuration of the network-failure runs of issue 10 (20,000 QoS 1
 * and 20,000 QoS 2 messages through the flaky proxy):
 *
 * - `max_inflight_messages 10`: mosquitto announces Receive Maximum 10 and
 *   answers an 11th unreleased QoS 2 PUBLISH with PUBREC 0x97, so that a
 *   publisher keeps at most 10 in flight and a cut always leaves some
 *   unacknowledged. Outgoing, mosquitto 2.0.11 does not hold to it (nor to
 *   a client's Receive Maximum: after one PUBACK it may send 10 or more
 *   QoS 1 messages at once), which a subscriber must tolerate;
 * - `max_queued_messages 0` and `max_queued_bytes 0`: no limit on what
 *   waits for a client that is away (cut) or at its in-flight limit — with
 *   the default of 1,000 mosquitto would drop messages a reconnecting
 *   subscriber is owed, which is the loss the runs must not see;
 * - `set_tcp_nodelay true`: no Nagle delay on the many small packets.
 */
export const FAILURE_TEST_CONFIG: readonly string[] = [
  "max_inflight_messages 10",
  "max_queued_messages 0",
  "max_queued_bytes 0",
  "set_tcp_nodelay true",
];

/** Starts mosquitto configured for the network-failure runs ({@linkcode FAILURE_TEST_CONFIG}). */
export function startMosquittoForFailureTests(
  extraConfig: string[] = [],
): Promise<Mosquitto> {
  return startMosquitto([...FAILURE_TEST_CONFIG, ...extraConfig]);
}
