/**
 * The "run it" demo: `deno task example`. With no setup it starts the
 * example broker on free loopback ports, connects a subscriber over
 * WebSocket and a publisher over TCP (both MQTT 5.0), publishes at QoS 0, 1
 * and 2 with MQTT 5 properties, and prints every packet as it crosses the
 * wire. It checks that each message arrived intact and exits 0, or 1 on any
 * failure (or after 10 seconds).
 *
 * @module
 */

import type { Packet, PublishPacket, QoS } from "../mod.ts";
import { startBroker } from "./broker.ts";
import { Client } from "./client.ts";
import { formatPacket } from "./format_packet.ts";

const TIMEOUT_MS = 10_000;

function printer(name: string) {
  return (direction: "in" | "out", packet: Packet) =>
    console.log(
      `${name.padEnd(10)} ${direction === "out" ? "->" : "<-"} ${
        formatPacket(packet)
      }`,
    );
}

async function demo(): Promise<void> {
  const broker = await startBroker({ port: 0, wsPort: 0 });
  console.log(
    `broker listening on mqtt://127.0.0.1:${broker.tcpPort} and ws://127.0.0.1:${broker.wsPort}\n`,
  );
  const clients: Client[] = [];
  try {
    const subscriber = await Client.connect({
      ws: `ws://127.0.0.1:${broker.wsPort}`,
      clientId: "subscriber",
      onPacket: printer("subscriber"),
    });
    clients.push(subscriber);
    const publisher = await Client.connect({
      port: broker.tcpPort,
      clientId: "publisher",
      onPacket: printer("publisher"),
    });
    clients.push(publisher);

    await subscriber.subscribe(
      [{ topicFilter: "demo/+/temperature", qos: 2 }],
      { subscriptionIdentifier: 42 },
    );

    const sent: { topic: string; text: string; qos: QoS }[] = [
      { topic: "demo/kitchen/temperature", text: "21.5", qos: 0 },
      { topic: "demo/garden/temperature", text: "14.0", qos: 1 },
      { topic: "demo/cellar/temperature", text: "11.2", qos: 2 },
    ];
    const messages = subscriber.messages.getReader();
    for (const { topic, text, qos } of sent) {
      await publisher.publish(topic, text, {
        qos,
        contentType: "text/plain",
        payloadFormatIndicator: true,
        messageExpiryInterval: 60,
        correlationData: new Uint8Array([qos, 0xca, 0xfe]),
        userProperties: [["unit", "celsius"], ["qos", String(qos)]],
      });
      const { value } = await messages.read();
      check(value, topic, text, qos);
    }
    messages.releaseLock();
    await publisher.disconnect();
    await subscriber.disconnect();
    console.log("\nall three messages arrived intact: QoS 0, 1 and 2");
  } finally {
    await Promise.all(clients.map((client) => client.abort()));
    await broker.close();
  }
}

function check(
  message: PublishPacket | undefined,
  topic: string,
  text: string,
  qos: QoS,
): void {
  const problems: string[] = [];
  if (message === undefined) throw new Error("the subscriber's stream ended");
  if (message.topic !== topic) problems.push(`topic ${message.topic}`);
  if (new TextDecoder().decode(message.payload) !== text) {
    problems.push("payload");
  }
  if (message.qos !== qos) problems.push(`qos ${message.qos}`);
  if (message.contentType !== "text/plain") problems.push("content type");
  if (message.correlationData?.[0] !== qos) problems.push("correlation data");
  if (message.userProperties?.[0]?.[1] !== "celsius") {
    problems.push("user properties");
  }
  if (message.subscriptionIdentifiers?.[0] !== 42) {
    problems.push("subscription identifier");
  }
  if (problems.length > 0) {
    throw new Error(`message on ${topic} is wrong: ${problems.join(", ")}`);
  }
}

if (import.meta.main) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${TIMEOUT_MS} ms`)),
      TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([demo(), timeout]);
  } catch (error) {
    console.error(`demo failed: ${error}`);
    Deno.exit(1);
  } finally {
    clearTimeout(timer);
  }
}
