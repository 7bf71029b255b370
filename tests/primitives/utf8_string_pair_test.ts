/** UTF-8 String Pair (section 1.5.7) as the public primitives give it. */

import { assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import {
  decodeUtf8StringPair,
  encodeUtf8StringPair,
  MqttError,
  utf8StringPairLength,
} from "../../src/entries/primitives.ts";

const noNull = fc.string({ maxLength: 20 }).filter((s) => !s.includes("\0"));

describe("UTF-8 String Pair", () => {
  it("round-trips any pair at any offset: the name, then the value", () => {
    fc.assert(
      fc.property(noNull, noNull, fc.nat(8), (name, value, at) => {
        const pair: [string, string] = [name, value];
        const size = utf8StringPairLength(pair);
        const target = new Uint8Array(at + size);
        assertEquals(encodeUtf8StringPair(pair, target, at), at + size);
        assertEquals(decodeUtf8StringPair(target, at), [pair, at + size]);
      }),
    );
  });

  it("refuses what is not a pair of valid strings, and writes nothing without room", () => {
    for (const pair of [["a"], ["a", "b", "c"], "ab", ["a\0", "b"], ["a", 1]]) {
      assertThrows(
        () =>
          encodeUtf8StringPair(pair as [string, string], new Uint8Array(20)),
        MqttError,
      );
    }
    const target = new Uint8Array(5);
    assertThrows(
      () => encodeUtf8StringPair(["ab", "c"], target),
      MqttError,
      "needs 7 byte(s)",
    );
    assertEquals(target, new Uint8Array(5));
    assertThrows(
      () => decodeUtf8StringPair(new Uint8Array([0, 1, 0x61, 0, 2, 0x62])),
      MqttError,
      "announces 2 bytes",
    );
  });
});
