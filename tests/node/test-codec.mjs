// The bundle (dist/mqtt_codec.mjs, built by `deno task build`) on Node:
// every packet type decoded and encoded, byte vectors, errors.
// Run: deno task build && node --test tests/node/test-*.mjs

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  decode,
  encode,
  MqttError,
  packetSize,
  ReasonCode,
  topicMatches,
} from "../../dist/mqtt_codec.mjs";
import { packetsV4, packetsV5, vectors } from "./packets.mjs";

const hex = (bytes) => Buffer.from(bytes).toString("hex");

describe("the bundle on Node: codec", () => {
  it("covers all 15 packet types in 5.0 and 14 in 3.1.1", () => {
    assert.equal(new Set(packetsV5.map((p) => p.type)).size, 15);
    assert.equal(new Set(packetsV4.map((p) => p.type)).size, 14);
  });

  for (const [version, packets] of [[5, packetsV5], [4, packetsV4]]) {
    for (const packet of packets) {
      it(`round-trips ${packet.type} in protocol version ${version}`, () => {
        const bytes = encode(packet, { protocolVersion: version });
        assert.ok(bytes instanceof Uint8Array);
        assert.equal(packetSize(bytes, 0), bytes.length);
        const decoded = decode(bytes, { protocolVersion: version });
        assert.deepStrictEqual(decoded, packet);
        assert.equal(
          hex(encode(decoded, { protocolVersion: version })),
          hex(bytes),
        );
      });
    }
  }

  for (const [name, version, bytes, packet] of vectors) {
    it(`decodes and encodes the vector: ${name}`, () => {
      const input = new Uint8Array(bytes);
      assert.deepStrictEqual(
        decode(input, { protocolVersion: version }),
        packet,
      );
      assert.equal(
        hex(encode(packet, { protocolVersion: version })),
        hex(bytes),
      );
    });
  }

  it("decodes from a Node Buffer too", () => {
    const bytes = Buffer.from(encode(packetsV5[2]));
    const decoded = decode(bytes);
    assert.equal(decoded.type, "publish");
    assert.equal(Buffer.from(decoded.payload).toString(), "21.5");
  });

  it("throws MqttError with a reason code for malformed input", () => {
    const cases = [
      // Remaining length 2 but one byte follows.
      [[0x40, 0x02, 0x00], ReasonCode.MalformedPacket],
      // PUBLISH with QoS 3 [MQTT-3.3.1-4].
      [[0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01], ReasonCode.MalformedPacket],
      // CONNECT with protocol level 3.
      [
        [
          0x10,
          0x0d,
          0x00,
          0x04,
          0x4d,
          0x51,
          0x54,
          0x54,
          0x03,
          0x02,
          0x00,
          0x3c,
          0x00,
          0x01,
          0x61,
        ],
        ReasonCode.UnsupportedProtocolVersion,
      ],
    ];
    for (const [bytes, reasonCode] of cases) {
      assert.throws(() => decode(new Uint8Array(bytes)), (error) => {
        assert.ok(error instanceof MqttError, String(error));
        assert.ok(error instanceof Error);
        assert.equal(error.name, "MqttError");
        assert.equal(error.reasonCode, reasonCode, error.message);
        return true;
      });
    }
  });

  it("refuses to encode what 3.1.1 cannot carry", () => {
    assert.throws(
      () => encode(packetsV5[3], { protocolVersion: 4 }),
      (error) => error instanceof MqttError,
    );
  });

  it("matches topics", () => {
    assert.ok(topicMatches("sensors/+/temperature", "sensors/1/temperature"));
    assert.ok(!topicMatches("sensors/#", "actuators/1"));
  });
});
