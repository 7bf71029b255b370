/**
 * An MQTT client over connectWebSocket, run by transport_test.ts in a Deno
 * with --unstable-net, where WebSocketStream exists: it connects to the
 * broker at the URL given, subscribes, publishes to itself, reads the
 * message, sends DISCONNECT and waits for the broker to end the connection.
 * The last line it prints is a JSON summary.
 *
 * @module
 */

import { connectWebSocket, PacketReader, PacketWriter } from "../../mod.ts";

const connection = await connectWebSocket(Deno.args[0]);
const reader = new PacketReader(connection.readable, { protocolVersion: 5 });
const writer = new PacketWriter(connection.writable);
const received: string[] = [];
await writer.write({
  type: "connect",
  protocolVersion: 5,
  clientId: "web-socket-stream",
  cleanStart: true,
  keepAlive: 10,
});
received.push((await reader.read())!.type);
await writer.write({
  type: "subscribe",
  packetId: 1,
  subscriptions: [{ topicFilter: "stream/#", qos: 0 }],
});
received.push((await reader.read())!.type);
await writer.write({
  type: "publish",
  topic: "stream/1",
  payload: new TextEncoder().encode("over a WebSocketStream"),
  qos: 0,
  retain: false,
  dup: false,
});
received.push((await reader.read())!.type);
await writer.write({ type: "disconnect", reasonCode: 0 });
let ended = "normally";
try {
  for await (const packet of reader) received.push(packet.type);
} catch (error) {
  ended = String(error);
}
await writer.close();
console.log(JSON.stringify({
  api: connection.api,
  protocol: connection.protocol,
  received,
  ended,
}));
