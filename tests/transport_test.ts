/**
 * PacketReader and PacketWriter over real transports on 127.0.0.1: Deno TCP
 * with 100,000 packets each way, and a WebSocket (subprotocol "mqtt") with a
 * CONNECT / CONNACK / SUBSCRIBE / SUBACK / PUBLISH exchange.
 */

import fc from "fast-check";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import {
  encode,
  MqttError,
  type Packet,
  PacketReader,
  PacketWriter,
  type ProtocolVersion,
  type PublishPacket,
  webSocketStreams,
} from "../mod.ts";
import { packetArbitrary } from "./arbitraries.ts";

const COUNT = 100_000;

/**
 * `count` packets of `version`: a fixed random sample of every type, cycled;
 * mostly small ones, as on a real connection, and a few of 16 KiB or more.
 */
function packets(
  version: ProtocolVersion,
  count: number,
  seed: number,
): Packet[] {
  const sample = fc.sample(packetArbitrary(version), { seed, numRuns: 1_000 });
  const small = sample.filter((packet) => encode(packet).length <= 2_048);
  const large = sample.filter((packet) => encode(packet).length >= 16_384);
  assert(large.length > 0);
  return Array.from(
    { length: count },
    (_, i) =>
      i % 5_000 === 2_500
        ? large[(i / 5_000 | 0) % large.length]
        : small[i % small.length],
  );
}

/** Writes `list` without waiting for each write, keeping a bounded window in flight. */
async function writeAll(writer: PacketWriter, list: Packet[]): Promise<void> {
  let window: Promise<void>[] = [];
  for (const packet of list) {
    window.push(writer.write(packet));
    if (window.length === 256) {
      await Promise.all(window);
      window = [];
    }
  }
  await Promise.all(window);
}

const encodings = new Map<Packet, Uint8Array>();

/** The bytes of a packet of the sample, encoded once. */
function encoded(packet: Packet): Uint8Array {
  let bytes = encodings.get(packet);
  if (bytes === undefined) encodings.set(packet, bytes = encode(packet));
  return bytes;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Reads `expected.length` packets and checks each: encoded again, it must
 * give the very bytes of the packet expected (the encoding is canonical),
 * and every 100th is compared field by field as well.
 */
async function readCount(reader: PacketReader, expected: Packet[]) {
  for (let i = 0; i < expected.length; i++) {
    const packet = await reader.read();
    assert(packet !== undefined, `the stream ended after ${i} packets`);
    if (!sameBytes(encode(packet), encoded(expected[i]))) {
      assertEquals(packet, expected[i], `packet ${i}`);
    }
    if (i % 100 === 0) assertEquals(packet, expected[i], `packet ${i}`);
  }
}

describe("Deno TCP on 127.0.0.1", () => {
  it("carries 100,000 packets each way at once, in order, byte-exact", async () => {
    const version = 5;
    const toServer = packets(version, COUNT, 1);
    const toClient = packets(version, COUNT, 2);
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    // Each side stops after the packets it expects, and the connections are
    // closed once both are done: a Deno.Conn closes as a whole when either of
    // its streams ends, so neither side can half-close.
    const server = (async () => {
      const conn = await listener.accept();
      const reader = new PacketReader(conn.readable, {
        protocolVersion: version,
      });
      const writer = new PacketWriter(conn.writable);
      // Read and write at the same time: neither side may wait for the
      // other to drain first.
      await Promise.all([
        readCount(reader, toServer),
        writeAll(writer, toClient),
      ]);
      return conn;
    })();
    const conn = await Deno.connect({
      hostname: listener.addr.hostname,
      port: listener.addr.port,
    });
    const reader = new PacketReader(conn.readable, {
      protocolVersion: version,
    });
    const writer = new PacketWriter(conn.writable);
    const [, , serverConn] = await Promise.all([
      readCount(reader, toClient),
      writeAll(writer, toServer),
      server,
    ]);
    serverConn.close();
    // The server's side went away: the client's stream ends, cleanly (and
    // Deno closes the client's connection with it).
    assertEquals(await reader.read(), undefined);
    listener.close();
  });

  it("reads a 3.1.1 session from its CONNECT, and stops at a malformed packet", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const server = (async () => {
      const conn = await listener.accept();
      const reader = new PacketReader(conn.readable);
      const seen: Packet[] = [];
      const error = await assertRejects(async () => {
        for await (const packet of reader) seen.push(packet);
      }, MqttError);
      assertEquals(error.reasonCode, 0x81);
      assertEquals(reader.protocolVersion, 4);
      assertEquals(seen.map((packet) => packet.type), ["connect", "puback"]);
      conn.close();
    })();
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: listener.addr.port,
    });
    const writer = new PacketWriter(conn.writable);
    await writer.write({
      type: "connect",
      protocolVersion: 4,
      clientId: "old",
      cleanStart: true,
      keepAlive: 60,
    });
    await writer.write({ type: "puback", packetId: 1 });
    // A PUBACK with a reason code does not exist in 3.1.1: 3 bytes of body.
    await conn.write(new Uint8Array([0x40, 0x03, 0x00, 0x01, 0x10]));
    await server;
    conn.close();
    listener.close();
  });
});

