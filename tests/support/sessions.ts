/** Helpers for tests of the session layer. */

import type { SessionStats } from "../../src/entries/session.ts";

/** Every value `poll` gives until it gives `undefined`. */
export function drain<T>(poll: () => T | undefined): T[] {
  const out: T[] = [];
  for (let value; (value = poll()) !== undefined;) out.push(value);
  return out;
}

/** The stats of a session that holds nothing. */
export const NO_STATE: SessionStats = {
  queuedMessages: 0,
  inFlightMessages: 0,
  messageBytes: 0,
  awaitingRelease: 0,
  unanswered: 0,
  pendingRequests: 0,
  packetIdentifiers: 0,
};
