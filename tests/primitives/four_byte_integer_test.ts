/** Four Byte Integer (section 1.5.3) as the public primitives give it. */

import { assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import {
  decodeFourByteInteger,
  encodeFourByteInteger,
  fourByteIntegerLength,
  MqttError,
} from "../../src/entries/primitives.ts";

describe("Four Byte Integer", () => {
  it("writes big-endian and unsigned at an offset and reads it back, for every value", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.nat(8),
        (v, at) => {
          const target = new Uint8Array(at + 4);
          assertEquals(encodeFourByteInteger(v, target, at), at + 4);
          assertEquals(
            new DataView(target.buffer).getUint32(at),
            v,
          );
          assertEquals(decodeFourByteInteger(target, at), [v, at + 4]);
          assertEquals(fourByteIntegerLength(v), 4);
        },
      ),
    );
  });

  it("reads 0xFFFFFFFF as 4294967295, not -1", () => {
    assertEquals(
      decodeFourByteInteger(new Uint8Array([0xff, 0xff, 0xff, 0xff])),
      [4_294_967_295, 4],
    );
  });

  it("refuses values out of range, a target without room and bytes cut off, with 0x81", () => {
    for (const value of [-1, 2 ** 32, 0.5, null]) {
      const error = assertThrows(
        () => encodeFourByteInteger(value as number, new Uint8Array(4)),
        MqttError,
        "Four Byte Integer",
      );
      assertEquals(error.reasonCode, 0x81);
    }
    assertThrows(
      () => encodeFourByteInteger(1, new Uint8Array(3)),
      MqttError,
      "needs 4 byte(s)",
    );
    assertThrows(
      () => decodeFourByteInteger(new Uint8Array(3)),
      MqttError,
      "cut off",
    );
  });
});
