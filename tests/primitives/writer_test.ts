/**
 * Writing packets: the byte writer over one preallocated buffer, the fixed
 * header, and the checks that keep `encode` as strict as `decode`.
 */

import { assert, assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { MqttError } from "../../mod.ts";
import {
  binaryLength,
  ByteWriter,
  checkBoolean,
  checkBytes,
  checkInteger,
  checkQoS,
  describe as describeValue,
  encodeError,
  startPacket,
  stringLength,
} from "../../src/primitives/writer.ts";
import {
  MAX_VARIABLE_BYTE_INTEGER,
  variableByteIntegerLength as vbiLength,
} from "../../src/primitives/variable_byte_integer.ts";
import { MQTT_3_1_1, MQTT_5_0 } from "../../src/protocol.ts";

function written(size: number, write: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter(new Uint8Array(size));
  write(w);
  assertEquals(w.pos, size, "the writer filled its buffer exactly");
  return w.bytes;
}

describe("ByteWriter", () => {
  it("writes a Byte, Two and Four Byte Integers big-endian", () => {
    assertEquals(
      written(7, (w) => {
        w.u8(0xab);
        w.u16(0x1234);
        w.u32(0x01020304);
      }),
      new Uint8Array([0xab, 0x12, 0x34, 0x01, 0x02, 0x03, 0x04]),
    );
  });

  it("writes 65535 and 4294967295 as all ones", () => {
    assertEquals(
      written(6, (w) => {
        w.u16(65535);
        w.u32(4294967295);
      }),
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    );
  });

  /** Table 1-1 of section 1.5.5. */
  const vbis: [number, number[]][] = [
    [0, [0x00]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [16_383, [0xff, 0x7f]],
    [16_384, [0x80, 0x80, 0x01]],
    [2_097_151, [0xff, 0xff, 0x7f]],
    [2_097_152, [0x80, 0x80, 0x80, 0x01]],
    [268_435_455, [0xff, 0xff, 0xff, 0x7f]],
  ];
  for (const [value, bytes] of vbis) {
    it(`writes the Variable Byte Integer ${value} in ${bytes.length} byte(s)`, () => {
      assertEquals(vbiLength(value), bytes.length);
      assertEquals(
        written(bytes.length, (w) => w.vbi(value)),
        new Uint8Array(bytes),
      );
    });
  }

  it("writes a UTF-8 Encoded String with its length", () => {
    assertEquals(
      written(7, (w) => w.utf8("é€", 5)),
      new Uint8Array([0x00, 0x05, 0xc3, 0xa9, 0xe2, 0x82, 0xac]),
    );
  });

  it("writes Binary Data with its length, and raw bytes without", () => {
    assertEquals(
      written(5, (w) => {
        w.binary(new Uint8Array([0xaa, 0xbb]));
        w.raw(new Uint8Array([0xcc]));
      }),
      new Uint8Array([0x00, 0x02, 0xaa, 0xbb, 0xcc]),
    );
  });
});

describe("startPacket", () => {
  it("allocates the whole packet and writes the fixed header", () => {
    const w = startPacket(0x30, 200, "PUBLISH (MQTT 5.0)");
    assertEquals(w.bytes.length, 1 + 2 + 200);
    assertEquals(w.pos, 3);
    assertEquals(w.bytes.subarray(0, 3), new Uint8Array([0x30, 0xc8, 0x01]));
  });

  it("refuses a Remaining Length above 268,435,455 with 0x95, before allocating", () => {
    assertEquals(MAX_VARIABLE_BYTE_INTEGER, 268_435_455);
    const error = assertThrows(
      () => startPacket(0x30, 268_435_456, "PUBLISH (MQTT 5.0)"),
      MqttError,
      "PUBLISH (MQTT 5.0)",
    );
    assertEquals(error.reasonCode, 0x95);
  });
});

describe("the checks of encode", () => {
  const where = "PUBLISH (MQTT 5.0)";

  it("encodeError names where, the field and the problem", () => {
    const error = encodeError(where, "topic", "is bad", 0x82);
    assertEquals(error.message, "PUBLISH (MQTT 5.0): topic is bad");
    assertEquals(error.reasonCode, 0x82);
    assertEquals(encodeError(where, "x", "y").reasonCode, 0x81);
  });

  it("checkInteger accepts integers in range and nothing else", () => {
    assertEquals(checkInteger(0, 0, 10, where, "n"), 0);
    assertEquals(checkInteger(10, 0, 10, where, "n"), 10);
    for (
      const value of [-1, 11, 1.5, NaN, Infinity, "1", null, undefined, 1n, {}]
    ) {
      const error = assertThrows(
        () => checkInteger(value, 0, 10, where, "n", "[RULE]", 0x82),
        MqttError,
        "n must be an integer from 0 to 10",
      );
      assert(error.message.includes("[RULE]"));
      assertEquals(error.reasonCode, 0x82);
    }
  });

  it("checkBoolean accepts booleans only", () => {
    assertEquals(checkBoolean(true, where, "retain"), true);
    assertEquals(checkBoolean(false, where, "retain"), false);
    for (const value of [0, 1, "true", null, undefined]) {
      assertThrows(
        () => checkBoolean(value, where, "retain"),
        MqttError,
        "retain",
      );
    }
  });

  it("checkQoS accepts 0, 1 and 2 only", () => {
    for (const qos of [0, 1, 2]) {
      assertEquals(checkQoS(qos, where, "qos", ""), qos);
    }
    for (const value of [3, -1, 1.5, "1", null]) {
      assertThrows(
        () => checkQoS(value, where, "qos", "[MQTT-3.3.1-4]"),
        MqttError,
        "[MQTT-3.3.1-4]",
      );
    }
  });

  it("stringLength measures, and rejects non-strings, U+0000, lone surrogates and more than 65,535 bytes", () => {
    assertEquals(stringLength("é€", where, "topic", MQTT_5_0), 5);
    assertEquals(
      stringLength("a".repeat(65_535), where, "topic", MQTT_5_0),
      65_535,
    );
    assertThrows(
      () => stringLength(5, where, "topic", MQTT_5_0),
      MqttError,
      "must be a string",
    );
    assertThrows(
      () => stringLength("\u0000", where, "topic", MQTT_5_0),
      MqttError,
      "[MQTT-1.5.4-2]",
    );
    assertThrows(
      () => stringLength("\u0000", where, "topic", MQTT_3_1_1),
      MqttError,
      "[MQTT-1.5.3-2]",
    );
    assertThrows(
      () => stringLength("\ud800", where, "topic", MQTT_5_0),
      MqttError,
      "[MQTT-1.5.4-1]",
    );
    assertThrows(
      () => stringLength("\ud800", where, "topic", MQTT_3_1_1),
      MqttError,
      "[MQTT-1.5.3-1]",
    );
    assertThrows(
      () => stringLength("a".repeat(65_536), where, "topic", MQTT_5_0),
      MqttError,
      "65535",
    );
    assertThrows(
      () => stringLength("€".repeat(21_846), where, "topic", MQTT_5_0),
      MqttError,
      "65538",
    );
  });

  it("binaryLength and checkBytes accept Uint8Array only; Binary Data is at most 65,535 bytes", () => {
    assertEquals(
      binaryLength(new Uint8Array(65_535), where, "correlationData"),
      65_535,
    );
    assertThrows(
      () => binaryLength(new Uint8Array(65_536), where, "correlationData"),
      MqttError,
      "65535",
    );
    const payload = new Uint8Array(70_000);
    assertEquals(checkBytes(payload, where, "payload"), payload);
    for (
      const value of ["x", [1], new ArrayBuffer(1), new Uint16Array(1), null]
    ) {
      assertThrows(
        () => binaryLength(value, where, "correlationData"),
        MqttError,
        "Uint8Array",
      );
      assertThrows(
        () => checkBytes(value, where, "payload"),
        MqttError,
        "Uint8Array",
      );
    }
  });

  it("describe never throws, whatever the value", () => {
    assertEquals(describeValue("a"), '"a"');
    assertEquals(
      describeValue("x".repeat(100)),
      JSON.stringify("x".repeat(40)),
    );
    assertEquals(describeValue(new Uint8Array(3)), "Uint8Array(3)");
    assertEquals(describeValue([1]), "an array");
    assertEquals(describeValue({}), "an object");
    assertEquals(describeValue(Object.create(null)), "an object");
    assertEquals(describeValue(() => 1), "a function");
    assertEquals(describeValue(Symbol("s")), "Symbol(s)");
    assertEquals(describeValue(10n), "10");
    assertEquals(describeValue(null), "null");
    assertEquals(describeValue(undefined), "undefined");
  });
});
