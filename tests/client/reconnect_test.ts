/**
 * The example client's reconnection policy (examples/client/reconnect.ts):
 * the back-off's delays, and which endings of a connection are worth
 * connecting again after, one row per rule.
 */

import { assert, assertEquals } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import {
  INITIAL_RECONNECT_DELAY,
  MAXIMUM_RECONNECT_DELAY,
  reconnectDelay,
  shouldReconnect,
} from "../../examples/client/reconnect.ts";
import type { DisconnectedEvent } from "../../src/entries/session.ts";
import { MqttError } from "../../mod.ts";

describe("reconnectDelay", () => {
  it("doubles from 50 ms per failure, up to 1 s; jitter takes up to half off", () => {
    const steps = [50, 100, 200, 400, 800, 1_000, 1_000, 1_000];
    assertEquals(steps.map((_, n) => reconnectDelay(n, 0)), steps);
    assertEquals(
      steps.map((_, n) => reconnectDelay(n, 0.999_999)),
      steps.map((step) => step / 2 + step / 2 * 0.000_001),
    );
    assertEquals(reconnectDelay(1_000_000, 0), MAXIMUM_RECONNECT_DELAY);
  });

  it("any number of failures and any draw: between half the step and the step, never above 1 s, never less after more failures", () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (failures, random) => {
          const delay = reconnectDelay(failures, random);
          const step = Math.min(
            MAXIMUM_RECONNECT_DELAY,
            INITIAL_RECONNECT_DELAY * 2 ** Math.min(failures, 16),
          );
          assert(delay > step / 2 && delay <= step, `${delay} of ${step}`);
          assert(reconnectDelay(failures + 1, random) >= delay);
        },
      ),
    );
  });
});

describe("shouldReconnect", () => {
  const refused = (reasonCode: number): DisconnectedEvent => ({
    type: "disconnected",
    initiator: "peer",
    reasonCode,
    packet: { type: "connack", sessionPresent: false, reasonCode },
  });
  const told = (reasonCode: number): DisconnectedEvent => ({
    type: "disconnected",
    initiator: "peer",
    reasonCode,
    packet: { type: "disconnect", reasonCode },
  });
  const rows: [string, DisconnectedEvent, boolean][] = [
    [
      "the network failed",
      { type: "disconnected", initiator: "network" },
      true,
    ],
    [
      "no PINGRESP in time (0x8D, ours)",
      { type: "disconnected", initiator: "local", reasonCode: 0x8d },
      true,
    ],
    [
      "the server broke the protocol (0x82, ours)",
      {
        type: "disconnected",
        initiator: "local",
        reasonCode: 0x82,
        error: new MqttError("PUBACK for nothing", 0x82),
      },
      true,
    ],
    ["CONNACK 0x87 Not authorized", refused(0x87), false],
    ["CONNACK 0x86 Bad User Name or Password", refused(0x86), false],
    ["CONNACK 0x85 Client Identifier not valid", refused(0x85), false],
    ["CONNACK 0x84 Unsupported Protocol Version", refused(0x84), false],
    ["CONNACK 0x88 Server unavailable", refused(0x88), true],
    ["CONNACK 0x89 Server busy", refused(0x89), true],
    ["CONNACK 0x97 Quota exceeded", refused(0x97), true],
    ["CONNACK 0x9F Connection rate exceeded", refused(0x9f), true],
    ["CONNACK 3 Server unavailable (3.1.1)", refused(3), true],
    ["CONNACK 5 Not authorized (3.1.1)", refused(5), false],
    ["CONNACK 2 Identifier rejected (3.1.1)", refused(2), false],
    ["DISCONNECT 0x8B Server shutting down", told(0x8b), true],
    ["DISCONNECT 0x89 Server busy", told(0x89), true],
    ["DISCONNECT 0x00 Normal disconnection", told(0x00), true],
    ["DISCONNECT 0x8D Keep Alive timeout", told(0x8d), true],
    ["DISCONNECT 0x8E Session taken over", told(0x8e), false],
    ["DISCONNECT 0x87 Not authorized", told(0x87), false],
    ["DISCONNECT 0x98 Administrative action", told(0x98), false],
    ["DISCONNECT 0x9C Use another server", told(0x9c), false],
    ["DISCONNECT 0x9D Server moved", told(0x9d), false],
  ];
  for (const [name, event, expected] of rows) {
    it(`${name}: ${expected ? "connect again" : "give up"}`, () => {
      assertEquals(shouldReconnect(event), expected);
    });
  }
});
