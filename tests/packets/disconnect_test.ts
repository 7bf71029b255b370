/**
 * DISCONNECT (MQTT 5.0 section 3.14, MQTT 3.1.1 section 3.14): fixed byte
 * vectors derived by hand from the specifications, decoded to the expected
 * object and encoded back to the exact bytes, the short forms included.
 */

import { assertEquals } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { decode, encode } from "../../mod.ts";
import { vector } from "./vector.ts";

describe("DISCONNECT, MQTT 3.1.1", () => {
  it("a fixed header alone; no reasonCode field", () => {
    vector(
      [
        0xe0,
        0x00, // DISCONNECT, Remaining Length 0
      ],
      { type: "disconnect" },
      4,
    );
  });

  it("encode takes reasonCode 0 (Normal disconnection) as the same packet", () => {
    assertEquals(
      encode({ type: "disconnect", reasonCode: 0 }, { protocolVersion: 4 }),
      new Uint8Array([0xe0, 0x00]),
    );
  });
});

describe("DISCONNECT, MQTT 5.0", () => {
  it("Remaining Length 0 means Normal disconnection, no properties", () => {
    vector(
      [
        0xe0,
        0x00, // DISCONNECT, Remaining Length 0
      ],
      { type: "disconnect", reasonCode: 0 },
      5,
    );
    assertEquals(
      encode({ type: "disconnect" }),
      new Uint8Array([0xe0, 0x00]),
    );
  });

  it("Remaining Length 1: a Reason Code, no Property Length", () => {
    vector(
      [
        0xe0,
        0x01, // DISCONNECT, Remaining Length 1
        0x04, // Reason Code 0x04 Disconnect with Will Message
      ],
      { type: "disconnect", reasonCode: 4 },
      5,
    );
  });

  it("Remaining Length 1 with Normal disconnection decodes; encode chooses Remaining Length 0", () => {
    const packet = decode(
      new Uint8Array([
        0xe0,
        0x01, // DISCONNECT, Remaining Length 1
        0x00, // Reason Code 0x00 Normal disconnection
      ]),
    );
    assertEquals(packet, { type: "disconnect", reasonCode: 0 });
    assertEquals(encode(packet), new Uint8Array([0xe0, 0x00]));
  });

  it("Remaining Length 2 with Property Length 0 decodes; encode chooses the shortest form", () => {
    const normal = decode(
      new Uint8Array([
        0xe0,
        0x02, // DISCONNECT, Remaining Length 2
        0x00, // Reason Code 0x00 Normal disconnection
        0x00, // Property Length 0
      ]),
    );
    assertEquals(normal, { type: "disconnect", reasonCode: 0 });
    assertEquals(encode(normal), new Uint8Array([0xe0, 0x00]));
    const takenOver = decode(
      new Uint8Array([
        0xe0,
        0x02, // DISCONNECT, Remaining Length 2
        0x8e, // Reason Code 0x8E Session taken over
        0x00, // Property Length 0
      ]),
    );
    assertEquals(takenOver, { type: "disconnect", reasonCode: 0x8e });
    assertEquals(encode(takenOver), new Uint8Array([0xe0, 0x01, 0x8e]));
  });

  it("every DISCONNECT property", () => {
    vector([
      0xe0,
      0x16, // DISCONNECT, Remaining Length 22
      0x82, // Reason Code 0x82 Protocol Error
      0x14, // Property Length 20
      0x11,
      0x00,
      0x00,
      0x00,
      0x00, // Session Expiry Interval 0
      0x1c,
      0x00,
      0x01,
      0x73, // Server Reference "s"
      0x1f,
      0x00,
      0x01,
      0x78, // Reason String "x"
      0x26,
      0x00,
      0x01,
      0x61,
      0x00,
      0x01,
      0x62, // User Property "a" "b"
    ], {
      type: "disconnect",
      reasonCode: 0x82,
      sessionExpiryInterval: 0,
      reasonString: "x",
      userProperties: [["a", "b"]],
      serverReference: "s",
    }, 5);
  });

  it("Normal disconnection with a property keeps the Reason Code byte", () => {
    vector(
      [
        0xe0,
        0x07, // DISCONNECT, Remaining Length 7
        0x00, // Reason Code 0x00 Normal disconnection
        0x05, // Property Length 5
        0x11,
        0x00,
        0x00,
        0x0e,
        0x10, // Session Expiry Interval 3600
      ],
      { type: "disconnect", reasonCode: 0, sessionExpiryInterval: 3600 },
      5,
    );
  });
});
