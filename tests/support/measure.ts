/**
 * What the hostile-client tests measure while an attack runs: the broker
 * process's resident memory, sampled from /proc, and how long another,
 * well-behaved client waits for its PINGRESP.
 */

import { AutoClient } from "./auto_client.ts";
import { residentBytes } from "./brokers.ts";
import { delay } from "./net.ts";

/** Mebibytes, for messages. */
export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** Samples the resident set of a process every `intervalMs` until stopped; keeps the peak. */
export function watchMemory(pid: number, intervalMs = 50) {
  let peak = 0;
  let running = true;
  const sampling = (async () => {
    while (running) {
      try {
        peak = Math.max(peak, await residentBytes(pid));
      } catch {
        return; // the process has gone
      }
      await delay(intervalMs);
    }
  })();
  return {
    /** The peak so far, in bytes. */
    get peak(): number {
      return peak;
    },
    /** Stops sampling; the peak resident set in bytes. */
    async stop(): Promise<number> {
      running = false;
      await sampling;
      return peak;
    },
  };
}

/**
 * A client that pings the broker every `intervalMs` and keeps the longest
 * wait for a PINGRESP — including the one still outstanding when stopped,
 * so that a frozen broker shows as the time it has been frozen.
 */
export async function startBystander(
  port: number,
  clientId: string,
  intervalMs = 100,
) {
  const client = await AutoClient.connect(port, { clientId });
  let longest = 0;
  let pings = 0;
  let outstandingSince: number | undefined;
  let running = true;
  const pinging = (async () => {
    while (running && !client.ended) {
      outstandingSince = performance.now();
      try {
        longest = Math.max(longest, await client.ping(600_000));
        pings++;
      } catch {
        return; // closed when stopped, or by the broker
      } finally {
        outstandingSince = undefined;
      }
      await delay(intervalMs);
    }
  })();
  return {
    client,
    /** Stops pinging; the longest wait in milliseconds, and how many pings came back. */
    async stop(): Promise<{ longestMs: number; pings: number }> {
      running = false;
      if (outstandingSince !== undefined) {
        longest = Math.max(longest, performance.now() - outstandingSince);
      }
      client.close();
      await pinging;
      return { longestMs: longest, pings };
    },
  };
}

/**
 * Runs `count` tasks with at most `window` running at once (a publisher
 * keeping its in-flight window full).
 */
export async function inWindow(
  count: number,
  window: number,
  task: (index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const workers = Array.from(
    { length: Math.min(window, count) },
    async () => {
      while (next < count) await task(next++);
    },
  );
  await Promise.all(workers);
}
