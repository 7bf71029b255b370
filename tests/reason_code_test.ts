/**
 * Reason codes: the table of MQTT 5.0 section 2.4, and which packet may
 * carry which code (sections 3.2.2.2, 3.4.2.1, 3.5.2.1, 3.6.2.1, 3.7.2.1,
 * 3.9.3, 3.11.3, 3.14.2.1, 3.15.2.1; MQTT 3.1.1 sections 3.2.2.3 and 3.9.3).
 */

import { assert, assertEquals, assertFalse, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { isValidReasonCode, ReasonCode, reasonCodeName } from "../mod.ts";
import type { PacketType } from "../mod.ts";
import { packetTypes } from "./arbitraries.ts";
import { SPEC_REASON_CODES as TABLE } from "./support/spec_reason_codes.ts";

/** The codes each packet may carry in MQTT 5.0, from each packet's section. */
const VALID_5: Partial<Record<PacketType, number[]>> = {
  connack: [
    0x00,
    0x80,
    0x81,
    0x82,
    0x83,
    0x84,
    0x85,
    0x86,
    0x87,
    0x88,
    0x89,
    0x8a,
    0x8c,
    0x90,
    0x95,
    0x97,
    0x99,
    0x9a,
    0x9b,
    0x9c,
    0x9d,
    0x9f,
  ],
  puback: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrec: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrel: [0x00, 0x92],
  pubcomp: [0x00, 0x92],
  suback: [
    0x00,
    0x01,
    0x02,
    0x80,
    0x83,
    0x87,
    0x8f,
    0x91,
    0x97,
    0x9e,
    0xa1,
    0xa2,
  ],
  unsuback: [0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91],
  disconnect: [
    0x00,
    0x04,
    0x80,
    0x81,
    0x82,
    0x83,
    0x87,
    0x89,
    0x8b,
    0x8c,
    0x8d,
    0x8e,
    0x8f,
    0x90,
    0x93,
    0x94,
    0x95,
    0x96,
    0x97,
    0x98,
    0x99,
    0x9a,
    0x9b,
    0x9c,
    0x9d,
    0x9e,
    0x9f,
    0xa0,
    0xa1,
    0xa2,
  ],
  auth: [0x00, 0x18, 0x19],
};

/** MQTT 3.1.1: CONNACK return codes 0-5, SUBACK return codes 0, 1, 2 and 0x80. */
const VALID_4: Partial<Record<PacketType, number[]>> = {
  connack: [0, 1, 2, 3, 4, 5],
  suback: [0x00, 0x01, 0x02, 0x80],
};

const ALL_TYPES: PacketType[] = packetTypes(5);

describe("ReasonCode", () => {
  it("has every name of the MQTT 5.0 table with its value, and nothing else", () => {
    assertEquals(Object.entries(ReasonCode), TABLE);
  });

  it("is frozen: no code can be redefined or added", () => {
    assert(Object.isFrozen(ReasonCode));
    assertThrows(() => {
      (ReasonCode as Record<string, number>).Success = 1;
    }, TypeError);
    assertThrows(() => {
      (ReasonCode as Record<string, number>).Extra = 1;
    }, TypeError);
    assertEquals(ReasonCode.Success, 0);
  });

  it("spells the constants the design names", () => {
    assertEquals(ReasonCode.Success, 0);
    assertEquals(ReasonCode.MalformedPacket, 0x81);
    assertEquals(ReasonCode.ProtocolError, 0x82);
    assertEquals(ReasonCode.UnsupportedProtocolVersion, 0x84);
    assertEquals(ReasonCode.PacketTooLarge, 0x95);
  });
});

describe("isValidReasonCode", () => {
  for (const type of ALL_TYPES) {
    it(`MQTT 5.0 ${type}: exactly the codes of its section`, () => {
      const valid = new Set(VALID_5[type] ?? []);
      for (let code = 0; code < 256; code++) {
        assertEquals(
          isValidReasonCode(type, code),
          valid.has(code),
          `0x${code.toString(16)}`,
        );
        assertEquals(isValidReasonCode(type, code, 5), valid.has(code));
      }
    });

    it(`MQTT 3.1.1 ${type}: exactly its return codes`, () => {
      const valid = new Set(VALID_4[type] ?? []);
      for (let code = 0; code < 256; code++) {
        assertEquals(
          isValidReasonCode(type, code, 4),
          valid.has(code),
          `0x${code.toString(16)}`,
        );
      }
    });
  }

  it("is false for values that are not byte integers", () => {
    for (const code of [-1, 256, 0.5, NaN, Infinity]) {
      assertFalse(isValidReasonCode("disconnect", code));
    }
  });
});

describe("reasonCodeName", () => {
  it("gives the first name of each value", () => {
    const first = new Map<number, string>();
    for (const [name, code] of TABLE) {
      if (!first.has(code)) first.set(code, name);
    }
    for (const [code, name] of first) assertEquals(reasonCodeName(code), name);
    assertEquals(reasonCodeName(0), "Success");
    assertEquals(reasonCodeName(0x95), "PacketTooLarge");
  });

  it("gives a hex string for a code the specification does not define", () => {
    assertEquals(reasonCodeName(0x03), "0x03");
    // never a TypeError, whatever it is given
    assertEquals(reasonCodeName(undefined as unknown as number), "(undefined)");
    assertEquals(reasonCodeName(-1), "-1");
    assertEquals(reasonCodeName(1.5), "1.5");
    assertEquals(reasonCodeName(0xff), "0xFF");
    assertEquals(reasonCodeName(0xa3), "0xA3");
  });
});
