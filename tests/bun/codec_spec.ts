// The library's TypeScript sources (mod.ts) in Bun, which runs them as they
// are: every packet type encoded and decoded in both protocol versions, the
// byte vectors worked out by hand, and errors. The fixtures are the Node
// tests' (tests/node/packets.mjs). Run by tests/runtime_bun_test.ts.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  decode,
  encode,
  MqttError,
  type Packet,
  packetSize,
  type ProtocolVersion,
  ReasonCode,
} from "../../mod.ts";
import { packetsV4, packetsV5, vectors } from "../node/packets.mjs";
import { bun } from "./bun_tcp.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const fixtures: [ProtocolVersion, Packet[]][] = [
  [5, packetsV5 as Packet[]],
  [4, packetsV4 as Packet[]],
];
const vectorRows = vectors as [string, ProtocolVersion, number[], Packet][];

describe(`the codec on Bun ${bun().version}`, () => {
  for (const [protocolVersion, packets] of fixtures) {
    for (const packet of packets) {
      it(`round-trips ${packet.type} in protocol version ${protocolVersion}`, () => {
        const bytes = encode(packet, { protocolVersion });
        assert.equal(packetSize(bytes, 0), bytes.length);
        const decoded = decode(bytes, { protocolVersion });
        assert.deepStrictEqual(decoded, packet);
        assert.equal(hex(encode(decoded, { protocolVersion })), hex(bytes));
      });
    }
  }

  for (const [name, protocolVersion, bytes, packet] of vectorRows) {
    it(`decodes and encodes the vector: ${name}`, () => {
      const options = { protocolVersion };
      assert.deepStrictEqual(decode(new Uint8Array(bytes), options), packet);
      assert.equal(hex(encode(packet, options)), hex(new Uint8Array(bytes)));
    });
  }

  it("decodes from a Buffer, with the payload a view of it", () => {
    const buffer = Buffer.from(encode(packetsV5[2] as Packet));
    const decoded = decode(buffer);
    assert.equal(decoded.type, "publish");
    if (decoded.type !== "publish") return;
    assert.equal(Buffer.from(decoded.payload).toString(), "21.5");
    assert.equal(decoded.payload.buffer, buffer.buffer);
  });

  it("throws MqttError with the reason code for a PUBLISH with QoS 3", () => {
    const bytes = new Uint8Array([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01]);
    assert.throws(() => decode(bytes), (error: unknown) => {
      assert.ok(error instanceof MqttError, String(error));
      assert.equal(error.name, "MqttError");
      assert.equal(error.reasonCode, ReasonCode.MalformedPacket);
      return true;
    });
  });
});
