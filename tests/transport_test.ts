/**
 * PacketReader and PacketWriter over real transports on 127.0.0.1: Deno TCP
 * with 100,000 packets each way, and a WebSocket (subprotocol "mqtt") with a
 * CONNECT / CONNACK / SUBSCRIBE / SUBACK / PUBLISH exchange; how a WebSocket
 * closes (close codes, errors naming the URL, the subprotocol, text
 * messages, answering the peer's close), back-pressure on its writes,
 * connectWebSocket, and mosquitto closing TCP and WebSocket connections.
 * (The close orders common to all transports: close_orders_test.ts.)
 */

import fc from "fast-check";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStrictEquals,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import {
  connectWebSocket,
  encode,
  MqttError,
  type Packet,
  PacketParser,
  PacketReader,
  PacketWriter,
  type ProtocolVersion,
  type PublishPacket,
  webSocketStreams,
} from "../mod.ts";
import { packetArbitrary } from "./arbitraries.ts";
import { type Mosquitto, startMosquitto } from "./support/mosquitto.ts";
import { delay, freePort, waitForPort, withTimeout } from "./support/net.ts";
import { run } from "./support/process.ts";
import {
  rawWebSocketClient,
  rawWebSocketServer,
} from "./support/raw_web_socket.ts";
import { closedSocket, upgradeServer } from "./support/deno_web_socket.ts";

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
});

describe("webSocketStreams: how a connection closes", () => {
  it("closes with 1000, or with 1002 after a DISCONNECT for a protocol error (server side)", async () => {
    const { server, next } = upgradeServer();
    for (const [reasonCode, code] of [[0, 1000], [0x81, 1002], [0x95, 1009]]) {
      const peer = await rawWebSocketClient(server.addr.port);
      const writer = new PacketWriter(webSocketStreams(await next()).writable);
      await writer.write({ type: "disconnect", reasonCode });
      await writer.close();
      await peer.closeReceived();
      assertEquals(peer.closeCode, code);
      assertEquals(packetsIn(await peer.received()), [
        { type: "disconnect", reasonCode },
      ]);
      await peer.close();
    }
    await server.shutdown();
  });

  it("a client may only send 1000: it says the reason after a protocol error", async () => {
    const server = await rawWebSocketServer();
    const socket = new WebSocket(server.url, "mqtt");
    const writer = new PacketWriter(webSocketStreams(socket).writable);
    const peer = await server.accept();
    await writer.write({ type: "disconnect", reasonCode: 0x82 });
    await writer.close();
    await peer.closeReceived();
    assertEquals(peer.closeCode, 1000);
    assertEquals(peer.closeReason, "MQTT reason code 0x82");
    await peer.close();
    await closedSocket(socket);
    await server.close();
  });

  it("cancelling the reader with an MqttError closes with the code that fits it", async () => {
    const { server, next } = upgradeServer();
    const peer = await rawWebSocketClient(server.addr.port);
    const reader = new PacketReader(webSocketStreams(await next()).readable);
    await reader.cancel(new MqttError("bad", 0x82));
    await peer.closeReceived();
    assertEquals(peer.closeCode, 1002);
    await peer.close();
    await server.shutdown();
  });

  it("errors the reader with MqttError 0x82 and closes with 1003 on a text message [MQTT-6.0.0-1]", async () => {
    const { server, next } = upgradeServer();
    const peer = await rawWebSocketClient(server.addr.port);
    const socket = await next();
    const { readable, writable } = webSocketStreams(socket);
    const reader = new PacketReader(readable);
    await peer.sendText("not mqtt");
    const error = await assertRejects(() => reader.read(), MqttError);
    assertEquals(error.reasonCode, 0x82);
    assertMatch(error.message, /MQTT-6\.0\.0-1/);
    await peer.closeReceived();
    assertEquals(peer.closeCode, 1003);
    // The writer is closed too: a write rejects with the same error.
    const writer = new PacketWriter(writable);
    assertStrictEquals(
      await assertRejects(() => writer.write({ type: "pingresp" })),
      error,
    );
    await peer.close();
    await closedSocket(socket);
    await server.shutdown();
  });

  it("errors name the URL and carry the peer's close code and reason", async () => {
    const server = await rawWebSocketServer();
    const socket = new WebSocket(server.url, "mqtt");
    const reader = new PacketReader(webSocketStreams(socket).readable);
    const peer = await server.accept();
    await peer.close(4001, "session taken over");
    const error = await assertRejects(() => reader.read(), MqttError);
    assertEquals(error.reasonCode, 0x80);
    assertStringIncludes(error.message, `WebSocket ${server.url}`);
    assertStringIncludes(error.message, "4001");
    assertStringIncludes(error.message, "session taken over");
    await server.close();
  });

  it("an error opening the socket names the URL and keeps the runtime's error as cause", async () => {
    const port = freePort();
    const socket = new WebSocket(`ws://127.0.0.1:${port}`, "mqtt");
    const { readable, writable } = webSocketStreams(socket);
    const writer = new PacketWriter(writable);
    const error = await assertRejects(
      () => writer.write({ type: "pingreq" }),
      MqttError,
    );
    assertStringIncludes(error.message, `ws://127.0.0.1:${port}`);
    assertMatch(error.message, /could not be opened/);
    assert(error.cause !== undefined);
    await assertRejects(() => new PacketReader(readable).read(), MqttError);
    // Nothing is left to close, and closing is no error.
    await writer.close();
  });

  for (const protocol of [null, "other"]) {
    it(
      `a server that agrees on ${
        protocol === null ? "no subprotocol" : `"${protocol}"`
      } is an MqttError at once, not a hang [MQTT-6.0.0-4]`,
      async () => {
        const server = await rawWebSocketServer(protocol);
        const socket = new WebSocket(server.url, "mqtt");
        const { readable, writable } = webSocketStreams(socket);
        const writer = new PacketWriter(writable);
        const reader = new PacketReader(readable);
        for (
          const attempt of [writer.write({ type: "pingreq" }), reader.read()]
        ) {
          const error = await assertRejects(() => attempt, MqttError);
          assertEquals(error.reasonCode, 0x82);
          assertMatch(error.message, /subprotocol "mqtt"/);
        }
        const refused = await assertRejects(
          () => connectWebSocket(server.url, { webSocketStream: false }),
          MqttError,
        );
        assertMatch(refused.message, /subprotocol/);
        await closedSocket(socket);
        await server.close();
      },
    );
  }

  it("answers a close the peer started when the runtime leaves it to the program (readyState CLOSING)", async () => {
    // As a Worker's WebSocket does: a close event while still CLOSING.
    const closes: [number | undefined, string | undefined][] = [];
    const socket = Object.assign(new EventTarget(), {
      readyState: 1,
      binaryType: "blob",
      url: "",
      send() {},
      close(code?: number, reason?: string) {
        closes.push([code, reason]);
      },
    });
    const { readable } = webSocketStreams(socket);
    socket.readyState = 2;
    socket.dispatchEvent(
      new CloseEvent("close", { code: 4000, reason: "bye", wasClean: true }),
    );
    assertEquals(closes, [[4000, ""]]);
    // The peer's close code was not 1000: the reader says so.
    const error = await assertRejects(
      () => new PacketReader(readable).read(),
      MqttError,
    );
    assertMatch(error.message, /code 4000 \("bye"\)/);
  });

  it("refuses a socket without events, untouched, pointing to PacketParser", () => {
    // Bun's ServerWebSocket: send and close, but callbacks instead of events.
    const socket = {
      readyState: 1,
      binaryType: "nodebuffer",
      send() {},
      close() {},
    };
    const error = assertThrows(
      () => webSocketStreams(socket as unknown as WebSocket),
      MqttError,
    );
    assertMatch(error.message, /addEventListener.*PacketParser/);
    assertEquals(socket.binaryType, "nodebuffer");
    assertThrows(
      () => webSocketStreams(null as unknown as WebSocket),
      MqttError,
    );
  });
});

