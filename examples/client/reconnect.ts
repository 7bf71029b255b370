/**
 * When the example client connects again after losing its connection, and
 * whether it does at all: pure functions of what happened, so that the
 * policy is tested without a network or a clock.
 *
 * @module
 */

import type { DisconnectedEvent } from "../../src/entries/session.ts";

/** The first delay before connecting again, before jitter (milliseconds). */
export const INITIAL_RECONNECT_DELAY = 50;
/** The longest delay before connecting again (milliseconds). */
export const MAXIMUM_RECONNECT_DELAY = 1_000;

/**
 * The delay before the next attempt to connect, after `failures` attempts
 * in a row that did not reach a CONNACK (0 right after a connection that
 * did): 50 ms doubled per failure, at most 1 s, of which a random part of up
 * to half is taken off ("equal jitter"), so that clients cut off together
 * do not all come back at the same moment.
 *
 * @param failures Attempts in a row that failed (0 or more).
 * @param random A number in [0, 1): `Math.random()` unless a test decides.
 * @returns The delay in milliseconds, between half the step and the step.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { reconnectDelay } from "./reconnect.ts";
 *
 * assertEquals(reconnectDelay(0, 0), 50);
 * assertEquals(reconnectDelay(20, 0.5), 750);
 * ```
 */
export function reconnectDelay(failures: number, random: number): number {
  const step = Math.min(
    MAXIMUM_RECONNECT_DELAY,
    INITIAL_RECONNECT_DELAY * 2 ** Math.min(failures, 16),
  );
  return step - step / 2 * random;
}

/**
 * CONNACK reason codes that say "not now" rather than "never": 3.1.1's 3
 * Server unavailable (section 3.2.2.3), and MQTT 5.0's 0x88 Server
 * unavailable, 0x89 Server busy, 0x97 Quota exceeded and 0x9F Connection
 * rate exceeded (section 3.2.2.2). The two sets do not overlap: a 3.1.1
 * refusal is below 0x80, a 5.0 one at or above.
 */
const TRANSIENT_REFUSALS: ReadonlySet<number> = new Set([
  0x03,
  0x88,
  0x89,
  0x97,
  0x9f,
]);

/**
 * DISCONNECT reason codes from a server after which connecting again would
 * undo what it meant (section 3.14.2.1): 0x87 Not authorized, 0x8E Session
 * taken over (another connection uses our Client Identifier: taking it
 * back would start a fight neither side wins), 0x98 Administrative action,
 * 0x9C Use another server and 0x9D Server moved (this client does not
 * follow a Server Reference).
 */
const FINAL_DISCONNECTS: ReadonlySet<number> = new Set([
  0x87,
  0x8e,
  0x98,
  0x9c,
  0x9d,
]);

/**
 * Whether to connect again after a connection ended as `event` says, when
 * the application did not end it itself: yes after the network failed, a
 * keep-alive or CONNACK timeout, or a violation of the protocol (the next
 * connection may go better); after a refused CONNECT only when the server
 * said it was a passing condition; after a DISCONNECT from the server
 * unless it told the client to go away.
 *
 * @param event The `disconnected` event of the connection that ended.
 * @returns `true` to connect again (after {@linkcode reconnectDelay}).
 *
 * @example Usage
 * ```ts
 * import { assert } from "@std/assert";
 * import { shouldReconnect } from "./reconnect.ts";
 *
 * assert(shouldReconnect({ type: "disconnected", initiator: "network" }));
 * assert(!shouldReconnect({
 *   type: "disconnected",
 *   initiator: "peer",
 *   reasonCode: 0x8e,
 *   packet: { type: "disconnect", reasonCode: 0x8e },
 * }));
 * ```
 */
export function shouldReconnect(event: DisconnectedEvent): boolean {
  if (event.initiator !== "peer") return true;
  const code = event.reasonCode ?? 0;
  if (event.packet?.type === "connack") return TRANSIENT_REFUSALS.has(code);
  return !FINAL_DISCONNECTS.has(code);
}
