/**
 * Network helpers for tests: free ports and timeouts.
 *
 * The timers here are the real ones, taken when this module loads: a test
 * may fake time (`FakeTime` from `@std/testing/time` replaces `setTimeout`
 * and `Date` while installed), and the guards against a hanging test must
 * still fire, and polling must still poll, in real time. Deadlines use
 * `performance.now()`, which `FakeTime` leaves alone.
 */

const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Rejects with `Error(what timed out)` if `promise` has not settled within
 * `ms`. Only a guard against hanging tests: no test asserts a duration.
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  what: string,
  ms = 5_000,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = realSetTimeout(
          () => reject(new Error(`timed out after ${ms} ms: ${what}`)),
          ms,
        );
      }),
    ]);
  } finally {
    realClearTimeout(timer);
  }
}

/** Resolves after `ms` milliseconds of real time. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => realSetTimeout(resolve, ms));
}

/** Connects to 127.0.0.1:`port`, retrying until it accepts or `ms` pass. */
export async function waitForPort(port: number, ms = 5_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (true) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await delay(25);
    }
  }
}

/** Polls `predicate` until it holds; fails after `ms`. */
export async function waitUntil(
  predicate: () => boolean,
  what: string,
  ms = 5_000,
): Promise<void> {
  const deadline = performance.now() + ms;
  while (!predicate()) {
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    }
    await delay(10);
  }
}
