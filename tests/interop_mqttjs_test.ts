/**
 * MQTT.js clients (npm:mqtt) against the example broker, over TCP and over
 * WebSocket, with protocol versions 3 (3.1, TCP only), 4 (3.1.1) and 5: connect, subscribe with
 * wildcards, QoS 0/1/2 publish and receive, MQTT 5 properties, retained
 * messages and Wills.
 */

import { assert, assertEquals } from "@std/assert";
import { afterAll, beforeAll, describe, it } from "@std/testing/bdd";
import mqtt from "mqtt";
import { type RunningBroker, startBroker } from "../examples/broker.ts";
import { waitUntil, withTimeout } from "./support/net.ts";

type MqttClient = ReturnType<typeof mqtt.connect>;
type ClientOptions = NonNullable<Parameters<typeof mqtt.connectAsync>[1]>;

interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  properties?: Record<string, unknown>;
}

/** An MQTT.js client whose messages are collected, to be taken one by one. */
class Collector {
  readonly client: MqttClient;
  readonly #messages: Received[] = [];
  readonly #waiting: ((message: Received) => void)[] = [];

  constructor(client: MqttClient) {
    this.client = client;
    client.on("message", (topic, payload, packet) => {
      const message: Received = {
        topic,
        payload: new TextDecoder().decode(payload),
        qos: packet.qos,
        retain: packet.retain,
        properties: packet.properties as Record<string, unknown> | undefined,
      };
      const waiter = this.#waiting.shift();
      if (waiter) waiter(message);
      else this.#messages.push(message);
    });
  }

