// The page of tests/browser_test.ts: an MQTT 5.0 client in the browser,
// made of the bundle's PacketReader and PacketWriter over the page's own
// WebSocket. It connects to the broker whose WebSocket port is in the query
// string (?ws=PORT), with webSocketStreams or, with ?open=connect, with
// connectWebSocket, subscribes, publishes to itself, receives the message,
// disconnects, and leaves what happened in `window.mqttResult` and on screen.

import {
  connectWebSocket,
  PacketReader,
  PacketWriter,
  webSocketStreams,
} from "../../dist/mqtt_codec.mjs";

const log = document.getElementById("log");

function step(text, ok = true) {
  const item = document.createElement("li");
  item.className = ok ? "ok" : "fail";
  item.textContent = text;
  log.append(item);
}

/** The next packet, which must be of the given type. */
async function expect(reader, type) {
  const packet = await reader.read();
  if (packet?.type !== type) {
    throw new Error(`expected ${type}, got ${packet?.type ?? "end of stream"}`);
  }
  return packet;
}

async function run() {
  const query = new URLSearchParams(location.search);
  const url = `ws://127.0.0.1:${query.get("ws")}`;
  // ?open=connect: connectWebSocket, which uses Chromium's WebSocketStream;
  // else webSocketStreams over a WebSocket.
  let api = "webSocketStreams";
  let streams;
  if (query.get("open") === "connect") {
    streams = await connectWebSocket(url);
    api = streams.api;
  } else {
    streams = webSocketStreams(new WebSocket(url, "mqtt"));
  }
  const { readable, writable } = streams;
  const reader = new PacketReader(readable, { protocolVersion: 5 });
  const writer = new PacketWriter(writable);
  const topic = "browser/test";
  const text = `hello from ${navigator.userAgent.match(/\w*Chrome\/\d+/)?.[0]}`;

  await writer.write({
    type: "connect",
    protocolVersion: 5,
    clientId: "browser-test",
    cleanStart: true,
    keepAlive: 30,
  });
  const connack = await expect(reader, "connack");
  step(`CONNACK reason code ${connack.reasonCode}`);

  await writer.write({
    type: "subscribe",
    packetId: 1,
    subscriptions: [{ topicFilter: "browser/#", qos: 1 }],
  });
  const suback = await expect(reader, "suback");
  step(`SUBACK reason codes ${suback.reasonCodes.join(", ")}`);

  await writer.write({
    type: "publish",
    topic,
    payload: new TextEncoder().encode(text),
    qos: 1,
    retain: false,
    dup: false,
    packetId: 2,
    contentType: "text/plain",
  });
  // The PUBACK and the message itself may come in either order.
  let puback;
  let message;
  while (puback === undefined || message === undefined) {
    const packet = await reader.read();
    if (packet?.type === "puback") puback = packet;
    else if (packet?.type === "publish") message = packet;
    else throw new Error(`unexpected ${packet?.type ?? "end of stream"}`);
  }
  if (message.qos > 0) {
    await writer.write({ type: "puback", packetId: message.packetId });
  }
  const received = new TextDecoder().decode(message.payload);
  step(`PUBACK for packet ${puback.packetId}`);
  step(`PUBLISH received on ${message.topic}: "${received}"`);

  await writer.write({ type: "disconnect", reasonCode: 0 });
  await writer.close();
  step("DISCONNECT sent");
  return {
    api,
    connackReasonCode: connack.reasonCode,
    subackReasonCodes: suback.reasonCodes,
    pubackPacketId: puback.packetId,
    topic: message.topic,
    payload: received,
    sent: text,
    contentType: message.contentType,
    payloadIsUint8Array: message.payload instanceof Uint8Array,
  };
}

run().then(
  (result) => {
    globalThis.mqttResult = result;
  },
  (error) => {
    step(String(error), false);
    globalThis.mqttResult = { error: String(error?.stack ?? error) };
  },
);
