/** Two Byte Integer (section 1.5.2) as the public primitives give it. */

import { assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import {
  decodeTwoByteInteger,
  encodeTwoByteInteger,
  MqttError,
  twoByteIntegerLength,
} from "../../src/entries/primitives.ts";

describe("Two Byte Integer", () => {
  it("writes big-endian at an offset and reads it back, for every value", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.nat(8), (v, at) => {
        const target = new Uint8Array(at + 2);
        assertEquals(encodeTwoByteInteger(v, target, at), at + 2);
        assertEquals([target[at], target[at + 1]], [v >> 8, v & 0xff]);
        assertEquals(decodeTwoByteInteger(target, at), [v, at + 2]);
        assertEquals(twoByteIntegerLength(v), 2);
      }),
    );
  });

  it("refuses values out of range, a target without room and bytes cut off, with 0x81", () => {
    for (const value of [-1, 65_536, 1.5, NaN, "1"]) {
      const error = assertThrows(
        () => encodeTwoByteInteger(value as number, new Uint8Array(2)),
        MqttError,
        "Two Byte Integer",
      );
      assertEquals(error.reasonCode, 0x81);
      assertThrows(() => twoByteIntegerLength(value as number), MqttError);
    }
    assertThrows(
      () => encodeTwoByteInteger(1, new Uint8Array(3), 2),
      MqttError,
      "byte offset 2",
    );
    assertThrows(
      () => decodeTwoByteInteger(new Uint8Array([1, 2, 3]), 2),
      MqttError,
      "cut off",
    );
    assertThrows(
      () => decodeTwoByteInteger(new Uint8Array(4), -1),
      MqttError,
      "offset",
    );
  });
});
