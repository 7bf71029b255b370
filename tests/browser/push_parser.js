// An MQTT 5 client in the browser that reads with PacketParser from the
// WebSocket's `message` event and sends what encode() makes: no streams.
// tests/browser_test.ts drives it in two steps: `parserClient.connect(url)`
// connects and subscribes to "browser/parser/#"; then MQTT.js publishes
// into that topic through the broker, and `parserClient.finish()` publishes
// the page's own message at QoS 1, waits for both messages (acknowledging
// each), pings, disconnects and resolves to what the page read.

import { encode, MqttError, PacketParser } from "../../dist/mqtt_codec.mjs";

let socket;
const parser = new PacketParser({ protocolVersion: 5 });
const packets = [];
let waiting; // { test(packet), resolve, reject }
let failure;

/** The next packet that `test` accepts; earlier ones stay in `packets`. */
function until(test) {
  const index = packets.findIndex(test);
  if (index !== -1) return Promise.resolve(packets.splice(index, 1)[0]);
  if (failure) return Promise.reject(failure);
  return new Promise((resolve, reject) => {
    waiting = { test, resolve, reject };
  });
}

function deliver(packet) {
  if (waiting?.test(packet)) {
    const { resolve } = waiting;
    waiting = undefined;
    resolve(packet);
  } else {
    packets.push(packet);
  }
}

function fail(error) {
  failure ??= error;
  waiting?.reject(error);
  waiting = undefined;
}

const send = (packet) => socket.send(encode(packet));
const type = (name) => (packet) => packet.type === name;

async function connect(url) {
  socket = new WebSocket(url, "mqtt");
  socket.binaryType = "arraybuffer";
  socket.addEventListener("message", (event) => {
    try {
      for (const packet of parser.parse(event.data)) deliver(packet);
    } catch (error) {
      if (!(error instanceof MqttError)) throw error;
      fail(error);
      socket.close(1002, `MQTT reason code ${error.reasonCode}`);
    }
  });
  socket.addEventListener("close", () => {
    try {
      parser.end();
    } catch (error) {
      fail(error);
    }
    fail(new Error("the connection closed"));
  });
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  send({
    type: "connect",
    protocolVersion: 5,
    clientId: "browser-parser",
    cleanStart: true,
    keepAlive: 30,
  });
  const connack = await until(type("connack"));
  send({
    type: "subscribe",
    packetId: 1,
    subscriptions: [{ topicFilter: "browser/parser/#", qos: 1 }],
  });
  const suback = await until(type("suback"));
  return { connack: connack.reasonCode, suback: suback.reasonCodes };
}

async function finish() {
  send({
    type: "publish",
    topic: "browser/parser/page",
    payload: new TextEncoder().encode("from the page"),
    qos: 1,
    retain: false,
    dup: false,
    packetId: 2,
  });
  const puback = await until(type("puback"));
  const messages = [];
  while (messages.length < 2) {
    const message = await until(type("publish"));
    if (message.qos === 1) send({ type: "puback", packetId: message.packetId });
    messages.push(
      `${message.topic} ${new TextDecoder().decode(message.payload)}`,
    );
  }
  send({ type: "pingreq" });
  const pingresp = await until(type("pingresp"));
  send({ type: "disconnect", reasonCode: 0 });
  socket.close(1000);
  return {
    puback: puback.packetId,
    messages: messages.sort(),
    pingresp: pingresp.type,
    leftover: packets.map((packet) => packet.type),
    buffered: parser.bufferedBytes,
  };
}

globalThis.parserClient = { connect, finish };
