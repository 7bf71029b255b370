/**
 * UNSUBACK (MQTT 5.0 section 3.11, MQTT 3.1.1 section 3.11): fixed byte
 * vectors derived by hand from the specifications, decoded to the expected
 * object and encoded back to the exact bytes.
 */

import { assertEquals } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { encode } from "../../mod.ts";
import { vector } from "./vector.ts";

describe("UNSUBACK, MQTT 3.1.1", () => {
  it("Packet Identifier only: no payload, reasonCodes []", () => {
    vector(
      [
        0xb0,
        0x02, // UNSUBACK, Remaining Length 2
        0x00,
        0x0b, // Packet Identifier 11
      ],
      { type: "unsuback", packetId: 11, reasonCodes: [] },
      4,
    );
  });

  it("encode accepts Success codes, which 3.1.1 leaves unsaid", () => {
    assertEquals(
      encode({ type: "unsuback", packetId: 11, reasonCodes: [0, 0] }, {
        protocolVersion: 4,
      }),
      new Uint8Array([0xb0, 0x02, 0x00, 0x0b]),
    );
  });
});

describe("UNSUBACK, MQTT 5.0", () => {
  it("one code, no properties", () => {
    vector(
      [
        0xb0,
        0x04, // UNSUBACK, Remaining Length 4
        0x00,
        0x01, // Packet Identifier 1
        0x00, // Property Length 0
        0x11, // Reason Code 0x11 No subscription existed
      ],
      { type: "unsuback", packetId: 1, reasonCodes: [0x11] },
      5,
    );
  });

  it("every UNSUBACK reason code and a Reason String", () => {
    vector([
      0xb0,
      0x0e, // UNSUBACK, Remaining Length 14
      0x00,
      0x0b, // Packet Identifier 11
      0x04, // Property Length 4
      0x1f,
      0x00,
      0x01,
      0x78, // Reason String "x"
      0x00, // Success
      0x11, // No subscription existed
      0x80, // Unspecified error
      0x83, // Implementation specific error
      0x87, // Not authorized
      0x8f, // Topic Filter invalid
      0x91, // Packet Identifier in use
    ], {
      type: "unsuback",
      packetId: 11,
      reasonString: "x",
      reasonCodes: [0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91],
    }, 5);
  });

  it("a User Property", () => {
    vector([
      0xb0,
      0x0b, // UNSUBACK, Remaining Length 11
      0x00,
      0x0b, // Packet Identifier 11
      0x07, // Property Length 7
      0x26,
      0x00,
      0x01,
      0x61,
      0x00,
      0x01,
      0x62, // User Property "a" "b"
      0x00, // Success
    ], {
      type: "unsuback",
      packetId: 11,
      userProperties: [["a", "b"]],
      reasonCodes: [0],
    }, 5);
  });
});
