/**
 * Property-based round trips: for random valid packets of every type in both
 * versions, `decode(encode(p))` equals `p`, and `encode(decode(bytes))`
 * gives back the very same bytes (the encoding is canonical).
 */

import fc from "fast-check";
import { assert, assertEquals } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { decode, encode, packetSize } from "../mod.ts";
import type { Packet, ProtocolVersion } from "../mod.ts";
import { arbitraryOf, packetArbitrary, packetTypes } from "./arbitraries.ts";

const NUM_RUNS = 150;

function roundTrip(packet: Packet, protocolVersion: ProtocolVersion): void {
  const bytes = encode(packet, { protocolVersion });
  assertEquals(packetSize(bytes, 0), bytes.length);
  const decoded = decode(bytes, { protocolVersion });
  assertEquals(decoded, packet);
  assertEquals(encode(decoded, { protocolVersion }), bytes);
}

for (const version of [5, 4] as const) {
  describe(`round trips, MQTT ${version === 5 ? "5.0" : "3.1.1"}`, () => {
    for (const type of packetTypes(version)) {
      it(`${type}: decode(encode(p)) equals p, encode(decode(bytes)) equals bytes`, () => {
        fc.assert(
          fc.property(
            arbitraryOf(type, version),
            (packet) => roundTrip(packet, version),
          ),
          { numRuns: NUM_RUNS },
        );
      });
    }

    it("decodes a packet that is a view into a larger buffer, at any offset", () => {
      fc.assert(
        fc.property(
          packetArbitrary(version),
          fc.nat(7),
          fc.nat(7),
          (packet, before, after) => {
            const bytes = encode(packet, { protocolVersion: version });
            const buffer = new Uint8Array(before + bytes.length + after)
              .fill(0xff);
            buffer.set(bytes, before);
            const view = buffer.subarray(before, before + bytes.length);
            assertEquals(decode(view, { protocolVersion: version }), packet);
          },
        ),
        { numRuns: NUM_RUNS },
      );
    });

    it("decodes payloads and binary fields as views of the input, not copies", () => {
      fc.assert(
        fc.property(packetArbitrary(version), (packet) => {
          const bytes = encode(packet, { protocolVersion: version });
          const decoded = decode(bytes, { protocolVersion: version });
          for (const value of binaryFields(decoded)) {
            assert(value.buffer === bytes.buffer, "a copy, not a view");
          }
        }),
        { numRuns: NUM_RUNS },
      );
    });
  });
}

/** Every Uint8Array of a packet, the Will's included. */
function binaryFields(packet: Packet): Uint8Array[] {
  const found: Uint8Array[] = [];
  const visit = (value: unknown): void => {
    if (value instanceof Uint8Array) found.push(value);
    else if (typeof value === "object" && value !== null) {
      for (const item of Object.values(value)) visit(item);
    }
  };
  visit(packet);
  return found;
}
