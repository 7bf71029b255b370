/**
 * The library in a Cloudflare Worker, run by workerd (npm package
 * `workerd`, installed by `.ci/run`): tests/workers/worker.ts is bundled
 * with the library into one module and served on 127.0.0.1. It accepts
 * WebSockets with subprotocol `mqtt` and serves MQTT on the server side of
 * a WebSocketPair through `webSocketStreams`, PacketReader and
 * PacketWriter; it is driven here by our own client (the same classes over
 * Deno's WebSocket) and by MQTT.js. Its `fetch` handler decodes a posted
 * packet into JSON.
 *
 * @module
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { afterAll, beforeAll, describe, it } from "@std/testing/bdd";
import { encode, type ProtocolVersion, ReasonCode } from "../mod.ts";
import { buildBundle } from "../scripts/build_bundle.ts";
import { delay, withTimeout } from "./support/net.ts";
import { installedRuntime } from "./support/runtimes.ts";
import { mqttJsExchange } from "./support/mqttjs_exchange.ts";
import { bytes, TestClient, text } from "./support/test_client.ts";
import { startWorkerd, type Workerd } from "./support/workerd.ts";
import { CLOSE_ORDERS } from "./support/close_orders.mjs";
import { PeerControl } from "./support/peer_control.ts";
import { rawWebSocketClient } from "./support/raw_web_socket.ts";

const workerdPath = installedRuntime("workerd", "runtime_workers_test");

/** What the Worker's GET /stats says. */
interface Stats {
  opened: number;
  ended: number;
  errors: string[];
}

/** Hex of bytes, as the Worker writes binary fields in JSON. */
const hex = (data: Uint8Array) =>
  Array.from(data, (byte) => byte.toString(16).padStart(2, "0")).join("");

