/**
 * PINGREQ and PINGRESP (sections 3.12 and 3.13 of both versions): a fixed
 * header alone, the same in MQTT 5.0 and 3.1.1.
 */

import { assertEquals, assertNotStrictEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { decode, encode, MqttError } from "../../mod.ts";

for (const protocolVersion of [3, 4, 5] as const) {
  describe(`PINGREQ and PINGRESP, MQTT ${protocolVersion === 5 ? "5.0" : "3.1.1"}`, () => {
    it("PINGREQ", () => {
      const bytes = new Uint8Array([
        0xc0,
        0x00, // PINGREQ, Remaining Length 0
      ]);
      assertEquals(decode(bytes, { protocolVersion }), { type: "pingreq" });
      assertEquals(encode({ type: "pingreq" }, { protocolVersion }), bytes);
    });

    it("PINGRESP", () => {
      const bytes = new Uint8Array([
        0xd0,
        0x00, // PINGRESP, Remaining Length 0
      ]);
      assertEquals(decode(bytes, { protocolVersion }), { type: "pingresp" });
      assertEquals(encode({ type: "pingresp" }, { protocolVersion }), bytes);
    });

    it("a body is malformed", () => {
      for (const first of [0xc0, 0xd0]) {
        const error = assertThrows(
          () =>
            decode(new Uint8Array([first, 0x01, 0x00]), { protocolVersion }),
          MqttError,
          "byte offset 2",
        );
        assertEquals(error.reasonCode, 0x81);
      }
    });
  });
}

describe("PINGREQ encode", () => {
  it("returns a new array each time: mutating one does not change the next", () => {
    const first = encode({ type: "pingreq" });
    first[0] = 0xff;
    const second = encode({ type: "pingreq" });
    assertNotStrictEquals(first, second);
    assertEquals(second, new Uint8Array([0xc0, 0x00]));
  });
});
