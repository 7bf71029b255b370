/** Helpers for tests of the session layer. */

import type { SessionStats } from "../../src/entries/session.ts";
import type { ConnectPacket } from "../../mod.ts";

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

/** An MQTT 5.0 CONNECT with a clean start and a 60 s Keep Alive, changed by `overrides`. */
export function connectPacket(
  overrides: Partial<ConnectPacket> = {},
): ConnectPacket {
  return {
    type: "connect",
    protocolVersion: 5,
    clientId: "c",
    cleanStart: true,
    keepAlive: 60,
    ...overrides,
  };
}