describe({
  name: "a Cloudflare Worker in workerd",
  ignore: workerdPath === undefined,
  // workerd lives across the tests of this suite.
  sanitizeOps: false,
  sanitizeResources: false,
}, () => {
  let tmp: string;
  let bundle: string;
  let workerd: Workerd;
  let mqttUrl: string;

  beforeAll(async () => {
    tmp = await Deno.makeTempDir({ prefix: "mqtt_codec_worker_" });
    bundle = await buildBundle(
      `${tmp}/worker.js`,
      "tests/workers/worker.ts",
    );
    workerd = await startWorkerd(workerdPath!, bundle);
    mqttUrl = `ws://127.0.0.1:${workerd.port}/mqtt`;
  });

  afterAll(async () => {
    const log = await workerd?.stop();
    if (tmp) await Deno.remove(tmp, { recursive: true });
    // Nothing thrown in the Worker was left uncaught.
    if (log !== undefined) {
      assertEquals(log.match(/uncaught|error/gi), null, log);
    }
  });

  async function stats(): Promise<Stats> {
    const response = await fetch(`${workerd.url}/stats`);
    return await response.json();
  }

  /** Waits until every MQTT connection the Worker opened has ended, cleanly. */
  async function allConnectionsEnded(): Promise<void> {
    const deadline = performance.now() + 5_000;
    let last = await stats();
    while (last.ended < last.opened && performance.now() < deadline) {
      await delay(20);
      last = await stats();
    }
    assertEquals(last.errors, []);
    assertEquals(
      last.ended,
      last.opened,
      "connections still open in the Worker",
    );
  }

  describe("our client: PacketReader/PacketWriter over webSocketStreams", () => {
    for (const protocolVersion of [5, 4] as ProtocolVersion[]) {
      it(`MQTT ${protocolVersion}: CONNECT, SUBSCRIBE, PUBLISH echoed at QoS 0 and 1, PINGREQ, DISCONNECT`, async () => {
        const { client, connack } = await TestClient.connectRaw(mqttUrl, {
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
        // QoS 2 asked for, QoS 1 granted: the Worker's Maximum QoS.
        const suback = await client.subscribe([
          { topicFilter: "echo/#", qos: 2 },
        ]);
        assertEquals(suback.reasonCodes, [1]);

        await client.send({
          type: "publish",
          topic: "echo/zero",
          payload: bytes("at QoS 0"),
          qos: 0,
          retain: false,
          dup: false,
        });
        const zero = await client.expect("publish");
        assertEquals(
          [zero.topic, text(zero.payload), zero.qos, zero.packetId],
          ["echo/zero", "at QoS 0", 0, undefined],
        );

        const acks = await client.publish({
          topic: "echo/one",
          payload: bytes("at QoS 1"),
          qos: 1,
          ...(protocolVersion === 5 ? { contentType: "text/plain" } : {}),
        });
        assertEquals(acks.map((p) => p.type), ["puback"]);
        const one = await client.receive(); // and PUBACKs it
        assertEquals(
          [one.topic, text(one.payload), one.qos, one.contentType],
          [
            "echo/one",
            "at QoS 1",
            1,
            protocolVersion === 5 ? "text/plain" : undefined,
          ],
        );

        // Not subscribed: nothing comes back but the PUBACK.
        await client.publish({ topic: "elsewhere", qos: 1 });
        await client.send({ type: "pingreq" });
        assertEquals(await client.next(), { type: "pingresp" });

        await client.send({ type: "disconnect" });
        assertEquals(await client.untilClosed(), []);
        await allConnectionsEnded();
      });
    }

    it("a client that closes without DISCONNECT ends the Worker's loop too", async () => {
      const client = await TestClient.connect(mqttUrl, { clientId: "gone" });
      client.close();
      await allConnectionsEnded();
    });

    it("a malformed packet is answered with DISCONNECT 0x81 and the close", async () => {
      const client = await TestClient.connect(mqttUrl, { clientId: "bad" });
      // PUBLISH with QoS 3 [MQTT-3.3.1-4].
      await client.sendBytes(
        new Uint8Array([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01]),
      );
      assertEquals(await client.untilClosed(), [
        { type: "disconnect", reasonCode: ReasonCode.MalformedPacket },
      ]);
      await allConnectionsEnded();
    });

    it("a PUBLISH above the Maximum QoS is answered with DISCONNECT 0x9B", async () => {
      const client = await TestClient.connect(mqttUrl, { clientId: "qos2" });
      await client.send({
        type: "publish",
        topic: "echo/two",
        payload: bytes("too high"),
        qos: 2,
        retain: false,
        dup: false,
        packetId: 1,
      });
      assertEquals(await client.untilClosed(), [
        { type: "disconnect", reasonCode: ReasonCode.QoSNotSupported },
      ]);
      await allConnectionsEnded();
    });

    it("refuses a WebSocket that does not ask for the subprotocol mqtt", async () => {
      const socket = new WebSocket(mqttUrl);
      const outcome = await withTimeout(
        new Promise<string>((resolve) => {
          socket.onopen = () => resolve("open");
          socket.onerror = () => resolve("error");
        }),
        "the WebSocket to fail",
      );
      socket.close();
      assertEquals(outcome, "error");
    });
  });

  describe("close orders on the Worker's server-side WebSocket (tests/support/close_orders.mjs)", () => {
    const control = new PeerControl();
    let controlServer: Deno.HttpServer<Deno.NetAddr>;

    beforeAll(() => {
      controlServer = control.serve();
    });

    afterAll(async () => {
      await control.dispose();
      await controlServer?.shutdown();
    });

    CLOSE_ORDERS.forEach((order, row) => {
      it(order.name, async () => {
        const id = `workerd-${row}`;
        const controlUrl = `http://127.0.0.1:${controlServer.addr.port}`;
        // The client end, here; the row runs in the Worker and drives it.
        const end = await rawWebSocketClient(
          workerd.port,
          "mqtt",
          `/close-orders/${row}?id=${id}&control=${controlUrl}`,
        );
        control.add(id, end);
        try {
          const result = await withTimeout(
            control.result(id),
            `the Worker to run: ${order.name}`,
            10_000,
          );
          assertEquals(result.error, undefined, result.error);
          assertEquals(result.uncaught, []);
        } finally {
          end.drop();
        }
      });
    });
  });

  describe("MQTT.js", () => {
    for (const protocolVersion of [5, 4] as const) {
      it(`MQTT ${protocolVersion}: subscribes, gets its QoS 0 and 1 messages back, pings, disconnects`, async () => {
        await mqttJsExchange(mqttUrl, protocolVersion);
        await allConnectionsEnded();
      });
    }
  });

  describe("the fetch handler: POST /decode", () => {
    const rows: [string, string, Uint8Array, object][] = [
      [
        "a 3.1.1 CONNECT (it carries its own version)",
        "",
        encode({
          type: "connect",
          protocolVersion: 4,
          clientId: "a",
          cleanStart: true,
          keepAlive: 60,
        }),
        {
          type: "connect",
          protocolVersion: 4,
          clientId: "a",
          cleanStart: true,
          keepAlive: 60,
        },
      ],
      [
        "an MQTT 5 PUBLISH with properties, binary fields in hex",
        "",
        encode({
          type: "publish",
          topic: "t",
          payload: bytes("hi"),
          qos: 1,
          retain: false,
          dup: false,
          packetId: 7,
          correlationData: new Uint8Array([0xca, 0xfe]),
          userProperties: [["k", "v"]],
        }),
        {
          type: "publish",
          topic: "t",
          payload: hex(bytes("hi")),
          qos: 1,
          retain: false,
          dup: false,
          packetId: 7,
          correlationData: "cafe",
          userProperties: [["k", "v"]],
        },
      ],
      [
        "a 3.1.1 SUBACK, with ?protocolVersion=4",
        "?protocolVersion=4",
        encode({ type: "suback", packetId: 3, reasonCodes: [0, 0x80] }, {
          protocolVersion: 4,
        }),
        { type: "suback", packetId: 3, reasonCodes: [0, 0x80] },
      ],
    ];
    for (const [name, query, body, json] of rows) {
      it(`decodes ${name}`, async () => {
        const response = await fetch(`${workerd.url}/decode${query}`, {
          method: "POST",
          body: body.slice(),
        });
        assertEquals(response.status, 200);
        assertEquals(await response.json(), json);
      });
    }

    it("answers a malformed packet with 400 and the MqttError", async () => {
      const response = await fetch(`${workerd.url}/decode`, {
        method: "POST",
        body: new Uint8Array([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01]),
      });
      assertEquals(response.status, 400);
      const error = await response.json();
      assertEquals(error.error, "MqttError");
      assertEquals(error.reasonCode, ReasonCode.MalformedPacket);
      assertStringIncludes(error.message, "[MQTT-3.3.1-4]");
    });
  });

  describe("webSocketStreams on the Worker's server-side WebSocket closes as it should (issue 12 item 1)", () => {
    /** Opens a raw WebSocket and resolves once it is open. */
    async function openSocket(url: string): Promise<WebSocket> {
      const socket = new WebSocket(url, "mqtt");
      socket.binaryType = "arraybuffer";
      await withTimeout(
        new Promise((resolve, reject) => {
          socket.onopen = resolve;
          socket.onerror = reject;
        }),
        "the WebSocket to open",
      );
      return socket;
    }

    it({
      name: "the Worker closes with 1000 after DISCONNECT (not 1005)",
      async fn() {
        const socket = await openSocket(mqttUrl);
        const closed = new Promise<number>((resolve) =>
          socket.onclose = (event) => resolve(event.code)
        );
        const connack = new Promise((resolve) => socket.onmessage = resolve);
        socket.send(encode({
          type: "connect",
          protocolVersion: 5,
          clientId: "close-code",
          cleanStart: true,
          keepAlive: 0,
        }));
        await withTimeout(connack, "CONNACK");
        socket.send(encode({ type: "disconnect" }));
        assertEquals(await withTimeout(closed, "the close"), 1000);
      },
    });

    it({
      name:
        "with a compatibility date before 2026-04-07, a close the client starts is answered (the connection is not left half-open)",
      async fn() {
        const old = await startWorkerd(workerdPath!, bundle, {
          compatibilityDate: "2026-04-06",
        });
        try {
          const socket = await openSocket(`ws://127.0.0.1:${old.port}/mqtt`);
          const closed = new Promise((resolve) => socket.onclose = resolve);
          socket.close(1000);
          await withTimeout(closed, "the Worker to answer the close", 2_000);
        } finally {
          await old.stop();
        }
      },
    });
  });
});
