/**
 * The push parser on every runtime's callback-style sockets (issue 12 item
 * 2): servers that read with `PacketParser` and write what `encode` makes,
 * with no streams, all on tests/support/callback_server.mjs —
 *
 * - Node 20 and 22: a `net` server, `socket.on("data")`;
 * - Bun: `Bun.listen`'s socket `data` handler, and `Bun.serve`'s
 *   `websocket.message(ws, data)` with `ws.send()`'s back-pressure;
 * - workerd: a Durable Object with hibernatable WebSockets
 *   (tests/workers/mqtt_room.ts), `webSocketMessage(ws, data)`, across a
 *   hibernation.
 *
 * Each row is one server; every row serves the same real MQTT exchanges,
 * driven from here by MQTT.js and by our own client (TestClient), and
 * reports how each connection ended. Adding a runtime or a transport is
 * one row of SERVERS.
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import { afterAll, beforeAll, describe, it } from "@std/testing/bdd";
import mqtt from "mqtt";
import { encode, type ProtocolVersion, ReasonCode } from "../mod.ts";
import { buildBundle } from "../scripts/build_bundle.ts";
import { delay, waitUntil, withTimeout } from "./support/net.ts";
import { installedRuntime, ROOT } from "./support/runtimes.ts";
import { mqttJsExchange } from "./support/mqttjs_exchange.ts";
import {
  type Address,
  bytes,
  TestClient,
  text,
} from "./support/test_client.ts";
import { startWorkerd, type Workerd } from "./support/workerd.ts";
import {
  type RawWebSocket,
  rawWebSocketClient,
} from "./support/raw_web_socket.ts";

/** What a server reports about a connection that ended. */
interface Ended {
  version: ProtocolVersion | null;
  pauses: number;
  mostBuffered: number;
  reasonCode: number | null;
  error: string | null;
}

/** A callback-style server under test. */
interface Server {
  /** Where its clients connect: a TCP port, or a `ws://` URL. */
  address: Address;
  /** The report of the next connection that ends (in the order they end). */
  ended(): Promise<Ended>;
  /** Stops it; returns what it printed on stderr. */
  stop(): Promise<string>;
}

/** A server run as a child process that says what happens in JSON lines. */
interface ProcessServer extends Server {
  /** The next line with `key`, its value; lines of other keys wait. */
  take<T>(key: string, ms?: number): Promise<T>;
}

/** A server run as a child process that prints JSON lines on stdout. */
async function startProcess(
  executable: string,
  args: string[],
  transport: "tcp" | "ws",
): Promise<ProcessServer> {
  const child = new Deno.Command(executable, {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stderr = new Response(child.stderr).text();
  // Each line is an object; its values wait by key.
  const values = new Map<string, unknown[]>();
  let changed = Promise.withResolvers<void>();
  let exited = false;
  const reading = (async () => {
    const lines = child.stdout.pipeThrough(new TextDecoderStream())
      .pipeThrough(splitLines());
    for await (const line of lines) {
      for (const [key, value] of Object.entries(JSON.parse(line))) {
        values.set(key, [...values.get(key) ?? [], value]);
      }
      changed.resolve();
      changed = Promise.withResolvers();
    }
    exited = true;
    changed.resolve();
  })();
  const take = async <T>(key: string, ms = 5_000): Promise<T> => {
    const deadline = performance.now() + ms;
    while (true) {
      const waiting = values.get(key) ?? [];
      if (waiting.length > 0) return waiting.shift() as T;
      if (exited) throw new Error(`the server exited: ${await stderr}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for "${key}"`);
      await withTimeout(changed.promise, `"${key}" from the server`, left);
    }
  };
  const listening = await take<string | number>(transport, 20_000);
  return {
    address: listening,
    take,
    ended: () => take<Ended>("ended"),
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await reading;
      return await stderr;
    },
  };
}

/** Splits text into lines. */
function splitLines(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, controller) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      for (const line of lines) if (line !== "") controller.enqueue(line);
    },
  });
}

