/**
 * The copies of `copyPayloads`: small binary fields share a slab, large
 * ones get a buffer of their own, and a field that fills most of its buffer
 * stays a view; no field holds more than a slab or twice its size, and no
 * field ever sees another one's bytes.
 */

import fc from "fast-check";
import {
  assert,
  assertEquals,
  assertNotStrictEquals,
  assertStrictEquals,
} from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import {
  PayloadSlab,
  SLAB_FIELD_LIMIT,
  SLAB_SIZE,
} from "../src/_payload_slab.ts";

/** A socket's read buffer: 64 KiB, every byte in use. */
function chunk(): Uint8Array {
  const bytes = new Uint8Array(65_536);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + 3) & 0xff;
  return bytes;
}

describe("PayloadSlab", () => {
  it("copies small fields into one shared slab, then a fresh one when it is full", () => {
    const source = chunk();
    const slab = new PayloadSlab();
    const copies: Uint8Array[] = [];
    // 100-byte fields: 40 fill a 4 KiB slab, the 41st starts the next one
    for (let i = 0; i < 41; i++) {
      copies.push(slab.copy(source, 1000 + i * 100, 1100 + i * 100));
    }
    for (const [i, copy] of copies.entries()) {
      assertEquals(copy, source.subarray(1000 + i * 100, 1100 + i * 100));
      assertNotStrictEquals(copy.buffer, source.buffer);
      assertEquals(copy.buffer.byteLength, SLAB_SIZE);
    }
    assertStrictEquals(copies[39].buffer, copies[0].buffer);
    assertNotStrictEquals(copies[40].buffer, copies[0].buffer);
    assertEquals(copies[40].byteOffset, 0);
  });

  it("gives a field above the limit a buffer of its exact size", () => {
    const source = chunk();
    const copy = new PayloadSlab().copy(source, 10, 10 + SLAB_FIELD_LIMIT + 1);
    assertEquals(copy, source.subarray(10, 10 + SLAB_FIELD_LIMIT + 1));
    assertEquals(copy.buffer.byteLength, SLAB_FIELD_LIMIT + 1);
  });

  it("keeps a view of a field that fills at least half of its buffer", () => {
    const packet = new Uint8Array(300);
    const view = new PayloadSlab().copy(packet, 100, 250);
    assertStrictEquals(view.buffer, packet.buffer);
    assertEquals(view.byteOffset, 100);
    assertEquals(view.length, 150);
  });

  it("copies an empty field too: it holds a slab at most, never the chunk", () => {
    const source = chunk();
    const copy = new PayloadSlab().copy(source, 5, 5);
    assertEquals(copy.length, 0);
    assertNotStrictEquals(copy.buffer, source.buffer);
  });

  it("any run of fields: each copy equals its bytes, after every later copy and after the chunk is overwritten, and holds at most a slab or twice its size", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 2 * SLAB_FIELD_LIMIT }), { maxLength: 60 }),
        (lengths) => {
          const source = chunk();
          const slab = new PayloadSlab();
          const expected: Uint8Array[] = [];
          const copies: Uint8Array[] = [];
          let at = 0;
          for (const length of lengths) {
            expected.push(source.slice(at, at + length));
            copies.push(slab.copy(source, at, at + length));
            at += length;
          }
          source.fill(0xee); // a socket reusing its buffer for the next read
          for (const [i, copy] of copies.entries()) {
            assertEquals(copy, expected[i]);
            assertNotStrictEquals(copy.buffer, source.buffer);
            const held = copy.buffer.byteLength;
            assert(
              held <= Math.max(SLAB_SIZE, 2 * copy.length),
              `${copy.length} bytes hold ${held}`,
            );
          }
        },
      ),
    );
  });
});