describe("WebSocket on 127.0.0.1, subprotocol mqtt", () => {
  it("runs a CONNECT / CONNACK / SUBSCRIBE / SUBACK / PUBLISH exchange", async () => {
    const serverSeen: Packet[] = [];
    const serverDone = Promise.withResolvers<void>();
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen() {},
    }, (request) => {
      const { socket, response } = Deno.upgradeWebSocket(request, {
        protocol: "mqtt",
      });
      const { readable, writable } = webSocketStreams(socket);
      const reader = new PacketReader(readable);
      const writer = new PacketWriter(writable);
      (async () => {
        for await (const packet of reader) {
          serverSeen.push(packet);
          switch (packet.type) {
            case "connect":
              await writer.write({
                type: "connack",
                sessionPresent: false,
                reasonCode: 0,
                maximumPacketSize: 1_000,
              });
              break;
            case "subscribe":
              await writer.write({
                type: "suback",
                packetId: packet.packetId,
                reasonCodes: packet.subscriptions.map((s) => s.qos),
              });
              // A retained message on the topic, delivered at QoS 1.
              await writer.write({
                type: "publish",
                topic: "sensors/1",
                payload: new TextEncoder().encode("21.5"),
                qos: 1,
                retain: true,
                dup: false,
                packetId: 1,
              });
              break;
            case "publish":
              if (packet.qos === 1) {
                await writer.write({
                  type: "puback",
                  packetId: packet.packetId!,
                });
              }
              break;
            case "disconnect":
              await writer.close();
              break;
          }
        }
      })().then(serverDone.resolve, serverDone.reject);
      return response;
    });

    const socket = new WebSocket(
      `ws://127.0.0.1:${server.addr.port}`,
      "mqtt",
    );
    const { readable, writable } = webSocketStreams(socket);
    const reader = new PacketReader(readable);
    const writer = new PacketWriter(writable);
    await writer.write({
      type: "connect",
      protocolVersion: 5,
      clientId: "ws-client",
      cleanStart: true,
      keepAlive: 30,
    });
    assertEquals(socket.protocol, "mqtt");
    const connack = await reader.read();
    assert(connack?.type === "connack");
    assertEquals(connack.reasonCode, 0);
    writer.maximumPacketSize = connack.maximumPacketSize!;

    await writer.write({
      type: "subscribe",
      packetId: 7,
      subscriptions: [{ topicFilter: "sensors/+", qos: 1 }],
    });
    assertEquals(await reader.read(), {
      type: "suback",
      packetId: 7,
      reasonCodes: [1],
    });
    const publish = await reader.read() as PublishPacket;
    assertEquals(publish.type, "publish");
    assertEquals(publish.topic, "sensors/1");
    assertEquals(new TextDecoder().decode(publish.payload), "21.5");
    await writer.write({ type: "puback", packetId: publish.packetId! });

    // The server's limit holds: an oversized PUBLISH is refused here.
    const big: Packet = {
      type: "publish",
      topic: "sensors/2",
      payload: new Uint8Array(2_000),
      qos: 0,
      retain: false,
      dup: false,
    };
    const error = await assertRejects(() => writer.write(big), MqttError);
    assertEquals(error.reasonCode, 0x95);
    await writer.write({
      type: "publish",
      topic: "sensors/2",
      payload: new Uint8Array(500),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 2,
    });
    assertEquals(await reader.read(), {
      type: "puback",
      packetId: 2,
      reasonCode: 0,
    });
    await writer.write({ type: "disconnect", reasonCode: 0 });
    // The server closes the WebSocket after the DISCONNECT: the stream ends.
    assertEquals(await reader.read(), undefined);
    await serverDone.promise;
    await server.shutdown();

    assertEquals(serverSeen.map((packet) => packet.type), [
      "connect",
      "subscribe",
      "puback",
      "publish",
      "disconnect",
    ]);
  });

  it("errors the readable side with MqttError 0x82 on a text message [MQTT-6.0.0-1]", async () => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen() {},
    }, (request) => {
      const { socket, response } = Deno.upgradeWebSocket(request, {
        protocol: "mqtt",
      });
      socket.onopen = () => socket.send("not mqtt");
      return response;
    });
    const socket = new WebSocket(
      `ws://127.0.0.1:${server.addr.port}`,
      "mqtt",
    );
    const closed = new Promise((resolve) => socket.onclose = resolve);
    const reader = new PacketReader(webSocketStreams(socket).readable);
    const error = await assertRejects(() => reader.read(), MqttError);
    assertEquals(error.reasonCode, 0x82);
    // The same error again, and the socket closes.
    assertStrictEquals(await assertRejects(() => reader.read()), error);
    await closed;
    await server.shutdown();
  });
});
