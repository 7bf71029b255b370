/**
 * MQTT.js clients (npm:mqtt) against the example broker, over TCP and over
 * WebSocket, with protocol versions 3 (3.1, TCP only), 4 (3.1.1) and 5: connect, subscribe with
 * wildcards, QoS 0/1/2 publish and receive, MQTT 5 properties, retained
 * messages and Wills.
 */

import { assertEquals } from "@std/assert";
import { afterAll, beforeAll, describe, it } from "@std/testing/bdd";
import mqtt from "mqtt";
import { type RunningBroker, startBroker } from "../examples/broker.ts";
import { withTimeout } from "./support/net.ts";

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

      async function connect(
        clientId: string,
        options: Partial<ClientOptions> = {},
      ): Promise<Collector> {
        const url = transport === "tcp"
          ? `mqtt://127.0.0.1:${broker.tcpPort}`
          : `ws://127.0.0.1:${broker.wsPort}`;
        const client = await withTimeout(
          mqtt.connectAsync(url, {
            protocolVersion,
            // MQTT 3.1 is the protocol named "MQIsdp"
            ...(protocolVersion === 3 ? { protocolId: "MQIsdp" } : {}),
            clientId: `${prefix}-${clientId}`,
            reconnectPeriod: 0,
            keepalive: 30,
            ...options,
          }),
          "MQTT.js to connect",
        );
        clients.push(client);
        return new Collector(client);
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
