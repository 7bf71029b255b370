/**
 * UTF-8 Encoded String (section 1.5.4) as the public primitives give it:
 * well-formed UTF-8 [MQTT-1.5.4-1], no U+0000 [MQTT-1.5.4-2], a BOM kept
 * [MQTT-1.5.4-3], at most 65,535 bytes.
 */

import { assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import {
  decodeUtf8String,
  encodeUtf8String,
  MqttError,
  utf8StringLength,
} from "../../src/entries/primitives.ts";

describe("UTF-8 Encoded String", () => {
  it("round-trips any string without U+0000 at any offset, as TextEncoder writes it", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 40 }).filter((s) =>
          !s.includes("\0")
        ),
        fc.nat(8),
        (text, at) => {
          const utf8 = new TextEncoder().encode(text);
          assertEquals(utf8StringLength(text), 2 + utf8.length);
          const target = new Uint8Array(at + 2 + utf8.length);
          const end = encodeUtf8String(text, target, at);
          assertEquals(end, target.length);
          assertEquals(target.subarray(at + 2), utf8);
          assertEquals(decodeUtf8String(target, at), [text, end]);
        },
      ),
    );
  });

  it("keeps a BOM (U+FEFF) as it is [MQTT-1.5.4-3]", () => {
    const bytes = new Uint8Array([0x00, 0x04, 0xef, 0xbb, 0xbf, 0x61]);
    assertEquals(decodeUtf8String(bytes), ["\ufeffa", 6]);
  });

  it("refuses ill-formed UTF-8, encoded surrogates and U+0000 on decode", () => {
    const rows: number[][] = [
      [0x00, 0x01, 0xff], // not UTF-8
      [0x00, 0x03, 0xed, 0xa0, 0x80], // U+D800, a surrogate
      [0x00, 0x02, 0xc0, 0x80], // overlong U+0000
      [0x00, 0x01, 0x00], // U+0000
    ];
    for (const bytes of rows) {
      const error = assertThrows(
        () => decodeUtf8String(new Uint8Array(bytes)),
        MqttError,
        "MQTT-1.5.4-1",
      );
      assertEquals(error.reasonCode, 0x81);
    }
    assertThrows(
      () => decodeUtf8String(new Uint8Array([0x00, 0x03, 0x61])),
      MqttError,
      "announces 3 bytes but 1 follow",
    );
  });

  it("refuses U+0000, lone surrogates, non-strings and more than 65,535 bytes on encode", () => {
    const rows: [unknown, string][] = [
      ["a\0", "MQTT-1.5.4-2"],
      ["\udc00", "MQTT-1.5.4-1"],
      [42, "must be a string"],
      ["é".repeat(32_768), "65536 bytes"],
    ];
    for (const [value, says] of rows) {
      assertThrows(
        () => encodeUtf8String(value as string, new Uint8Array(70_000)),
        MqttError,
        says,
      );
      assertThrows(() => utf8StringLength(value as string), MqttError, says);
    }
    assertThrows(
      () => encodeUtf8String("abc", new Uint8Array(4)),
      MqttError,
      "needs 5 byte(s)",
    );
  });
});
