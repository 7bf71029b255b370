/**
 * AUTH (MQTT 5.0 section 3.15; MQTT 3.1.1 has no AUTH, and its type 15 is
 * reserved): fixed byte vectors derived by hand from the specification,
 * decoded to the expected object and encoded back to the exact bytes.
 */

import { assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { decode, encode, MqttError } from "../../mod.ts";
import { vector } from "./vector.ts";

describe("AUTH, MQTT 5.0", () => {
  it("Remaining Length 0 means Success, no properties (section 3.15.2.1)", () => {
    vector([
      0xf0,
      0x00, // AUTH, Remaining Length 0
    ], { type: "auth", reasonCode: 0 });
    assertEquals(encode({ type: "auth" }), new Uint8Array([0xf0, 0x00]));
  });

  it("Continue authentication with every AUTH property", () => {
    vector([
      0xf0,
      0x16, // AUTH, Remaining Length 22
      0x18, // Reason Code 0x18 Continue authentication
      0x14, // Property Length 20
      0x15,
      0x00,
      0x01,
      0x4d, // Authentication Method "M"
      0x16,
      0x00,
      0x02,
      0x01,
      0x02, // Authentication Data 01 02
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
      type: "auth",
      reasonCode: 0x18,
      authenticationMethod: "M",
      authenticationData: new Uint8Array([1, 2]),
      reasonString: "x",
      userProperties: [["a", "b"]],
    });
  });

  it("Re-authenticate with its method", () => {
    vector([
      0xf0,
      0x06, // AUTH, Remaining Length 6
      0x19, // Reason Code 0x19 Re-authenticate
      0x04, // Property Length 4
      0x15,
      0x00,
      0x01,
      0x4d, // Authentication Method "M"
    ], { type: "auth", reasonCode: 0x19, authenticationMethod: "M" });
  });

  it("Success with its method keeps the Reason Code byte", () => {
    vector([
      0xf0,
      0x06, // AUTH, Remaining Length 6
      0x00, // Reason Code 0x00 Success
      0x04, // Property Length 4
      0x15,
      0x00,
      0x01,
      0x4d, // Authentication Method "M"
    ], { type: "auth", reasonCode: 0, authenticationMethod: "M" });
  });

  it("Remaining Length 1: a Reason Code without properties lacks the Authentication Method, a Protocol Error (section 3.15.2.2.2)", () => {
    for (const code of [0x00, 0x18, 0x19]) {
      const error = assertThrows(
        () => decode(new Uint8Array([0xf0, 0x01, code])),
        MqttError,
        "Authentication Method",
      );
      assertEquals(error.reasonCode, 0x82);
    }
    const error = assertThrows(
      () => encode({ type: "auth", reasonCode: 0x18 }),
      MqttError,
      "authenticationMethod",
    );
    assertEquals(error.reasonCode, 0x82);
  });

  it("Remaining Length 2 with Property Length 0 also lacks the method", () => {
    const error = assertThrows(
      () => decode(new Uint8Array([0xf0, 0x02, 0x00, 0x00])),
      MqttError,
      "AUTH",
    );
    assertEquals(error.reasonCode, 0x82);
  });
});

describe("AUTH, MQTT 3.1.1", () => {
  it("decode rejects type 15, which 3.1.1 reserves", () => {
    const error = assertThrows(
      () => decode(new Uint8Array([0xf0, 0x00]), { protocolVersion: 4 }),
      MqttError,
      "byte offset 0",
    );
    assertEquals(error.reasonCode, 0x81);
  });

  it("encode refuses an AUTH for 3.1.1", () => {
    const error = assertThrows(
      () => encode({ type: "auth" }, { protocolVersion: 4 }),
      MqttError,
      "AUTH",
    );
    assertEquals(error.reasonCode, 0x82);
  });
});
