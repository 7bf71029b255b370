/**
 * The byte cursor: the data types of section 1.5 read with bounds checks
 * that never pass the end of the packet, and errors that name the packet,
 * the field and the byte offset.
 */

import {
  assert,
  assertEquals,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { MqttError } from "../../mod.ts";
import { Cursor } from "../../src/primitives/cursor.ts";
import { MQTT_3_1_1, MQTT_5_0, protocolOf } from "../../src/protocol.ts";

/** A cursor over `bytes`, all of them in the packet. */
function cursor(bytes: number[], version: 4 | 5 = 5): Cursor {
  const array = new Uint8Array(bytes);
  return new Cursor(array, 0, 0, array.length, "PUBLISH", protocolOf(version)!);
}

function malformed(fn: () => unknown, ...words: string[]): MqttError {
  const error = assertThrows(fn, MqttError);
  assertEquals(error.reasonCode, 0x81);
  for (const word of words) {
    assert(error.message.includes(word), `"${word}" in: ${error.message}`);
  }
  return error;
}

describe("Cursor: integers", () => {
  it("reads a Byte, a Two Byte Integer and a Four Byte Integer, big-endian", () => {
    const c = cursor([0x7f, 0x12, 0x34, 0x01, 0x02, 0x03, 0x04]);
    assertEquals(c.u8("b"), 0x7f);
    assertEquals(c.u16("w"), 0x1234);
    assertEquals(c.u32("d"), 0x01020304);
    assertEquals(c.remaining, 0);
  });

  it("reads Four Byte Integers as unsigned: 0xFFFFFFFF is 4294967295, 0x80000000 is 2147483648", () => {
    const c = cursor([0xff, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00]);
    assertEquals(c.u32("a"), 4294967295);
    assertEquals(c.u32("b"), 2147483648);
  });

  it("reads Two Byte Integers as unsigned", () => {
    assertEquals(cursor([0xff, 0xff]).u16("w"), 65535);
  });

  it("throws with the field and offset when the packet runs out", () => {
    malformed(
      () => cursor([]).u8("Reason Code"),
      "Reason Code",
      "byte offset 0",
    );
    malformed(
      () => cursor([0x00]).u16("Packet Identifier"),
      "Packet Identifier",
      "needs 2 bytes",
    );
    const c = cursor([0, 0, 0, 0, 0]);
    c.u16("x");
    malformed(
      () => c.u32("Message Expiry Interval"),
      "Message Expiry Interval",
      "byte offset 2",
    );
  });
});

describe("Cursor: Variable Byte Integer (section 1.5.5)", () => {
  /** Table 1-1: the smallest and largest values of each size. */
  const table: [number[], number][] = [
    [[0x00], 0],
    [[0x7f], 127],
    [[0x80, 0x01], 128],
    [[0xff, 0x7f], 16_383],
    [[0x80, 0x80, 0x01], 16_384],
    [[0xff, 0xff, 0x7f], 2_097_151],
    [[0x80, 0x80, 0x80, 0x01], 2_097_152],
    [[0xff, 0xff, 0xff, 0x7f], 268_435_455],
    [[0xc1, 0x02], 321],
  ];
  for (const [bytes, value] of table) {
    it(`${bytes.map((b) => b.toString(16).padStart(2, "0")).join(" ")} is ${value}`, () => {
      const c = cursor([...bytes, 0xee]);
      assertEquals(c.vbi("v"), value);
      assertEquals(c.pos, bytes.length);
    });
  }

  it("rejects a 5th byte", () => {
    malformed(
      () => cursor([0xff, 0xff, 0xff, 0xff, 0x01]).vbi("Property Length"),
      "Property Length",
      "more than 4 bytes",
      "byte offset 0",
    );
  });

  it("rejects forms longer than needed [MQTT-1.5.5-1]", () => {
    for (
      const bytes of [[0x80, 0x00], [0xff, 0x00], [0x80, 0x80, 0x00], [
        0x81,
        0x80,
        0x80,
        0x00,
      ]]
    ) {
      malformed(
        () => cursor(bytes).vbi("Property Length"),
        "MQTT-1.5.5-1",
        "byte offset 0",
      );
    }
  });

  it("rejects a value cut off by the end of the packet", () => {
    malformed(
      () => cursor([0x80]).vbi("Subscription Identifier"),
      "Subscription Identifier",
      "cut off",
    );
    malformed(() => cursor([]).vbi("Property Length"), "Property Length");
  });
});

describe("Cursor: UTF-8 Encoded String (section 1.5.4)", () => {
  it("reads the length, then the string", () => {
    const c = cursor([0x00, 0x03, 0x61, 0x2f, 0x62, 0x00, 0x00]);
    assertEquals(c.utf8("Topic Name"), "a/b");
    assertEquals(c.utf8("empty"), "");
    assertEquals(c.remaining, 0);
  });

  it("reads multi-byte characters and keeps a leading BOM [MQTT-1.5.4-3]", () => {
    const c = cursor([
      0x00,
      0x0a, // 10 bytes
      0xef,
      0xbb,
      0xbf, // U+FEFF
      0xc3,
      0xa9, // é
      0xf0,
      0x9f,
      0x98,
      0x80, // 😀
      0x41, // A
    ]);
    assertEquals(c.utf8("s"), "\uFEFFé😀A");
  });

  it("rejects ill-formed UTF-8 and U+0000, citing the version's rule, at the string's offset", () => {
    const c5 = cursor([0x00, 0x00, 0x00, 0x02, 0x61, 0x00]);
    c5.utf8("first");
    malformed(
      () => c5.utf8("Topic Name"),
      "PUBLISH (MQTT 5.0)",
      "Topic Name",
      "MQTT-1.5.4-2",
      "byte offset 2",
    );
    malformed(
      () => cursor([0x00, 0x01, 0xff], 4).utf8("Topic Name"),
      "PUBLISH (MQTT 3.1.1)",
      "MQTT-1.5.3-1",
    );
    malformed(() => cursor([0x00, 0x03, 0xed, 0xa0, 0x80]).utf8("s"), "UTF-8");
  });

  it("rejects a length beyond the packet", () => {
    malformed(
      () => cursor([0x00, 0x05, 0x61]).utf8("Topic Name"),
      "Topic Name",
      "needs 5 bytes",
    );
    malformed(
      () => cursor([0x00]).utf8("Topic Name"),
      "Topic Name",
      "needs 2 bytes",
    );
  });
});

describe("Cursor: Binary Data and the rest", () => {
  it("reads Binary Data as a view into the bytes, not a copy", () => {
    const c = cursor([0x00, 0x02, 0xaa, 0xbb, 0xcc]);
    const data = c.binary("Correlation Data");
    assertEquals(data, new Uint8Array([0xaa, 0xbb]));
    assertStrictEquals(data.buffer, c.bytes.buffer);
    assertEquals(data.byteOffset, 2);
    assertEquals(c.pos, 4);
  });

  it("rejects Binary Data longer than the packet", () => {
    malformed(() => cursor([0x00, 0x03, 0xaa]).binary("Password"), "Password");
  });

  it("rest() is a view of every byte up to the end", () => {
    const c = cursor([1, 2, 3]);
    c.u8("x");
    const rest = c.rest();
    assertEquals(rest, new Uint8Array([2, 3]));
    assertStrictEquals(rest.buffer, c.bytes.buffer);
    assertEquals(c.remaining, 0);
    assertEquals(c.rest().length, 0);
  });

  it("done() passes at the end and throws before it", () => {
    const c = cursor([1, 2]);
    c.u8("x");
    malformed(() => c.done("The packet"), "1 unexpected byte", "byte offset 1");
    c.u8("y");
    c.done("The packet");
  });
});

describe("Cursor: the packet's bounds within a larger buffer", () => {
  it("never reads past `end`, though the buffer goes on; offsets count from `base`", () => {
    // two packets side by side: read the first, which is bytes 10..14
    const bytes = new Uint8Array(20).fill(0x61);
    bytes.set([0x00, 0x05], 12);
    const c = new Cursor(bytes, 10, 12, 15, "PUBLISH", MQTT_5_0);
    malformed(
      () => c.utf8("Topic Name"),
      "Topic Name",
      "needs 5 bytes",
      "byte offset 4",
    );
    assertEquals(c.pos, 14);
  });

  it("fail() names packet, version, field, problem, offset and reason code", () => {
    const c = new Cursor(new Uint8Array(8), 3, 5, 8, "CONNACK", MQTT_3_1_1);
    const error = assertThrows(
      () => c.fail("Session Present", "is wrong", 0x82),
      MqttError,
    );
    assertEquals(
      error.message,
      "CONNACK (MQTT 3.1.1): Session Present is wrong at byte offset 2",
    );
    assertEquals(error.reasonCode, 0x82);
  });
});
