/**
 * MQTT.js's exchange with a server written on this library, shared by the
 * tests that serve MQTT from other runtimes (a Worker, callback-style
 * sockets): it subscribes at QoS 1, gets its own QoS 0 and QoS 1 messages
 * back, pings, and disconnects.
 */

import { assertEquals } from "@std/assert";
import mqtt from "mqtt";
import { waitUntil, withTimeout } from "./net.ts";

/** Runs the exchange against the server at `url` (mqtt:// or ws://). */
export async function mqttJsExchange(
  url: string,
  protocolVersion: 4 | 5,
): Promise<void> {
  const client = await withTimeout(
    mqtt.connectAsync(url, {
      protocolVersion,
      clientId: `mqttjs-${protocolVersion}`,
      reconnectPeriod: 0,
      keepalive: 30,
    }),
    "MQTT.js to connect",
  );
  try {
    const messages: [string, string, number][] = [];
    const packets: string[] = [];
    client.on("message", (topic, payload, packet) => {
      messages.push([topic, new TextDecoder().decode(payload), packet.qos]);
    });
    client.on("packetreceive", (packet) => void packets.push(packet.cmd));
    const granted = await client.subscribeAsync("mqttjs/#", { qos: 1 });
    assertEquals(granted.map((g) => g.qos), [1]);
    await client.publishAsync("mqttjs/a", "zero", { qos: 0 });
    await client.publishAsync("mqttjs/b", "one", { qos: 1 }); // its PUBACK
    await waitUntil(() => messages.length === 2, "both messages");
    assertEquals(messages, [["mqttjs/a", "zero", 0], ["mqttjs/b", "one", 1]]);
    client.sendPing();
    await waitUntil(() => packets.includes("pingresp"), "PINGRESP");
  } finally {
    await client.endAsync(); // DISCONNECT, then close
  }
}