/** The Durable Object's Worker in workerd, as a Server. */
async function startRoom(workerd: string): Promise<Server & { url: string }> {
  const tmp = await Deno.makeTempDir({ prefix: "mqtt_codec_room_" });
  const bundle = await buildBundle(
    `${tmp}/room.js`,
    "tests/workers/mqtt_room.ts",
  );
  const running: Workerd = await startWorkerd(workerd, bundle, {
    durableObjects: { ROOM: "MqttRoom" },
    compatibilityFlags: ["unsafe_module"],
  });
  let seen = 0;
  return {
    url: running.url,
    address: `ws://127.0.0.1:${running.port}/room`,
    async ended() {
      const deadline = performance.now() + 5_000;
      while (true) {
        const response = await fetch(`${running.url}/room/ended`);
        const ended: Ended[] = await response.json();
        if (ended.length > seen) return ended[seen++];
        if (performance.now() > deadline) {
          throw new Error("timed out waiting for a connection to end");
        }
        await delay(20);
      }
    },
    async stop() {
      const log = await running.stop();
      await Deno.remove(tmp, { recursive: true });
      return log.split("\n").filter((line) => /uncaught|error/i.test(line))
        .join("\n");
    },
  };
}

const node20 = installedRuntime("node20", "callback_sockets_test");
const node22 = installedRuntime("node22", "callback_sockets_test");
const bun = installedRuntime("bun", "callback_sockets_test");
const workerd = installedRuntime("workerd", "callback_sockets_test");

/** A server of the table: where it runs, and how to start it. */
interface Row {
  name: string;
  /** The runtime's executable; `undefined` when it is missing (skipped). */
  runtime: string | undefined;
  start(runtime: string): Promise<Server>;
  /** Tests of what only this server has, on the server started. */
  more?(server: () => Server): void;
}

/** A PUBLISH of 16 KiB to "flood/big", sent back to its subscribed sender. */
const BIG = encode({
  type: "publish",
  topic: "flood/big",
  payload: new Uint8Array(16_384),
  qos: 0,
  retain: false,
  dup: false,
});
/** Four of them in one WebSocket message. */
const BURST = new Uint8Array(BIG.length * 4).map((_, i) => BIG[i % BIG.length]);
/**
 * The Bun server's bound on bytes waiting in a parser while it stalls:
 * above what a client sends before it hears of the stall.
 */
const MAXIMUM_BUFFERED = 8 * 1_048_576;

/**
 * A raw WebSocket client of `server` that connected and subscribed to
 * "flood/#", so that each of its PUBLISHes there comes back to it.
 */
async function rawClient(server: Server): Promise<RawWebSocket> {
  const { port } = new URL(String(server.address));
  const client = await rawWebSocketClient(Number(port), "mqtt");
  await client.send(encode({
    type: "connect",
    protocolVersion: 5,
    clientId: "",
    cleanStart: true,
    keepAlive: 0,
  }));
  await client.send(encode({
    type: "subscribe",
    packetId: 1,
    subscriptions: [{ topicFilter: "flood/#", qos: 0 }],
  }));
  await waitUntil(() => client.messageCount === 2, "CONNACK and SUBACK");
  // Floods follow: count the answers, keep only the last.
  client.keepMessages = false;
  return client;
}

