// The bundle's PacketReader/PacketWriter on Node: over Node's web streams,
// and over a real TCP socket on 127.0.0.1 wrapped with Readable.toWeb and
// Writable.toWeb. Run: deno task build && node --test tests/node/test-*.mjs

import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { Readable, Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import {
  encode,
  MqttError,
  PacketDecoderStream,
  PacketEncoderStream,
  PacketReader,
  PacketWriter,
} from "../../dist/mqtt_codec.mjs";
import { packetsV4, packetsV5 } from "./packets.mjs";

const hex = (bytes) => Buffer.from(bytes).toString("hex");

/** Compares packets by their bytes: a payload may be a Buffer on Node. */
function assertSamePackets(actual, expected, protocolVersion) {
  assert.deepStrictEqual(
    actual.map((p) => hex(encode(p, { protocolVersion }))),
    expected.map((p) => hex(encode(p, { protocolVersion }))),
  );
}

/** A byte pipe that hands on every chunk cut into `size`-byte pieces. */
function choppingPipe(size) {
  return new TransformStream({
    transform(chunk, controller) {
      for (let i = 0; i < chunk.length; i += size) {
        controller.enqueue(chunk.slice(i, i + size));
      }
    },
  });
}

describe("the bundle on Node: web streams", () => {
  for (const [version, packets] of [[5, packetsV5], [4, packetsV4]]) {
    for (const size of [1, 3, 4096]) {
      it(`round-trips every ${version} packet in ${size}-byte chunks`, async () => {
        const pipe = choppingPipe(size);
        const writer = new PacketWriter(pipe.writable, {
          protocolVersion: version,
        });
        const reader = new PacketReader(pipe.readable, {
          protocolVersion: version,
        });
        const writing = (async () => {
          for (const packet of packets) await writer.write(packet);
          await writer.close();
        })();
        const received = [];
        for await (const packet of reader) received.push(packet);
        await writing;
        assert.deepStrictEqual(received, packets);
      });
    }
  }

  it("pipes through PacketEncoderStream and PacketDecoderStream", async () => {
    const packets = ReadableStream.from(packetsV5)
      .pipeThrough(new PacketEncoderStream())
      .pipeThrough(choppingPipe(2))
      .pipeThrough(new PacketDecoderStream());
    const received = [];
    for await (const packet of packets) received.push(packet);
    assert.deepStrictEqual(received, packetsV5);
  });

  it("throws MqttError from a stream that ends inside a packet", async () => {
    const bytes = encode({ type: "puback", packetId: 1 });
    const reader = new PacketReader(
      ReadableStream.from([encode({ type: "pingreq" }), bytes.subarray(0, 3)]),
    );
    assert.deepStrictEqual(await reader.read(), { type: "pingreq" });
    await assert.rejects(reader.read(), (error) => error instanceof MqttError);
  });
});

describe("the bundle on Node: a net socket on 127.0.0.1", () => {
  let server;
  let port;
  const serverErrors = [];

  // A minimal MQTT 3.1.1/5.0 responder on the server side of each socket:
  // CONNECT → CONNACK, SUBSCRIBE → SUBACK, PUBLISH → PUBACK (QoS 1) and the
  // message sent back, PINGREQ → PINGRESP, DISCONNECT → close.
  async function serve(socket) {
    const reader = new PacketReader(Readable.toWeb(socket));
    const writer = new PacketWriter(Writable.toWeb(socket));
    try {
      for await (const packet of reader) {
        switch (packet.type) {
          case "connect":
            // A server answers in the version of the CONNECT it read.
            writer.protocolVersion = packet.protocolVersion;
            await writer.write({
              type: "connack",
              sessionPresent: false,
              reasonCode: 0,
            });
            break;
          case "subscribe":
            await writer.write({
              type: "suback",
              packetId: packet.packetId,
              reasonCodes: packet.subscriptions.map((s) => s.qos),
            });
            break;
          case "publish":
            if (packet.qos === 1) {
              await writer.write({ type: "puback", packetId: packet.packetId });
            }
            await writer.write({ ...packet, dup: false });
            break;
          case "pingreq":
            await writer.write({ type: "pingresp" });
            break;
          case "disconnect":
            await writer.close();
            return;
        }
      }
    } catch (error) {
      serverErrors.push(error);
      socket.destroy();
    }
  }

  before(async () => {
    server = net.createServer((socket) => void serve(socket));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = server.address().port;
  });

  after(async () => {
    server.close();
    await once(server, "close");
    assert.deepStrictEqual(serverErrors, []);
  });

  async function connect(protocolVersion) {
    const socket = net.connect({ host: "127.0.0.1", port });
    await once(socket, "connect");
    return {
      // A client reads a CONNACK first, so it tells its reader the version.
      reader: new PacketReader(Readable.toWeb(socket), { protocolVersion }),
      writer: new PacketWriter(Writable.toWeb(socket)),
    };
  }

  for (const protocolVersion of [5, 4]) {
    it(`runs an MQTT ${protocolVersion} session: connect, subscribe, publish, ping, disconnect`, async () => {
      const { reader, writer } = await connect(protocolVersion);
      const payload = new Uint8Array(300_000).map((_, i) => i % 251);
      const sent = [
        {
          type: "connect",
          protocolVersion,
          clientId: `node-${protocolVersion}`,
          cleanStart: true,
          keepAlive: 10,
        },
        {
          type: "subscribe",
          packetId: 1,
          subscriptions: [{ topicFilter: "node/#", qos: 1 }],
        },
        {
          type: "publish",
          topic: "node/big",
          payload,
          qos: 1,
          retain: false,
          dup: false,
          packetId: 2,
        },
        { type: "pingreq" },
      ];
      // The writer switches to the version of the CONNECT it writes.
      for (const packet of sent) await writer.write(packet);
      assert.equal(writer.protocolVersion, protocolVersion);
      const received = [];
      for (let i = 0; i < 5; i++) received.push(await reader.read());
      assert.deepStrictEqual(received.map((p) => p.type), [
        "connack",
        "suback",
        "puback",
        "publish",
        "pingresp",
      ]);
      const [, suback, puback, publish] = received;
      assert.deepStrictEqual(suback.reasonCodes, [1]);
      assert.equal(puback.packetId, 2);
      assert.equal(publish.topic, "node/big");
      assert.equal(hex(publish.payload), hex(payload));
      await writer.write({ type: "disconnect" });
      await writer.close();
      assert.equal(await reader.read(), undefined);
    });
  }

  it("carries 2,000 packets each way without loss or reordering", async () => {
    const { reader, writer } = await connect(5);
    await writer.write({
      type: "connect",
      protocolVersion: 5,
      clientId: "burst",
      cleanStart: true,
      keepAlive: 0,
    });
    assert.equal((await reader.read()).type, "connack");
    const sent = Array.from({ length: 2000 }, (_, i) => ({
      type: "publish",
      topic: `burst/${i}`,
      payload: new TextEncoder().encode(String(i)),
      qos: 0,
      retain: false,
      dup: false,
    }));
    const writing = Promise.all(sent.map((p) => writer.write(p)));
    const received = [];
    for (let i = 0; i < sent.length; i++) received.push(await reader.read());
    await writing;
    assertSamePackets(received, sent, 5);
    await writer.write({ type: "disconnect" });
    await writer.close();
    assert.equal(await reader.read(), undefined);
  });
});
