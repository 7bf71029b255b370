/**
 * UTF-8 Encoded Strings (MQTT 5.0 section 1.5.4, MQTT 3.1.1 section 1.5.3):
 * well-formed UTF-8 only, no U+0000, a leading BOM kept.
 */

import { assertEquals } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import {
  decodeUtf8,
  measureUtf8,
  utf8Length,
  writeUtf8,
} from "../../src/primitives/utf8.ts";

const encoder = new TextEncoder();

function decodeAll(bytes: number[]): string | undefined {
  return decodeUtf8(new Uint8Array(bytes), 0, bytes.length);
}

/** Strings of every UTF-8 length, short and long (past the ASCII fast path). */
const SAMPLES = [
  "",
  "a/b",
  "\u007f",
  "\u0080",
  "é",
  "\u07ff",
  "\u0800",
  "€",
  "\uffff",
  "\uFEFF",
  "\uFEFFbom",
  "😀",
  "\u{10ffff}",
  "a".repeat(32),
  "a".repeat(33),
  "x".repeat(1000),
  "ü/€/😀 ".repeat(20),
  "\u0001\u001f control characters are allowed",
];

describe("decodeUtf8", () => {
  for (const text of SAMPLES) {
    it(`decodes ${JSON.stringify(text.slice(0, 12))} (${text.length} UTF-16 units)`, () => {
      const bytes = encoder.encode(text);
      assertEquals(decodeUtf8(bytes, 0, bytes.length), text);
    });
  }

  it("tells apart strings of the same length decoded one after another", () => {
    // a short ASCII string is reused when the same bytes come again
    const decodeText = (text: string) => {
      const bytes = encoder.encode(text);
      return decodeUtf8(bytes, 0, bytes.length);
    };
    assertEquals(decodeText("sensors/1"), "sensors/1");
    assertEquals(decodeText("sensors/1"), "sensors/1");
    assertEquals(decodeText("sensors/2"), "sensors/2");
    assertEquals(decodeText("sensors/\u00e9"), "sensors/\u00e9");
    assertEquals(decodeText("sensors/\u0000"), undefined);
    assertEquals(decodeText("sensors/2"), "sensors/2");
    assertEquals(decodeText("Sensors/2"), "Sensors/2");
  });

  it("keeps a leading BOM, not strips it [MQTT-1.5.4-3]", () => {
    assertEquals(decodeAll([0xef, 0xbb, 0xbf, 0x61]), "\uFEFFa");
    assertEquals(decodeAll([0xef, 0xbb, 0xbf]), "\uFEFF");
  });

  it("decodes only bytes[start..end)", () => {
    const bytes = new Uint8Array([0xff, 0x61, 0x62, 0x63, 0xff]);
    assertEquals(decodeUtf8(bytes, 1, 4), "abc");
    assertEquals(decodeUtf8(bytes, 2, 2), "");
    const long = encoder.encode(`\xff${"é".repeat(40)}\xff`);
    assertEquals(decodeUtf8(long, 2, long.length - 2), "é".repeat(40));
  });

  it("returns undefined for U+0000, short or long [MQTT-1.5.4-2]", () => {
    assertEquals(decodeAll([0x00]), undefined);
    assertEquals(decodeAll([0x61, 0x00, 0x62]), undefined);
    assertEquals(decodeAll([...new Array(50).fill(0x61), 0x00]), undefined);
    assertEquals(decodeAll([0xc3, 0xa9, 0x00]), undefined);
  });

  const illFormed: [string, number[]][] = [
    ["0xFF", [0xff]],
    ["0xFE", [0xfe]],
    ["a lone continuation byte", [0x80]],
    ["a cut 2-byte sequence", [0xc3]],
    ["a cut 3-byte sequence", [0xe2, 0x82]],
    ["a cut 4-byte sequence", [0xf0, 0x9f, 0x98]],
    ["a lead byte followed by ASCII", [0xc3, 0x41]],
    ["U+D800 encoded", [0xed, 0xa0, 0x80]],
    ["U+DFFF encoded", [0xed, 0xbf, 0xbf]],
    ["a CESU-8 surrogate pair", [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]],
    ["overlong NUL (C0 80)", [0xc0, 0x80]],
    ["overlong '/' (C0 AF)", [0xc0, 0xaf]],
    ["overlong C1 BF", [0xc1, 0xbf]],
    ["overlong 3-byte (E0 80 80)", [0xe0, 0x80, 0x80]],
    ["overlong 3-byte U+07FF (E0 9F BF)", [0xe0, 0x9f, 0xbf]],
    ["overlong 4-byte (F0 8F BF BF)", [0xf0, 0x8f, 0xbf, 0xbf]],
    ["above U+10FFFF (F4 90 80 80)", [0xf4, 0x90, 0x80, 0x80]],
    ["lead byte F8", [0xf8, 0x88, 0x80, 0x80, 0x80]],
  ];
  for (const [what, bytes] of illFormed) {
    it(`returns undefined for ${what} [MQTT-1.5.4-1]`, () => {
      assertEquals(decodeAll(bytes), undefined);
      // also inside a long string, past any ASCII fast path
      assertEquals(
        decodeAll([...new Array(40).fill(0x61), ...bytes, 0x62]),
        undefined,
      );
    });
  }
});