/** Bun.serve's ws.send() back-pressure: the server stops taking packets. */
function bunBackPressure(current: () => Server) {
  it("stops taking packets while ws.send() returns -1 (back-pressure), and answers every one after the drain", async () => {
    const server = current() as ProcessServer;
    const client = await rawClient(server);
    client.stopReading();
    // PUBLISHes until the server's sends of their echoes report
    // back-pressure (the TCP buffers hold some megabytes).
    const paused = server.take<number>("paused", 60_000);
    let stalled = false;
    paused.then(() => stalled = true, () => {});
    let published = 0;
    while (!stalled && published < 16_384) {
      await client.send(BURST);
      published += 4;
      await delay(1);
    }
    assert(stalled, `no back-pressure after ${published} PUBLISHes`);
    client.resumeReading();
    // Nothing lost: every echo comes, once the client reads.
    await waitUntil(
      () => client.messageCount === 2 + published,
      `${published} echoes`,
      30_000,
    );
    assertEquals(client.lastMessage, BIG);
    await client.send(encode({ type: "disconnect" }));
    const ended = await server.ended();
    assertEquals(ended.reasonCode, null, JSON.stringify(ended));
    assert(ended.pauses >= 1, JSON.stringify(ended));
    assert(ended.mostBuffered <= MAXIMUM_BUFFERED, JSON.stringify(ended));
    client.drop();
  });

  it("ends with DISCONNECT 0x97 a client that keeps sending while it does not read", async () => {
    const server = current() as ProcessServer;
    const client = await rawClient(server);
    client.stopReading();
    let closed = false;
    client.closeReceived().then(() => closed = true);
    const ended = server.ended();
    let over = false;
    ended.then(() => over = true, () => {});
    for (let sent = 0; !over && !closed && sent < 64 * MAXIMUM_BUFFERED;) {
      await client.send(BURST);
      sent += BURST.length;
      await delay(1);
    }
    const { reasonCode, pauses, mostBuffered } = await ended;
    assertEquals(reasonCode, ReasonCode.QuotaExceeded);
    assert(pauses >= 1);
    // Bounded: the bound, and the message that went over it.
    assert(mostBuffered <= MAXIMUM_BUFFERED + BURST.length, `${mostBuffered}`);
    client.resumeReading();
    await withTimeout(client.closed(), "the close", 30_000);
    assertEquals(
      client.lastMessage,
      encode({ type: "disconnect", reasonCode: ReasonCode.QuotaExceeded }),
    );
  });
}

/** A number the room's Worker tells at `path`. */
async function roomCount(server: Server, path: string): Promise<number> {
  const { url } = server as Server & { url: string };
  return await (await fetch(`${url}${path}`)).json();
}

/** The Durable Object across a hibernation. */
function hibernation(current: () => Server) {
  // MQTT.js (its Node build, in Deno) is not so: it sends a packet's
  // parts in messages of their own (31 messages of a 12-packet exchange
  // ended inside a packet, measured), which the rows above serve all the
  // same. So a Durable Object keeps split bytes across a hibernation (next).
  it("gets each packet of our client whole in one WebSocket message: PacketWriter over webSocketStreams sends one message per packet", async () => {
    const server = current();
    const before = await roomCount(server, "/room/splits");
    for (const version of [5, 4] as const) {
      await ourExchange(server.address, version);
      await server.ended();
    }
    assertEquals(await roomCount(server, "/room/splits"), before);
  });

  it("goes on across a hibernation: the 3.1.1 version, the subscriptions, a packet split over two messages", async () => {
    const server = current() as Server & { url: string };
    const objects = () => roomCount(server, "/room/objects");
    const listener = await mqtt.connectAsync(String(server.address), {
      protocolVersion: 5,
      clientId: "listener",
      reconnectPeriod: 0,
    });
    const heard: string[] = [];
    listener.on("message", (topic, payload) => {
      heard.push(`${topic} ${new TextDecoder().decode(payload)}`);
    });
    // At QoS 0: MQTT.js sends no PUBACK, whose parts would count as splits.
    await listener.subscribeAsync("after/#", { qos: 0 });
    const client = await TestClient.connect(server.address, {
      protocolVersion: 4,
      clientId: "old-timer",
    });
    await client.subscribe([{ topicFilter: "after/#", qos: 1 }]);
    const packet = encode({
      type: "publish",
      topic: "after/split",
      payload: bytes("across a hibernation"),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 7,
    }, { protocolVersion: 4 });
    const splits = await roomCount(server, "/room/splits");
    await client.sendBytes(packet.subarray(0, 6));
    await delay(50); // the object takes the first half in
    const before = await objects();
    const evicted = await fetch(`${server.url}/evict`, { method: "POST" });
    assertEquals(evicted.status, 204);
    await client.sendBytes(packet.subarray(6));
    assertEquals((await client.expect("puback")).packetId, 7);
    const echo = await client.receive();
    assertEquals([echo.topic, text(echo.payload)], [
      "after/split",
      "across a hibernation",
    ]);
    await waitUntil(() => heard.length === 1, "the listener to hear it");
    assertEquals(heard, ["after/split across a hibernation"]);
    // A new object served the second half, kept for it in the storage.
    assertEquals(await objects(), before + 1);
    assertEquals(await roomCount(server, "/room/splits"), splits + 1);
    await client.disconnect();
    assertEquals((await server.ended()).version, 4);
    await listener.endAsync();
    assertEquals((await server.ended()).version, 5);
  });
}

