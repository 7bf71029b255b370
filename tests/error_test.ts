/** MqttError: the one error type the library throws. */

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { decode, encode, MqttError, ReasonCode } from "../mod.ts";

describe("MqttError", () => {
  it("is an Error named MqttError with a message and a reason code", () => {
    const error = new MqttError("PUBLISH: bad", ReasonCode.ProtocolError);
    assertInstanceOf(error, Error);
    assertInstanceOf(error, MqttError);
    assertEquals(error.name, "MqttError");
    assertEquals(error.message, "PUBLISH: bad");
    assertEquals(error.reasonCode, 0x82);
    assertEquals(String(error), "MqttError: PUBLISH: bad");
    assert(typeof error.stack === "string");
  });

  it("defaults to 0x81 Malformed Packet", () => {
    assertEquals(new MqttError("x").reasonCode, ReasonCode.MalformedPacket);
  });

  it("keeps a cause", () => {
    const cause = new Error("inner");
    assertStrictEquals(new MqttError("x", 0x80, { cause }).cause, cause);
  });

  it("is what decode throws, with the reason code a peer would send", () => {
    const error = assertThrows(
      () => decode(new Uint8Array([0x36, 0x00])),
      MqttError,
    );
    assertEquals(error.reasonCode, ReasonCode.MalformedPacket);
    assert(error.message.includes("PUBLISH"), error.message);
    assert(error.message.includes("[MQTT-3.3.1-4]"), error.message);
    assert(error.message.includes("byte offset 0"), error.message);
  });

  it("is what encode throws", () => {
    const error = assertThrows(
      () => encode({ type: "puback", packetId: 0 }),
      MqttError,
    );
    assertEquals(error.reasonCode, ReasonCode.ProtocolError);
    assert(error.message.includes("PUBACK"), error.message);
    assert(error.message.includes("packetId"), error.message);
  });

  it("can be told apart by reason code", () => {
    const codes = [
      [() => decode(new Uint8Array([0x20, 0x02, 0x00, 0x00, 0x00])), 0x81],
      [() => decode(new Uint8Array([0x62, 0x02, 0x00, 0x00])), 0x82],
      [
        () =>
          decode(
            new Uint8Array([
              0x10,
              0x0a,
              0,
              4,
              0x4d,
              0x51,
              0x54,
              0x54,
              3,
              2,
              0,
              0,
            ]),
          ),
        0x84,
      ],
      [
        () => decode(new Uint8Array([0xc0, 0x00]), { maximumPacketSize: 1 }),
        0x95,
      ],
    ] as const;
    for (const [fn, code] of codes) {
      assertEquals(assertThrows(fn, MqttError).reasonCode, code);
    }
  });
});
