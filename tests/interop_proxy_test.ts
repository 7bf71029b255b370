/**
 * The logging proxy (examples/proxy.ts) between MQTT.js and a real
 * mosquitto: traffic flows unchanged and each packet is logged, in both
 * directions. A second part puts a scripted peer behind the proxy to show
 * that bytes pass byte for byte, even where a decode and re-encode would
 * have changed them.
 */

import { assert, assertEquals, assertNotEquals } from "@std/assert";
import { afterAll, beforeAll, describe, it } from "@std/testing/bdd";
import mqtt from "mqtt";
import { concat } from "@std/bytes";
import { decode, encode, type Packet, type PacketType } from "../mod.ts";
import {
  type Direction,
  type RunningProxy,
  startProxy,
} from "../examples/proxy.ts";
import { type Mosquitto, startMosquitto } from "./support/mosquitto.ts";
import { waitUntil, withTimeout } from "./support/net.ts";

interface Seen {
  connection: number;
  direction: Direction;
  packet: Packet;
}

describe("interop: examples/proxy.ts between MQTT.js and mosquitto", () => {
  let mosquitto: Mosquitto;
  let proxy: RunningProxy;
  const seen: Seen[] = [];
  const logLines: string[] = [];

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    proxy = await startProxy({
      port: 0,
      upstream: { hostname: "127.0.0.1", port: mosquitto.port },
      log: (line) => logLines.push(line),
      onPacket: (connection, direction, packet) =>
        seen.push({ connection, direction, packet }),
    });
  });

  afterAll(async () => {
    await proxy?.close();
    await mosquitto?.stop();
  });

  /** The packet types the proxy saw on the connection of `clientId`, one direction. */
  function typesOf(clientId: string, direction: Direction): PacketType[] {
    const connection = seen.find(({ packet }) =>
      packet.type === "connect" && packet.clientId === clientId
    )?.connection;
    return seen.filter((entry) =>
      entry.connection === connection && entry.direction === direction
    ).map(({ packet }) => packet.type);
  }

  for (const protocolVersion of [4, 5] as const) {
    it(`MQTT.js (protocol version ${protocolVersion}): messages pass unchanged, every packet is logged both ways`, async () => {
      const url = `mqtt://127.0.0.1:${proxy.port}`;
      const options = { protocolVersion, reconnectPeriod: 0 };
      const subId = `proxy-sub-${protocolVersion}`;
      const pubId = `proxy-pub-${protocolVersion}`;
      const sub = await mqtt.connectAsync(url, { ...options, clientId: subId });
      const pub = await mqtt.connectAsync(url, { ...options, clientId: pubId });
      try {
        const received: { topic: string; payload: string; qos: number }[] = [];
        const allThree = new Promise<void>((resolve) => {
          sub.on("message", (topic, payload, packet) => {
            received.push({
              topic,
              payload: new TextDecoder().decode(payload),
              qos: packet.qos,
            });
            if (received.length === 3) resolve();
          });
        });
        const topic = `proxy/${protocolVersion}/+`;
        await sub.subscribeAsync(topic, { qos: 2 });
        for (const qos of [0, 1, 2] as const) {
          await pub.publishAsync(`proxy/${protocolVersion}/${qos}`, `m${qos}`, {
            qos,
          });
        }
        await withTimeout(allThree, "three messages through the proxy");
        assertEquals(
          received,
          [0, 1, 2].map((qos) => ({
            topic: `proxy/${protocolVersion}/${qos}`,
            payload: `m${qos}`,
            qos,
          })),
        );
      } finally {
        await pub.endAsync();
        await sub.endAsync();
      }
      await waitUntil(
        () =>
          typesOf(subId, "client->broker").includes("disconnect") &&
          typesOf(pubId, "client->broker").includes("disconnect"),
        "the proxy to log both DISCONNECTs",
      );
      assertEquals(typesOf(pubId, "client->broker"), [
        "connect",
        "publish",
        "publish",
        "publish",
        "pubrel",
        "disconnect",
      ]);
      assertEquals(typesOf(pubId, "broker->client"), [
        "connack",
        "puback",
        "pubrec",
        "pubcomp",
      ]);
      assertEquals(typesOf(subId, "client->broker"), [
        "connect",
        "subscribe",
        "puback",
        "pubrec",
        "pubcomp",
        "disconnect",
      ]);
      assertEquals(
        typesOf(subId, "broker->client"),
        [
          "connack",
          "suback",
          "publish",
          "publish",
          "publish",
          "pubrel",
        ],
      );
      // The log shows the decoded packets, in the version of the connection.
      assert(
        logLines.some((line) =>
          / broker->client PUBLISH topic="proxy\/\d\/2" payload="m2" qos=2/
            .test(line) && line.includes(`proxy/${protocolVersion}/2`)
        ),
        logLines.join("\n"),
      );
    });
  }
});