const SERVERS: Row[] = [
  {
    name: "Node 20: a net server, socket.on('data')",
    runtime: node20,
    start: (node) =>
      startProcess(node, ["tests/node/callback_server.mjs"], "tcp"),
  },
  {
    name: "Node 22: a net server, socket.on('data')",
    runtime: node22,
    start: (node) =>
      startProcess(node, ["tests/node/callback_server.mjs"], "tcp"),
  },
  {
    name: "Bun: Bun.listen, the socket's data handler",
    runtime: bun,
    start: (bun) => startProcess(bun, ["tests/bun/callback_server.ts"], "tcp"),
  },
  {
    name: "Bun: Bun.serve({ websocket }), message(ws, data) and ws.send()",
    runtime: bun,
    start: (bun) =>
      startProcess(bun, [
        "tests/bun/callback_server.ts",
        String(MAXIMUM_BUFFERED),
      ], "ws"),
    more: bunBackPressure,
  },
  {
    name:
      "workerd: a Durable Object's hibernatable WebSockets, webSocketMessage(ws, data)",
    runtime: workerd,
    start: startRoom,
    more: hibernation,
  },
];

/** A URL MQTT.js connects to. */
function mqttJsUrl(address: Address): string {
  return typeof address === "number" ? `mqtt://127.0.0.1:${address}` : address;
}

/** Our client's full exchange in one protocol version. */
async function ourExchange(address: Address, protocolVersion: ProtocolVersion) {
  const { client, connack } = await TestClient.connectRaw(address, {
    protocolVersion,
    clientId: `ours-${protocolVersion}`,
    keepAlive: 30,
  });
  assertEquals(connack, {
    type: "connack",
    sessionPresent: false,
    reasonCode: 0,
    ...(protocolVersion === 5 ? { maximumQoS: 1 } : {}),
  });
  // QoS 2 asked for, QoS 1 granted: the server's Maximum QoS.
  assertEquals((await client.subscribe("echo/#")).reasonCodes, [1]);
  await client.publish({ topic: "echo/zero", payload: bytes("at QoS 0") });
  const zero = await client.expect("publish");
  assertEquals([zero.topic, text(zero.payload), zero.qos], [
    "echo/zero",
    "at QoS 0",
    0,
  ]);
  const acks = await client.publish({
    topic: "echo/one",
    payload: bytes("at QoS 1"),
    qos: 1,
    ...(protocolVersion === 5 ? { contentType: "text/plain" } : {}),
  });
  assertEquals(acks.map((p) => p.type), ["puback"]);
  const one = await client.receive(); // and PUBACKs it
  assertEquals([one.topic, text(one.payload), one.qos, one.contentType], [
    "echo/one",
    "at QoS 1",
    1,
    protocolVersion === 5 ? "text/plain" : undefined,
  ]);
  await client.send({ type: "pingreq" });
  assertEquals(await client.next(), { type: "pingresp" });
  await client.send({ type: "disconnect" });
  assertEquals(await client.untilClosed(), []);
}

