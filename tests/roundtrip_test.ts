/**
 * Property-based round trips: for random valid packets of every type in both
 * versions, `decode(encode(p))` equals `p`, and `encode(decode(bytes))`
 * gives back the very same bytes (the encoding is canonical); `encodeInto`
 * writes the same bytes into a given buffer.
 */

import fc from "fast-check";
import { assert, assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { decode, encode, encodeInto, MqttError, packetSize } from "../mod.ts";
import type { Packet, ProtocolVersion } from "../mod.ts";
import { arbitraryOf, packetArbitrary, packetTypes } from "./arbitraries.ts";

const NUM_RUNS = 150;

function roundTrip(packet: Packet, protocolVersion: ProtocolVersion): void {
  const bytes = encode(packet, { protocolVersion });
  assertEquals(packetSize(bytes, 0), bytes.length);
  const decoded = decode(bytes, { protocolVersion });
  assertEquals(decoded, packet);
  assertEquals(encode(decoded, { protocolVersion }), bytes);
}

for (const version of [5, 4, 3] as const) {
  describe(`round trips, MQTT ${["3.1", "3.1.1", "5.0"][version - 3]}`, () => {
    for (const type of packetTypes(version)) {
      it(`${type}: decode(encode(p)) equals p, encode(decode(bytes)) equals bytes`, () => {
        fc.assert(
          fc.property(
            arbitraryOf(type, version),
            (packet) => roundTrip(packet, version),
          ),
          { numRuns: NUM_RUNS },
        );
      });
    }

    it("decodes a packet that is a view into a larger buffer, at any offset", () => {
      fc.assert(
        fc.property(
          packetArbitrary(version),
          fc.nat(7),
          fc.nat(7),
          (packet, before, after) => {
            const bytes = encode(packet, { protocolVersion: version });
            const buffer = new Uint8Array(before + bytes.length + after)
              .fill(0xff);
            buffer.set(bytes, before);
            const view = buffer.subarray(before, before + bytes.length);
            assertEquals(decode(view, { protocolVersion: version }), packet);
          },
        ),
        { numRuns: NUM_RUNS },
      );
    });

    it("decodes payloads and binary fields as views of the input, not copies", () => {
      fc.assert(
        fc.property(packetArbitrary(version), (packet) => {
          const bytes = encode(packet, { protocolVersion: version });
          const decoded = decode(bytes, { protocolVersion: version });
          for (const value of binaryFields(decoded)) {
            assert(value.buffer === bytes.buffer, "a copy, not a view");
          }
        }),
        { numRuns: NUM_RUNS },
      );
    });
  });
}

/** Every Uint8Array of a packet, the Will's included. */
function binaryFields(packet: Packet): Uint8Array[] {
  const found: Uint8Array[] = [];
  const visit = (value: unknown): void => {
    if (value instanceof Uint8Array) found.push(value);
    else if (typeof value === "object" && value !== null) {
      for (const item of Object.values(value)) visit(item);
    }
  };
  visit(packet);
  return found;
}

describe("encodeInto", () => {
  for (const version of [5, 4, 3] as const) {
    it(`writes what encode writes, into the front of the target when it fits (MQTT ${version})`, () => {
      const buffer = new Uint8Array(4096);
      fc.assert(
        fc.property(
          packetArbitrary(version),
          fc.nat(64),
          (packet, offset) => {
            const expected = encode(packet, { protocolVersion: version });
            const target = buffer.subarray(offset);
            const bytes = encodeInto(packet, target, {
              protocolVersion: version,
            });
            assertEquals(bytes, expected);
            if (expected.length <= target.length) {
              assert(bytes.buffer === buffer.buffer);
              assertEquals(bytes.byteOffset, offset);
            } else {
              assert(bytes.buffer !== buffer.buffer);
            }
          },
        ),
        { numRuns: NUM_RUNS },
      );
    });
  }

  it("leaves the target untouched when the packet is too large or invalid", () => {
    const target = new Uint8Array(8).fill(0xee);
    const publish: Packet = {
      type: "publish",
      topic: "a/b",
      payload: new Uint8Array(100),
      qos: 0,
      retain: false,
      dup: false,
    };
    assertEquals(encodeInto(publish, target), encode(publish));
    assertEquals(target, new Uint8Array(8).fill(0xee));
    for (
      const invalid of [
        { ...publish, qos: 3 },
        { type: "auth", reasonCode: 0x18 },
        { type: "puback", packetId: 0 },
      ]
    ) {
      assertThrows(
        () => encodeInto(invalid as Packet, target),
        MqttError,
      );
      assertEquals(target, new Uint8Array(8).fill(0xee));
    }
    assertThrows(
      () => encodeInto(publish, [] as unknown as Uint8Array),
      MqttError,
      "target",
    );
  });

  it("leaves a target the packet fits untouched when a string is refused", () => {
    const target = new Uint8Array(64).fill(0xee);
    const small: Packet = {
      type: "publish",
      topic: "a/b",
      payload: new Uint8Array(2),
      qos: 0,
      retain: false,
      dup: false,
      userProperties: [["k", "v"]],
    };
    for (
      const invalid of [
        { ...small, topic: "a/+" }, // [MQTT-3.3.2-2]
        { ...small, topic: "a\0b" }, // [MQTT-1.5.4-2]
        { ...small, userProperties: [["k", "v\0"]] }, // [MQTT-1.5.4-2]
        { ...small, userProperties: [["k", "\ud800"]] }, // [MQTT-1.5.4-1]
      ] satisfies Packet[]
    ) {
      assertThrows(() => encodeInto(invalid, target), MqttError);
      assertEquals(target, new Uint8Array(64).fill(0xee));
    }
    // a string that is valid but not ASCII is written, into the target
    const accented = { ...small, topic: "café/é" };
    const bytes = encodeInto(accented, target);
    assert(bytes.buffer === target.buffer);
    assertEquals(bytes, encode(accented));
    assertEquals(decode(bytes), accented);
  });
});
