/** Binary Data (section 1.5.6) as the public primitives give it. */

import { assert, assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import {
  binaryDataLength,
  decodeBinaryData,
  encodeBinaryData,
  MqttError,
} from "../../src/entries/primitives.ts";

describe("Binary Data", () => {
  it("round-trips any bytes at any offset; decoding gives a view, not a copy", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(8), (data, at) => {
        const target = new Uint8Array(at + 2 + data.length);
        assertEquals(binaryDataLength(data), 2 + data.length);
        assertEquals(encodeBinaryData(data, target, at), target.length);
        const [value, end] = decodeBinaryData(target, at);
        assertEquals([value, end], [data, target.length]);
        assert(value.buffer === target.buffer);
      }),
    );
  });

  it("refuses more than 65,535 bytes, what is not a Uint8Array, and data cut off", () => {
    assertThrows(
      () => binaryDataLength(new Uint8Array(65_536)),
      MqttError,
      "65536 bytes",
    );
    for (const value of ["x", [1], new ArrayBuffer(1), null] as unknown[]) {
      assertThrows(
        () => encodeBinaryData(value as Uint8Array, new Uint8Array(8)),
        MqttError,
        "must be a Uint8Array",
      );
    }
    assertThrows(
      () => decodeBinaryData(new Uint8Array([0x00, 0x02, 0x01])),
      MqttError,
      "announces 2 bytes but 1 follow",
    );
    assertThrows(
      () => encodeBinaryData(new Uint8Array(2), new Uint8Array(3)),
      MqttError,
      "needs 4 byte(s)",
    );
  });
});
