/**
 * Our client code (PacketReader/PacketWriter over Deno.connect) against a
 * real mosquitto, started on a free 127.0.0.1 port and stopped by PID:
 * MQTT 5.0, 3.1.1 and 3.1, QoS 0/1/2 both ways, MQTT 5 properties, a 1 MiB
 * payload, retained messages and a Will. mosquitto missing is a failure.
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { afterAll, afterEach, beforeAll, describe, it } from "@std/testing/bdd";
import { type ProtocolVersion, type QoS, ReasonCode } from "../mod.ts";
import { type Mosquitto, startMosquitto } from "./support/mosquitto.ts";
import {
  bytes,
  type ConnectFields,
  TestClient,
  text,
} from "./support/test_client.ts";

describe("interop: our client against mosquitto", () => {
  let mosquitto: Mosquitto;
  let clients: TestClient[] = [];

  beforeAll(async () => {
    mosquitto = await startMosquitto();
  });

  afterAll(async () => {
    await mosquitto?.stop();
  });

  afterEach(() => {
    for (const client of clients) client.close();
    clients = [];
  });

  async function connect(fields: ConnectFields): Promise<TestClient> {
    const client = await TestClient.connect(mosquitto.port, fields);
    clients.push(client);
    return client;
  }

  it("connects with MQTT 5.0 and gets an assigned client id and the broker's limits", async () => {
    const { client, connack } = await TestClient.connectRaw(mosquitto.port, {
      clientId: "",
    });
    clients.push(client);
    assertEquals(connack.reasonCode, ReasonCode.Success);
    assertMatch(connack.assignedClientIdentifier ?? "", /.+/);
    await client.send({ type: "pingreq" });
    assertEquals(await client.next(), { type: "pingresp" });
    await client.disconnect();
  });

  for (
    const [name, pubVersion, subVersion] of [
      ["5.0", 5, 5],
      ["3.1.1", 4, 4],
      ["3.1.1 publisher, 5.0 subscriber", 4, 5],
      ["5.0 publisher, 3.1.1 subscriber", 5, 4],
      ["3.1", 3, 3],
      ["3.1 publisher, 5.0 subscriber", 3, 5],
      ["5.0 publisher, 3.1 subscriber", 5, 3],
    ] as [string, ProtocolVersion, ProtocolVersion][]
  ) {
    it(`QoS 0, 1 and 2 both ways with ${name}`, async () => {
      const prefix = `qos-${pubVersion}${subVersion}`;
      const sub = await connect({
        clientId: `${prefix}-sub`,
        protocolVersion: subVersion,
      });
      const suback = await sub.subscribe([
        { topicFilter: `${prefix}/+/x`, qos: 2 },
        { topicFilter: `${prefix}/low/#`, qos: 1 },
      ]);
      assertEquals(suback.reasonCodes, [2, 1]);
      const pub = await connect({
        clientId: `${prefix}-pub`,
        protocolVersion: pubVersion,
      });
      for (const qos of [0, 1, 2] as QoS[]) {
        const acks = await pub.publish({
          topic: `${prefix}/a/x`,
          payload: bytes(`hello ${qos}`),
          qos,
        });
        assertEquals(
          acks.map((ack) => ack.type),
          [[], ["puback"], ["pubrec", "pubcomp"]][qos],
        );
        // Our subscriber completes each flow (PUBACK, PUBREC/PUBREL/PUBCOMP).
        const message = await sub.receive();
        assertEquals(
          [message.topic, text(message.payload), message.qos, message.dup],
          [`${prefix}/a/x`, `hello ${qos}`, qos, false],
        );
      }
      // Granted QoS 1 caps a QoS 2 publication.
      await pub.publish({
        topic: `${prefix}/low/y`,
        payload: bytes("l"),
        qos: 2,
      });
      assertEquals((await sub.receive()).qos, 1);
      await pub.disconnect();
      await sub.disconnect();
    });
  }

  it("carries MQTT 5 properties intact, with the subscription identifier", async () => {
    const sub = await connect({ clientId: "props-sub" });
    await sub.subscribe([{ topicFilter: "props/#", qos: 1 }], {
      subscriptionIdentifier: 4242,
    });
    const pub = await connect({ clientId: "props-pub" });
    const userProperties: [string, string][] = [
      ["k", "v1"],
      ["k", "v2"],
      ["ünïcode", "✓"],
    ];
    await pub.publish({
      topic: "props/1",
      payload: bytes('{"t":21.5}'),
      qos: 1,
      contentType: "application/json",
      payloadFormatIndicator: true,
      correlationData: new Uint8Array([0, 1, 254, 255]),
      responseTopic: "props/reply",
      userProperties,
      messageExpiryInterval: 3600,
    });
    const message = await sub.receive();
    assertEquals(message.contentType, "application/json");
    assertEquals(message.payloadFormatIndicator, true);
    assertEquals(message.correlationData, new Uint8Array([0, 1, 254, 255]));
    assertEquals(message.responseTopic, "props/reply");
    assertEquals(message.userProperties, userProperties);
    assertEquals(message.subscriptionIdentifiers, [4242]);
    // mosquitto sends what is left of the lifetime [MQTT-3.3.2-6].
    assert(message.messageExpiryInterval! <= 3600);
    assert(message.messageExpiryInterval! > 3000);
    assertEquals(text(message.payload), '{"t":21.5}');
  });

  for (const version of [5, 4, 3] as ProtocolVersion[]) {
    it(`moves a 1 MiB payload both ways (MQTT ${["3.1", "3.1.1", "5.0"][version - 3]})`, async () => {
      const payload = new Uint8Array(1024 * 1024);
      for (let i = 0; i < payload.length; i += 65_536) {
        crypto.getRandomValues(payload.subarray(i, i + 65_536));
      }
      const sub = await connect({
        clientId: `big-sub-${version}`,
        protocolVersion: version,
      });
      await sub.subscribe(`big${version}/#`);
      const pub = await connect({
        clientId: `big-pub-${version}`,
        protocolVersion: version,
      });
      await pub.publish({ topic: `big${version}/1`, payload, qos: 1 });
      const message = await sub.receive(20_000);
      assertEquals(message.payload.length, payload.length);
      assertEquals(message.payload, payload);
    });
  }

  it("retained messages: sent to new subscribers with RETAIN, cleared by an empty payload", async () => {
    const pub = await connect({ clientId: "ret-pub" });
    await pub.publish({
      topic: "ret/status",
      payload: bytes("online"),
      qos: 1,
      retain: true,
    });
    const first = await connect({ clientId: "ret-first", protocolVersion: 4 });
    await first.subscribe("ret/#");
    const retained = await first.receive();
    assertEquals(
      [retained.topic, text(retained.payload), retained.retain, retained.qos],
      ["ret/status", "online", true, 1],
    );
    await pub.publish({ topic: "ret/status", qos: 1, retain: true });
    // The subscription existed already: the clearing message comes without RETAIN.
    const cleared = await first.receive();
    assertEquals([cleared.payload.length, cleared.retain], [0, false]);
    const second = await connect({ clientId: "ret-second" });
    await second.subscribe("ret/#");
    await pub.publish({ topic: "ret/marker", payload: bytes("m") });
    assertEquals((await second.receive()).topic, "ret/marker");
  });

  for (const version of [5, 4, 3] as ProtocolVersion[]) {
    it(`publishes the Will after an abrupt close (MQTT ${["3.1", "3.1.1", "5.0"][version - 3]})`, async () => {
      const watcher = await connect({ clientId: `will-watch-${version}` });
      await watcher.subscribe(`will${version}/#`);
      const doomed = await connect({
        clientId: `will-doomed-${version}`,
        protocolVersion: version,
        will: {
          topic: `will${version}/doomed`,
          payload: bytes("gone"),
          qos: 1,
          retain: false,
          ...(version === 5 ? { contentType: "text/plain" } : {}),
        },
      });
      doomed.close();
      const will = await watcher.receive();
      assertEquals([will.topic, text(will.payload)], [
        `will${version}/doomed`,
        "gone",
      ]);
      if (version === 5) assertEquals(will.contentType, "text/plain");
    });
  }
});