describe("interop: examples/proxy.ts forwards bytes unchanged", () => {
  it("passes packets our encoder would write differently, and logs them decoded", async () => {
    // Long forms that a decode and re-encode would shorten: a PUBACK and a
    // DISCONNECT that spell out Reason Code 0 (and, for the PUBACK, an empty
    // property list).
    const connect = encode({
      type: "connect",
      protocolVersion: 5,
      clientId: "raw",
      cleanStart: true,
      keepAlive: 0,
    });
    const disconnect = new Uint8Array([0xe0, 0x01, 0x00]);
    const connack = encode({
      type: "connack",
      sessionPresent: false,
      reasonCode: 0,
    });
    const puback = new Uint8Array([0x40, 0x04, 0x00, 0x01, 0x00, 0x00]);
    for (const bytes of [disconnect, puback]) {
      assertNotEquals(encode(decode(bytes)), bytes); // else the test shows nothing
    }
    // A scripted broker: reads the CONNECT, answers, then reads to the end.
    const upstream = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const serving = (async () => {
      const conn = await upstream.accept();
      const first = await readExactly(conn, connect.length);
      await conn.write(concat([connack, puback]));
      const rest = await readToEnd(conn);
      conn.close();
      return concat([first, rest]);
    })();
    const seen: [Direction, Packet][] = [];
    const proxy = await startProxy({
      port: 0,
      upstream: {
        hostname: "127.0.0.1",
        port: (upstream.addr as Deno.NetAddr).port,
      },
      onPacket: (_, direction, packet) => seen.push([direction, packet]),
    });
    try {
      const client = await Deno.connect({
        hostname: "127.0.0.1",
        port: proxy.port,
      });
      await client.write(connect);
      const answer = await readExactly(client, connack.length + puback.length);
      await client.write(disconnect);
      client.close();
      assertEquals(answer, concat([connack, puback]));
      assertEquals(
        await withTimeout(serving, "the scripted broker"),
        concat([connect, disconnect]),
      );
      await waitUntil(() => seen.length === 4, "the proxy to log four packets");
      assertEquals(
        seen.filter(([direction]) => direction === "client->broker"),
        [
          ["client->broker", decode(connect)],
          ["client->broker", decode(disconnect)],
        ],
      );
      assertEquals(
        seen.filter(([direction]) => direction === "broker->client"),
        [
          ["broker->client", decode(connack)],
          ["broker->client", decode(puback)],
        ],
      );
    } finally {
      await proxy.close();
      upstream.close();
    }
  });
});

async function readExactly(
  conn: Deno.Conn,
  length: number,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < length) {
    const buffer = new Uint8Array(length - total);
    const n = await withTimeout(conn.read(buffer), "bytes from the proxy");
    if (n === null) break;
    chunks.push(buffer.subarray(0, n));
    total += n;
  }
  return concat(chunks);
}

async function readToEnd(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  while (true) {
    const buffer = new Uint8Array(1024);
    const n = await withTimeout(conn.read(buffer), "the end of the stream");
    if (n === null) return concat(chunks);
    chunks.push(buffer.subarray(0, n));
  }
}