describe("webSocketStreams back-pressure", () => {
  it("makes writes wait while the peer does not read, and go on when it does", async () => {
    const server = await rawWebSocketServer();
    const socket = new WebSocket(server.url, "mqtt");
    const highWaterMark = 64 * 1024;
    const writer = new PacketWriter(
      webSocketStreams(socket, { highWaterMark }).writable,
    );
    const peer = await server.accept();
    peer.stopReading();
    const publish: Packet = {
      type: "publish",
      topic: "t",
      payload: new Uint8Array(4_096),
      qos: 0,
      retain: false,
      dup: false,
    };
    // Write until a write waits: the TCP buffers are full, and then the
    // socket holds no more than the high-water mark.
    let written = 0;
    let mostBuffered = 0;
    while (true) {
      const write = writer.write(publish);
      const waited = await Promise.race([
        write.then(() => false),
        delay(500).then(() => true),
      ]);
      mostBuffered = Math.max(mostBuffered, socket.bufferedAmount);
      if (waited) {
        peer.socket.resume();
        await write;
        break;
      }
      written++;
      assert(written < 20_000, "the writes never waited");
    }
    assert(written > 10, `only ${written} writes before the first wait`);
    assert(
      mostBuffered <= highWaterMark + 4_200,
      `the socket held ${mostBuffered} bytes unsent`,
    );
    // The peer reads again: the writes go on.
    for (let i = 0; i < 100; i++) await writer.write(publish);
    await writer.close();
    await peer.close();
    assertEquals(
      packetsIn(await peer.received()).length,
      written + 101,
    );
    await closedSocket(socket);
    await server.close();
  });
});

