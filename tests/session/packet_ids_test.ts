/**
 * Packet Identifiers (section 2.2.1): 1 to 65,535, never one in use
 * [MQTT-2.2.1-3], [MQTT-2.2.1-4], taken in turn so that a released one is
 * reused as late as possible.
 */

import { assert, assertEquals, assertFalse } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import { PacketIdAllocator } from "../../src/session/packet_ids.ts";

describe("PacketIdAllocator", () => {
  it("starts at 1 and takes identifiers in turn", () => {
    const ids = new PacketIdAllocator();
    assertEquals([ids.allocate(), ids.allocate(), ids.allocate()], [1, 2, 3]);
    ids.release(2);
    assertEquals(ids.allocate(), 4); // not the 2 just released
  });

  it("wraps from 65,535 to 1, skipping identifiers in use [MQTT-2.2.1-3]", () => {
    const ids = new PacketIdAllocator();
    ids.reserve(1);
    ids.reserve(2);
    for (let i = 3; i <= 65_535; i++) ids.allocate();
    ids.release(65_535);
    ids.release(2);
    assertEquals(ids.allocate(), 2); // after 65,535 comes 1, which is in use
    assertEquals(ids.allocate(), 65_535);
  });

  it("gives undefined when all 65,535 are in use, and recovers on release", () => {
    const ids = new PacketIdAllocator();
    for (let i = 0; i < 65_535; i++) assert(ids.allocate() !== undefined);
    assertEquals(ids.size, 65_535);
    assertEquals(ids.allocate(), undefined);
    assert(ids.release(40_000));
    assertEquals(ids.allocate(), 40_000);
  });

  it("release says whether the identifier was in use; clear frees all", () => {
    const ids = new PacketIdAllocator();
    const id = ids.allocate()!;
    assert(ids.has(id));
    assert(ids.release(id));
    assertFalse(ids.release(id));
    ids.allocate();
    ids.allocate();
    ids.clear();
    assertEquals(ids.size, 0);
  });

  it("never hands out an identifier in use, in any sequence of allocations and releases", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(-1), fc.nat(50)), { maxLength: 300 }),
        (steps) => {
          const ids = new PacketIdAllocator();
          const inUse: number[] = [];
          for (const step of steps) {
            if (step === -1 || inUse.length === 0) {
              const id = ids.allocate()!;
              assert(id >= 1 && id <= 65_535);
              assertFalse(inUse.includes(id));
              inUse.push(id);
            } else {
              const [id] = inUse.splice(step % inUse.length, 1);
              assert(ids.release(id));
            }
            assertEquals(ids.size, inUse.length);
          }
        },
      ),
    );
  });
});