for (const row of SERVERS) {
  describe({
    name: `the push parser: ${row.name}`,
    ignore: row.runtime === undefined,
    // The server lives across the tests of this row.
    sanitizeOps: false,
    sanitizeResources: false,
  }, () => {
    let server: Server;

    beforeAll(async () => {
      server = await row.start(row.runtime!);
    });

    afterAll(async () => {
      const log = await server?.stop();
      assertEquals(log ?? "", "", "the server printed errors");
    });

    /** The next connection ended as expected. */
    async function endedWith(
      version: ProtocolVersion | null,
      reasonCode: number | null = null,
    ): Promise<Ended> {
      const ended = await server.ended();
      assertEquals(
        [ended.version, ended.reasonCode],
        [version, reasonCode],
        JSON.stringify(ended),
      );
      if (reasonCode === null) assertEquals(ended.error, null);
      return ended;
    }

    for (const version of [5, 4] as const) {
      it(`our client, MQTT ${version}: CONNECT, SUBSCRIBE, PUBLISH echoed at QoS 0 and 1, PINGREQ, DISCONNECT`, async () => {
        await ourExchange(server.address, version);
        await endedWith(version);
      });

      it(`MQTT.js, MQTT ${version}: subscribes, gets its QoS 0 and 1 messages back, pings, disconnects`, async () => {
        await mqttJsExchange(mqttJsUrl(server.address), version);
        await endedWith(version);
      });
    }

    it("routes a message from our client to MQTT.js, each on its own connection", async () => {
      const subscriber = await mqtt.connectAsync(mqttJsUrl(server.address), {
        protocolVersion: 5,
        clientId: "listener",
        reconnectPeriod: 0,
      });
      const received: string[] = [];
      subscriber.on("message", (topic, payload) => {
        received.push(`${topic} ${new TextDecoder().decode(payload)}`);
      });
      await subscriber.subscribeAsync("room/#", { qos: 1 });
      const publisher = await TestClient.connect(server.address, {
        clientId: "speaker",
      });
      await publisher.publish({
        topic: "room/news",
        payload: bytes("from our client"),
        qos: 1,
      });
      await waitUntil(() => received.length === 1, "MQTT.js to receive");
      assertEquals(received, ["room/news from our client"]);
      await publisher.disconnect();
      await subscriber.endAsync();
      await endedWith(5);
      await endedWith(5);
    });

    it("reads a PUBLISH that arrives one byte per chunk (or WebSocket message)", async () => {
      const client = await TestClient.connect(server.address, {
        clientId: "trickle",
      });
      await client.subscribe("slow/#");
      const packet = encode({
        type: "publish",
        topic: "slow/bytes",
        payload: bytes("one byte at a time"),
        qos: 1,
        retain: false,
        dup: false,
        packetId: 9,
      });
      for (const byte of packet) {
        await client.sendBytes(new Uint8Array([byte]));
        await delay(1);
      }
      assertEquals((await client.expect("puback")).packetId, 9);
      assertEquals(
        text((await client.receive()).payload),
        "one byte at a time",
      );
      await client.disconnect();
      await endedWith(5);
    });

    row.more?.(() => server);

    it("answers a malformed packet with DISCONNECT 0x81 and the close", async () => {
      const client = await TestClient.connect(server.address, {
        clientId: "bad",
      });
      // PUBLISH with QoS 3 [MQTT-3.3.1-4].
      await client.sendBytes(
        new Uint8Array([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01]),
      );
      assertEquals(await client.untilClosed(), [
        { type: "disconnect", reasonCode: ReasonCode.MalformedPacket },
      ]);
      const ended = await endedWith(5, ReasonCode.MalformedPacket);
      assert(ended.error?.includes("[MQTT-3.3.1-4]"), ended.error ?? "");
    });
  });
}