describe("connectWebSocket", () => {
  it("opens a client WebSocket for MQTT, falling back to WebSocket without WebSocketStream", async () => {
    const { server, next } = upgradeServer();
    const url = `ws://127.0.0.1:${server.addr.port}`;
    const connection = await connectWebSocket(url);
    assertEquals(connection.protocol, "mqtt");
    // Deno has WebSocketStream only with --unstable-net (tested below).
    assertEquals(connection.api, "WebSocket");
    const socket = await next();
    const serverSide = webSocketStreams(socket);
    const writer = new PacketWriter(connection.writable);
    await writer.write({ type: "pingreq" });
    assertEquals(await new PacketReader(serverSide.readable).read(), {
      type: "pingreq",
    });
    await writer.close();
    await closedSocket(socket);
    await server.shutdown();
  });

  it("names the URL and keeps the cause when the connection cannot be opened", async () => {
    const url = `ws://127.0.0.1:${freePort()}`;
    const error = await assertRejects(() => connectWebSocket(url), MqttError);
    assertStringIncludes(error.message, `WebSocket ${url}`);
    assert(error.cause !== undefined);
    await assertRejects(
      () => connectWebSocket(url, { signal: AbortSignal.abort() }),
    );
  });

  it("uses WebSocketStream where the runtime has one (Deno with --unstable-net)", async () => {
    const { broker, wsPort } = await mosquittoWithWebSocket();
    try {
      const { code, lines, stderr } = await run(Deno.execPath(), [
        "run",
        "-A",
        "--unstable-net",
        "--config",
        new URL("../deno.json", import.meta.url).pathname,
        new URL("./support/web_socket_stream_client.ts", import.meta.url)
          .pathname,
        `ws://127.0.0.1:${wsPort}`,
      ], 30_000);
      assertEquals(code, 0, stderr);
      assertEquals(JSON.parse(lines.at(-1)!), {
        api: "WebSocketStream",
        protocol: "mqtt",
        received: ["connack", "suback", "publish"],
        ended: "normally",
      });
    } finally {
      await broker.stop();
    }
  });
});

describe("mosquitto closing the connection", () => {
  it("over WebSocket: after our DISCONNECT it drops TCP without a close frame, and the loop ends normally", async () => {
    const { broker, wsPort } = await mosquittoWithWebSocket();
    try {
      for (const open of ["webSocketStreams", "connectWebSocket"]) {
        const url = `ws://127.0.0.1:${wsPort}`;
        const { readable, writable } = open === "connectWebSocket"
          ? await connectWebSocket(url)
          : webSocketStreams(new WebSocket(url, "mqtt"));
        const reader = new PacketReader(readable, { protocolVersion: 5 });
        const writer = new PacketWriter(writable);
        await writer.write({
          type: "connect",
          protocolVersion: 5,
          clientId: `close-${open}`,
          cleanStart: true,
          keepAlive: 10,
        });
        assertEquals((await reader.read())?.type, "connack");
        const loop = Array.fromAsync(reader);
        // No close() from this side: the broker's drop ends the loop.
        await writer.write({ type: "disconnect", reasonCode: 0 });
        assertEquals(await withTimeout(loop, "the loop to end"), []);
        await writer.close();
      }
    } finally {
      await broker.stop();
    }
  });

  it("over TCP: our DISCONNECT and close() while a for await loop is pending end the loop normally", async () => {
    const broker = await startMosquitto();
    try {
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: broker.port,
      });
      const reader = new PacketReader(conn.readable, { protocolVersion: 4 });
      const writer = new PacketWriter(conn.writable);
      await writer.write({
        type: "connect",
        protocolVersion: 4,
        clientId: "close-tcp",
        cleanStart: true,
        keepAlive: 10,
      });
      assertEquals((await reader.read())?.type, "connack");
      const loop = Array.fromAsync(reader);
      await writer.write({ type: "disconnect" });
      await writer.close();
      assertEquals(await withTimeout(loop, "the loop to end"), []);
    } finally {
      await broker.stop();
    }
  });
});

/** A mosquitto with a WebSocket listener too, once that listens. */
async function mosquittoWithWebSocket(): Promise<
  { broker: Mosquitto; wsPort: number }
> {
  const wsPort = freePort();
  const broker = await startMosquitto([
    `listener ${wsPort} 127.0.0.1`,
    "protocol websockets",
  ]);
  await waitForPort(wsPort);
  return { broker, wsPort };
}

/** The packets in `bytes`, decoded as MQTT 5.0. */
function packetsIn(bytes: Uint8Array): Packet[] {
  return [...new PacketParser({ protocolVersion: 5 }).parse(bytes)];
}