  next(): Promise<Received> {
    const message = this.#messages.shift();
    if (message) return Promise.resolve(message);
    return withTimeout(
      new Promise((resolve) => this.#waiting.push(resolve)),
      "an MQTT.js message",
    );
  }
}

/**
 * Connects an MQTT.js client (no reconnecting) to the broker over the
 * transport, and keeps it in `clients` to be ended after the suite.
 */
async function connectMqttJs(
  broker: RunningBroker,
  transport: "tcp" | "ws",
  clients: MqttClient[],
  options: Partial<ClientOptions>,
): Promise<Collector> {
  const url = transport === "tcp"
    ? `mqtt://127.0.0.1:${broker.tcpPort}`
    : `ws://127.0.0.1:${broker.wsPort}`;
  const client = await withTimeout(
    mqtt.connectAsync(url, { reconnectPeriod: 0, ...options }),
    "MQTT.js to connect",
  );
  clients.push(client);
  return new Collector(client);
}

for (const transport of ["tcp", "ws"] as const) {
  for (const protocolVersion of [3, 4, 5] as const) {
    // MQTT.js offers the WebSocket subprotocol "mqttv3.1" for MQTT 3.1,
    // which predates MQTT over WebSocket (3.1.1 section 6); the example
    // broker selects "mqtt" only, so 3.1 is tested over TCP.
    if (protocolVersion === 3 && transport === "ws") continue;
    describe(`interop: MQTT.js over ${transport}, protocol version ${protocolVersion}, against examples/broker.ts`, () => {
      let broker: RunningBroker;
      const clients: MqttClient[] = [];
      const prefix = `${transport}${protocolVersion}`;

      beforeAll(async () => {
        broker = await startBroker({
          port: 0,
          wsPort: transport === "ws" ? 0 : null,
        });
      });

      afterAll(async () => {
        await Promise.all(clients.map((client) => client.endAsync(true)));
        await broker.close();
      });

      function connect(
        clientId: string,
        options: Partial<ClientOptions> = {},
      ): Promise<Collector> {
        return connectMqttJs(broker, transport, clients, {
          protocolVersion,
          // MQTT 3.1 is the protocol named "MQIsdp"
          ...(protocolVersion === 3 ? { protocolId: "MQIsdp" } : {}),
          clientId: `${prefix}-${clientId}`,
          keepalive: 30,
          ...options,
        });
      }

      it("subscribes with wildcards and publishes and receives at QoS 0, 1 and 2", async () => {
        const sub = await connect("sub");
        const granted = await sub.client.subscribeAsync({
          [`${prefix}/+/temp`]: { qos: 2 },
          [`${prefix}/office/#`]: { qos: 1 },
        });
        assertEquals(granted.map((g) => g.qos), [2, 1]);
        const pub = await connect("pub");
        for (const qos of [0, 1, 2] as const) {
          // Resolves after PUBACK (QoS 1) or PUBCOMP (QoS 2) from our broker.
          await pub.client.publishAsync(`${prefix}/kitchen/temp`, `t${qos}`, {
            qos,
          });
          const message = await sub.next();
          assertEquals(
            [message.topic, message.payload, message.qos, message.retain],
            [`${prefix}/kitchen/temp`, `t${qos}`, qos, false],
          );
        }
        await pub.client.publishAsync(`${prefix}/office/a/b`, "o", { qos: 2 });
        const office = await sub.next();
        assertEquals([office.topic, office.qos], [`${prefix}/office/a/b`, 1]);
      });

      if (protocolVersion === 5) {
        it("carries MQTT 5 properties", async () => {
          const sub = await connect("props-sub");
          await sub.client.subscribeAsync(`${prefix}/props`, {
            qos: 1,
            properties: { subscriptionIdentifier: 9 },
          });
          const pub = await connect("props-pub");
          await pub.client.publishAsync(`${prefix}/props`, "p", {
            qos: 1,
            properties: {
              contentType: "text/plain",
              userProperties: { region: "eu" },
              correlationData: new Uint8Array([1, 2]) as unknown as Buffer,
              responseTopic: `${prefix}/reply`,
            },
          });
          const message = await sub.next();
          const properties = message.properties ?? {};
          assertEquals(properties.contentType, "text/plain");
          assertEquals(properties.userProperties, { region: "eu" });
          assertEquals(
            [...(properties.correlationData as Uint8Array)],
            [1, 2],
          );
          assertEquals(properties.responseTopic, `${prefix}/reply`);
          assertEquals(properties.subscriptionIdentifier, 9);
        });
      }

      it("retained messages reach a later subscriber with RETAIN", async () => {
        const pub = await connect("ret-pub");
        await pub.client.publishAsync(`${prefix}/ret/a`, "kept", {
          qos: 1,
          retain: true,
        });
        const late = await connect("ret-late");
        await late.client.subscribeAsync(`${prefix}/ret/#`, { qos: 1 });
        const message = await late.next();
        assertEquals(
          [message.topic, message.payload, message.retain, message.qos],
          [`${prefix}/ret/a`, "kept", true, 1],
        );
      });

      it("publishes the Will when a client drops its connection", async () => {
        const watcher = await connect("will-watcher");
        await watcher.client.subscribeAsync(`${prefix}/will/#`, { qos: 1 });
        const doomed = await connect("will-doomed", {
          will: {
            topic: `${prefix}/will/doomed`,
            payload: new TextEncoder().encode("gone") as unknown as Buffer,
            qos: 1,
            retain: false,
          },
        });
        // Closes the socket without DISCONNECT.
        doomed.client.stream.destroy();
        const will = await watcher.next();
        assertEquals([will.topic, will.payload], [
          `${prefix}/will/doomed`,
          "gone",
        ]);
      });
    });
  }
}

/**
 * What our broker said and heard, packet by packet, from its `--verbose`
 * log: `client -> PUBLISH ...` (sent) and `client <- PUBACK ...` (read).
 */
class WireLog {
  readonly lines: string[] = [];
  readonly log = (line: string) => this.lines.push(line);

