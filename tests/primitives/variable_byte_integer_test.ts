/**
 * Variable Byte Integer (section 1.5.5) as the public primitives give it:
 * the table of the specification's boundaries, round trips, and the
 * shortest-form rule [MQTT-1.5.5-1].
 */

import { assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import {
  decodeVariableByteInteger,
  encodeVariableByteInteger,
  MAX_VARIABLE_BYTE_INTEGER,
  MqttError,
  variableByteIntegerLength,
} from "../../src/entries/primitives.ts";

/** The table of section 1.5.5: the smallest and largest value of each size. */
const BOUNDARIES: [number, number[]][] = [
  [0, [0x00]],
  [127, [0x7f]],
  [128, [0x80, 0x01]],
  [16_383, [0xff, 0x7f]],
  [16_384, [0x80, 0x80, 0x01]],
  [2_097_151, [0xff, 0xff, 0x7f]],
  [2_097_152, [0x80, 0x80, 0x80, 0x01]],
  [268_435_455, [0xff, 0xff, 0xff, 0x7f]],
];

describe("Variable Byte Integer", () => {
  it("encodes the boundaries of section 1.5.5 in the fewest bytes", () => {
    for (const [value, bytes] of BOUNDARIES) {
      const target = new Uint8Array(4);
      assertEquals(encodeVariableByteInteger(value, target), bytes.length);
      assertEquals([...target.subarray(0, bytes.length)], bytes);
      assertEquals(variableByteIntegerLength(value), bytes.length);
      assertEquals(
        decodeVariableByteInteger(new Uint8Array([0xaa, ...bytes]), 1),
        [value, 1 + bytes.length],
      );
    }
    assertEquals(MAX_VARIABLE_BYTE_INTEGER, 268_435_455);
  });

  it("round-trips every value at any offset", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_VARIABLE_BYTE_INTEGER }),
        fc.nat(8),
        (value, at) => {
          const target = new Uint8Array(at + 4);
          const end = encodeVariableByteInteger(value, target, at);
          assertEquals(end - at, variableByteIntegerLength(value));
          assertEquals(decodeVariableByteInteger(target, at), [value, end]);
        },
      ),
    );
  });

  it("refuses a form longer than needed [MQTT-1.5.5-1], a 5th byte and bytes cut off", () => {
    const rows: [number[], string][] = [
      [[0x80, 0x00], "MQTT-1.5.5-1"],
      [[0xff, 0x80, 0x00], "MQTT-1.5.5-1"],
      [[0x80, 0x80, 0x80, 0x80, 0x01], "more than 4 bytes"],
      [[0x80], "cut off"],
      [[], "cut off"],
    ];
    for (const [bytes, says] of rows) {
      const error = assertThrows(
        () => decodeVariableByteInteger(new Uint8Array(bytes)),
        MqttError,
        says,
      );
      assertEquals(error.reasonCode, 0x81);
    }
  });

  it("refuses values out of range and a target without room", () => {
    for (const value of [-1, MAX_VARIABLE_BYTE_INTEGER + 1, 2.5, "7"]) {
      assertThrows(
        () => encodeVariableByteInteger(value as number, new Uint8Array(4)),
        MqttError,
        "Variable Byte Integer",
      );
      assertThrows(
        () => variableByteIntegerLength(value as number),
        MqttError,
      );
    }
    assertThrows(
      () => encodeVariableByteInteger(128, new Uint8Array(1)),
      MqttError,
      "needs 2 byte(s)",
    );
  });
});
