/**
 * Packet Identifiers (section 2.2.1): 1 to 65,535, never one in use
 * [MQTT-2.2.1-3], [MQTT-2.2.1-4], taken in turn so that a freed one is
 * reused as late as possible. In use means: a key of a tracked map.
 */

import { assert, assertEquals, assertFalse } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import { PacketIdAllocator } from "../../src/session/packet_ids.ts";

/** An allocator tracking one map, and a function that takes an identifier into it. */
function allocator(): {
  ids: PacketIdAllocator;
  owner: Map<number, true>;
  take: () => number | undefined;
} {
  const ids = new PacketIdAllocator();
  const owner = new Map<number, true>();
  ids.track(owner);
  return {
    ids,
    owner,
    take() {
      const id = ids.allocate();
      if (id !== undefined) owner.set(id, true);
      return id;
    },
  };
}

describe("PacketIdAllocator", () => {
  it("starts at 1 and takes identifiers in turn", () => {
    const { owner, take } = allocator();
    assertEquals([take(), take(), take()], [1, 2, 3]);
    owner.delete(2);
    assertEquals(take(), 4); // not the 2 just freed
  });

  it("wraps from 65,535 to 1, skipping identifiers in use [MQTT-2.2.1-3]", () => {
    const { owner, take } = allocator();
    owner.set(1, true);
    owner.set(2, true);
    for (let i = 3; i <= 65_535; i++) assertEquals(take(), i);
    owner.delete(65_535);
    owner.delete(2);
    assertEquals(take(), 2); // after 65,535 comes 1, which is in use
    assertEquals(take(), 65_535);
  });

  it("gives undefined when all 65,535 are in use, and recovers when one is freed", () => {
    const { ids, owner, take } = allocator();
    for (let i = 0; i < 65_535; i++) assert(take() !== undefined);
    assertEquals(ids.size, 65_535);
    assertEquals(ids.allocate(), undefined);
    owner.delete(40_000);
    assertEquals(take(), 40_000);
  });

  it("counts the keys of every tracked map as in use", () => {
    const ids = new PacketIdAllocator();
    const publishes = new Map([[1, "a"]]);
    const requests = new Map([[2, "b"]]);
    ids.track(publishes);
    ids.track(requests);
    assert(ids.has(1) && ids.has(2));
    assertFalse(ids.has(3));
    assertEquals(ids.size, 2);
    assertEquals(ids.allocate(), 3);
  });

  it("never hands out an identifier in use, in any sequence of allocations and frees", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(-1), fc.nat(50)), { maxLength: 300 }),
        (steps) => {
          const { ids, owner } = allocator();
          const inUse: number[] = [];
          for (const step of steps) {
            if (step === -1 || inUse.length === 0) {
              const id = ids.allocate()!;
              assert(id >= 1 && id <= 65_535);
              assertFalse(inUse.includes(id));
              owner.set(id, true);
              inUse.push(id);
            } else {
              const [id] = inUse.splice(step % inUse.length, 1);
              assert(owner.delete(id));
            }
            assertEquals(ids.size, inUse.length);
          }
        },
      ),
    );
  });
});