  /** The packets of one client in one direction, as logged. */
  packets(clientId: string, direction: "->" | "<-", type: string): string[] {
    const prefix = `${clientId} ${direction} ${type.toUpperCase()} `;
    return this.lines.filter((line) => line.startsWith(prefix));
  }
}

for (const transport of ["tcp", "ws"] as const) {
  describe(`interop: MQTT.js 5 over ${transport} against examples/broker.ts: topic aliases and Receive Maximum`, () => {
    let broker: RunningBroker;
    const wire = new WireLog();
    const clients: MqttClient[] = [];

    beforeAll(async () => {
      broker = await startBroker({
        port: 0,
        wsPort: transport === "ws" ? 0 : null,
        verbose: true,
        log: wire.log,
      });
    });

    afterAll(async () => {
      await Promise.all(clients.map((client) => client.endAsync(true)));
      await broker.close();
    });

    function connect(
      clientId: string,
      options: Partial<ClientOptions> = {},
    ): Promise<Collector> {
      return connectMqttJs(broker, transport, clients, {
        protocolVersion: 5,
        clientId: `${transport}-${clientId}`,
        ...options,
      });
    }

    it("topic aliases both ways: MQTT.js sends them (the broker's maximum, 10), the broker sends them to MQTT.js (its maximum, 5) [MQTT-3.3.2-8..12]", async () => {
      const sub = await connect("alias-sub", {
        properties: { topicAliasMaximum: 5 },
      });
      const topics = Array.from(
        { length: 8 },
        (_, i) => `${transport}/aliases/topic-${i}`,
      );
      await sub.client.subscribeAsync(`${transport}/aliases/#`, { qos: 1 });
      const pub = await connect("alias-pub", { autoAssignTopicAlias: true });
      assertEquals(pub.client.options.properties?.topicAliasMaximum, undefined);
      for (let round = 0; round < 3; round++) {
        for (const topic of topics) {
          await pub.client.publishAsync(topic, `${round}`, { qos: 1 });
        }
      }
      const received = [];
      for (let i = 0; i < 3 * topics.length; i++) {
        received.push(await sub.next());
      }
      // Every message arrived on its own topic, in order.
      assertEquals(
        received.map((m) => [m.topic, m.payload]),
        [0, 1, 2].flatMap((round) =>
          topics.map((topic) => [topic, `${round}`])
        ),
      );
      // MQTT.js -> broker: after the first round, topics as aliases alone.
      const inbound = wire.packets(`${transport}-alias-pub`, "<-", "publish");
      assertEquals(inbound.length, 24);
      assert(
        inbound.slice(8).every((line) =>
          line.includes('topic=""') && /topicAlias=\d+/.test(line)
        ),
        inbound.slice(8).join("\n"),
      );
      // Broker -> MQTT.js: the first five topics get aliases 1 to 5, sent
      // in full once and as the alias alone after; the other three never.
      const outbound = wire.packets(`${transport}-alias-sub`, "->", "publish");
      const aliased = outbound.filter((line) => line.includes("topicAlias="));
      assertEquals(aliased.length, 15);
      assertEquals(
        outbound.filter((line) => line.includes('topic=""')).length,
        10,
      );
      for (const message of received.slice(8)) {
        const alias = message.properties?.topicAlias as number | undefined;
        const index = topics.indexOf(message.topic);
        assertEquals(alias, index < 5 ? index + 1 : undefined, message.topic);
      }
    });

    it("Receive Maximum 1: never more than one QoS 1 or 2 message in flight to MQTT.js, none lost, in order [MQTT-3.3.4-9]", async () => {
      const sub = await connect("rm1-sub", {
        properties: { receiveMaximum: 1 },
      });
      // MQTT.js answers a message once handleMessage calls back: slowly.
      sub.client.handleMessage = (_packet, callback) => {
        setTimeout(() => callback(), 5);
      };
      await sub.client.subscribeAsync(`${transport}/rm1/#`, { qos: 2 });
      const pub = await connect("rm1-pub");
      const count = 30;
      await Promise.all(
        Array.from(
          { length: count },
          (_, i) =>
            pub.client.publishAsync(`${transport}/rm1/t`, `${i}`, {
              qos: i % 2 === 0 ? 1 : 2,
            }),
        ),
      );
      const payloads = [];
      for (let i = 0; i < count; i++) payloads.push((await sub.next()).payload);
      // Per QoS, in the order published [MQTT-4.6.0-5].
      for (const parity of [0, 1]) {
        const sent = Array.from({ length: count }, (_, i) => `${i}`)
          .filter((_, i) => i % 2 === parity);
        assertEquals(payloads.filter((p) => Number(p) % 2 === parity), sent);
      }
      // At the broker: a PUBLISH goes out only once the one before is done
      // (PUBACK, or PUBCOMP for QoS 2).
      const id = `${transport}-rm1-sub`;
      const done = (line: string) =>
        line.startsWith(`${id} <- PUBACK `) ||
        line.startsWith(`${id} <- PUBCOMP `);
      await waitUntil(
        () => wire.lines.filter(done).length === count,
        "the last acknowledgement",
      );
      let inFlight = 0;
      let most = 0;
      for (const line of wire.lines) {
        if (line.startsWith(`${id} -> PUBLISH `) && !line.includes("qos=0")) {
          most = Math.max(most, ++inFlight);
        } else if (done(line)) {
          inFlight--;
        }
      }
      assertEquals(most, 1);
      assertEquals(inFlight, 0);
    });
  });
}