describe("utf8Length", () => {
  for (const text of SAMPLES) {
    it(`measures ${JSON.stringify(text.slice(0, 12))} as TextEncoder does`, () => {
      assertEquals(utf8Length(text), encoder.encode(text).length);
    });
  }

  it("counts 1, 2, 3 and 4 bytes per character", () => {
    assertEquals(utf8Length("a"), 1);
    assertEquals(utf8Length("é"), 2);
    assertEquals(utf8Length("€"), 3);
    assertEquals(utf8Length("😀"), 4);
    assertEquals(utf8Length("\ud800\udc00"), 4);
  });

  it("is -1 for U+0000 [MQTT-1.5.4-2]", () => {
    assertEquals(utf8Length("\u0000"), -1);
    assertEquals(utf8Length("é\u0000"), -1);
  });

  it("is -2 for a lone surrogate, which has no UTF-8 form [MQTT-1.5.4-1]", () => {
    for (
      const text of [
        "\ud800",
        "a\ud800",
        "\ud800a",
        "\udc00",
        "\udfff\ud800",
        "😀\udbff",
      ]
    ) {
      assertEquals(utf8Length(text), -2, JSON.stringify(text));
    }
  });
});

describe("writeUtf8", () => {
  for (const text of SAMPLES) {
    it(`writes ${JSON.stringify(text.slice(0, 12))} as TextEncoder does, at an offset`, () => {
      const length = utf8Length(text);
      const buffer = new Uint8Array(length + 4).fill(0xee);
      assertEquals(writeUtf8(buffer, 2, text, length), 2 + length);
      assertEquals(buffer.subarray(2, 2 + length), encoder.encode(text));
      // nothing written outside its place
      assertEquals([...buffer.subarray(0, 2), ...buffer.subarray(2 + length)], [
        0xee,
        0xee,
        0xee,
        0xee,
      ]);
    });
  }
});

describe("measureUtf8 (recurring strings)", () => {
  it("measures strings of the same length in a row by their own bytes", () => {
    const rows: [string, number][] = [
      ["ab", 2],
      ["aé", 3],
      ["ab", 2],
      ["€x", 4],
      ["a\0", -1],
      ["a\0", -1],
      ["\ud800a", -2],
      ["ab", 2],
    ];
    for (const [text, bytes] of rows) {
      assertEquals(measureUtf8(text), bytes, JSON.stringify(text));
      assertEquals(measureUtf8(text), utf8Length(text), JSON.stringify(text));
    }
  });
});
