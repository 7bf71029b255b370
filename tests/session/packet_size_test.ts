/**
 * Packet sizes without encoding: the bound is never below the exact size,
 * and `fitsWithin` agrees with encoding.
 */

import { assert, assertEquals } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import { encode } from "../../mod.ts";
import { fitsWithin, publishSizeBound } from "../../src/session/packet_size.ts";
import { packetArbitrary, publishArbitrary } from "../arbitraries.ts";

describe("publishSizeBound", () => {
  it("is never below the encoded size of a PUBLISH", () => {
    for (const version of [4, 5] as const) {
      fc.assert(
        fc.property(publishArbitrary(version), (packet) => {
          const exact = encode(packet, { protocolVersion: version }).length;
          assert(publishSizeBound(packet) >= exact);
        }),
      );
    }
  });
});

describe("fitsWithin", () => {
  it("agrees with the encoded size, for every packet and limit", () => {
    for (const version of [4, 5] as const) {
      fc.assert(
        fc.property(
          packetArbitrary(version),
          fc.integer({ min: 1, max: 300 }),
          (packet, maximum) => {
            const exact = encode(packet, { protocolVersion: version }).length;
            assertEquals(
              fitsWithin(packet, maximum, version),
              exact <= maximum,
            );
          },
        ),
      );
    }
  });
});
