// Client scenarios that run unchanged on every runtime: Node 20 and 22
// (tests/node/test-scenarios.mjs), Bun (tests/bun/scenarios_spec.ts), Deno
// (tests/scenarios_test.ts) and Chromium (tests/browser/scenarios.js), each
// over every transport the runtime has (its TCP sockets, its WebSocket),
// against mosquitto (TCP) and the example broker (WebSocket), whose
// addresses each runtime's Deno test passes in (tests/support/runtimes.ts).
//
// Adding a scenario is adding one row to `scenarios`: a name and a function
// of a context `{ lib, open, id }`, where `lib` is the library as the
// runtime loads it (mod.ts or the bundle), `open()` connects a new client to
// the broker and resolves to `{ readable, writable }`, and `id` is a string
// unique to this runtime, transport and row (for client ids and topics). A
// row that fails somewhere today because of a bug of the library says so
// with `knownBug({ runtime, transport })` (see knownBugOf).
//
// Plain JavaScript, because Node 20 and the browser run it as it is.

/**
 * The broker the scenarios use, from the environment that the runtime's
 * Deno test sets: MQTT_TCP_PORT (mosquitto's TCP port on 127.0.0.1) and
 * MQTT_WS_URL (the example broker's WebSocket listener).
 */
export function brokerAddress(env = globalThis.process?.env ?? {}) {
  const tcpPort = Number(env.MQTT_TCP_PORT);
  const wsUrl = env.MQTT_WS_URL;
  if (!(tcpPort > 0) || !wsUrl) {
    throw new Error(
      "MQTT_TCP_PORT and MQTT_WS_URL are not set: run these tests through their Deno test (tests/runtime_*_test.ts), which starts mosquitto",
    );
  }
  return { tcpPort, wsUrl };
}

/** Text as bytes. */
export const bytes = (text) => new TextEncoder().encode(text);
/** Bytes as text. */
export const text = (data) => new TextDecoder().decode(data);

/** Throws unless `condition` holds. */
export function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/** Throws unless `actual` and `expected` are the same JSON value. */
export function same(actual, expected, message) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${message}: expected ${b}, got ${a}`);
}

/**
 * A client made of the library's PacketReader and PacketWriter over the
 * transport's streams, with the few steps the scenarios take.
 */
export class Client {
  constructor(lib, streams, protocolVersion) {
    // A client reads a CONNACK first, so it tells its reader the version.
    this.reader = new lib.PacketReader(streams.readable, { protocolVersion });
    this.writer = new lib.PacketWriter(streams.writable);
    this.protocolVersion = protocolVersion;
  }

  /** Opens a connection and completes CONNECT/CONNACK. */
  static async connect(context, clientId, protocolVersion = 5) {
    const client = new Client(
      context.lib,
      await context.open(),
      protocolVersion,
    );
    await client.writer.write({
      type: "connect",
      protocolVersion,
      clientId,
      cleanStart: true,
      keepAlive: 30,
    });
    const connack = await client.expect("connack");
    same(connack.reasonCode, 0, "CONNACK reason code");
    return client;
  }

  /** The next packet; fails at the end of the stream. */
  async next() {
    const packet = await this.reader.read();
    check(packet !== undefined, "the connection ended early");
    return packet;
  }

  /** The next packet, which must be of type `type`. */
  async expect(type) {
    const packet = await this.next();
    same(packet.type, type, "packet type");
    return packet;
  }

  /** SUBSCRIBE to one filter; returns the SUBACK's reason codes. */
  async subscribe(topicFilter, qos) {
    await this.writer.write({
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter, qos }],
    });
    const suback = await this.expect("suback");
    same(suback.packetId, 1, "SUBACK packet id");
    return suback.reasonCodes;
  }

  /**
   * Publishes to a topic we subscribed to and completes our flow (PUBACK,
   * or PUBREC, PUBREL, PUBCOMP) while the message comes back, whenever it
   * does: mosquitto sends it after PUBREL, the example broker at once.
   * Returns the message.
   */
  async publishToSelf(publish) {
    await this.writer.write(publish);
    const { qos, packetId } = publish;
    let acknowledged = qos === 0;
    let pubrec = false;
    let message;
    while (!acknowledged || message === undefined) {
      const packet = await this.next();
      const expected = {
        publish: message === undefined,
        puback: qos === 1 && !acknowledged,
        pubrec: qos === 2 && !pubrec,
        pubcomp: qos === 2 && pubrec && !acknowledged,
      };
      check(expected[packet.type], `no ${packet.type} was due`);
      if (packet.type === "publish") {
        message = packet;
        continue;
      }
      same(packet.packetId, packetId, `${packet.type} packet id`);
      if (packet.type === "pubrec") {
        pubrec = true;
        await this.writer.write({ type: "pubrel", packetId });
      } else {
        acknowledged = true;
      }
    }
    return message;
  }

  /** DISCONNECT, close our side, and see the stream end. */
  async disconnect() {
    await this.writer.write({ type: "disconnect" });
    await this.writer.close();
    same(await this.reader.read(), undefined, "the stream after DISCONNECT");
  }
}

/**
 * One client subscribes to its own topics and publishes at QoS 0, 1 and 2,
 * completing every flow both ways; then PINGREQ and DISCONNECT.
 */
async function session(context, protocolVersion) {
  const { id } = context;
  const client = await Client.connect(context, id, protocolVersion);
  same(await client.subscribe(`${id}/#`, 2), [2], "SUBACK reason codes");

  for (const qos of [0, 1, 2]) {
    const publish = {
      type: "publish",
      topic: `${id}/qos${qos}`,
      payload: bytes(`hello at QoS ${qos}`),
      qos,
      retain: false,
      dup: false,
      ...(qos > 0 ? { packetId: 10 + qos } : {}),
      ...(protocolVersion === 5
        ? { contentType: "text/plain", userProperties: [["qos", `${qos}`]] }
        : {}),
    };
    const message = await client.publishToSelf(publish);
    same(
      [message.topic, text(message.payload), message.qos],
      [publish.topic, `hello at QoS ${qos}`, qos],
      "the message that came back",
    );
    if (protocolVersion === 5) {
      same(
        [message.contentType, message.userProperties],
        [publish.contentType, publish.userProperties],
        "its properties",
      );
    }
    // Our half of the flow of the message the broker sent us.
    if (qos === 1) {
      await client.writer.write({ type: "puback", packetId: message.packetId });
    } else if (qos === 2) {
      await client.writer.write({ type: "pubrec", packetId: message.packetId });
      same(
        (await client.expect("pubrel")).packetId,
        message.packetId,
        "PUBREL packet id",
      );
      await client.writer.write({
        type: "pubcomp",
        packetId: message.packetId,
      });
    }
  }

  await client.writer.write({ type: "pingreq" });
  await client.expect("pingresp");
  await client.disconnect();
}

/** The scenarios: one row each, run on every runtime and transport. */
export const scenarios = [
  {
    name:
      "MQTT 5.0: CONNECT, SUBSCRIBE, PUBLISH at QoS 0/1/2 both ways, PINGREQ, DISCONNECT",
    run: (context) => session(context, 5),
  },
  {
    name:
      "MQTT 3.1.1: CONNECT, SUBSCRIBE, PUBLISH at QoS 0/1/2 both ways, PINGREQ, DISCONNECT",
    run: (context) => session(context, 4),
  },
  {
    name: "a 1 MiB payload, sent in one PUBLISH, comes back whole",
    async run(context) {
      const { id } = context;
      const client = await Client.connect(context, id);
      same(await client.subscribe(id, 1), [1], "SUBACK reason codes");
      const payload = new Uint8Array(1 << 20).map((_, i) => (i * 7) % 251);
      const message = await client.publishToSelf({
        type: "publish",
        topic: id,
        payload,
        qos: 1,
        retain: false,
        dup: false,
        packetId: 2,
      });
      same(message.payload.length, payload.length, "payload length");
      check(
        message.payload.every((byte, i) => byte === payload[i]),
        "the payload's bytes",
      );
      await client.writer.write({ type: "puback", packetId: message.packetId });
      await client.disconnect();
    },
  },
  {
    name: "500 messages written without waiting arrive complete and in order",
    async run(context) {
      const { id } = context;
      const client = await Client.connect(context, id);
      same(await client.subscribe(`${id}/+`, 0), [0], "SUBACK reason codes");
      const count = 500;
      const writes = [];
      for (let i = 0; i < count; i++) {
        writes.push(client.writer.write({
          type: "publish",
          topic: `${id}/${i}`,
          payload: bytes(String(i)),
          qos: 0,
          retain: false,
          dup: false,
        }));
      }
      for (let i = 0; i < count; i++) {
        const message = await client.expect("publish");
        same(
          [message.topic, text(message.payload)],
          [`${id}/${i}`, String(i)],
          `message ${i}`,
        );
      }
      await Promise.all(writes);
      await client.disconnect();
    },
  },
];

/**
 * Why `scenario` is known to fail on this runtime and transport today, or
 * `undefined`: a row may say so with `knownBug({ runtime, transport })`,
 * a transport with its `knownBug`. Such a test is skipped, its name saying
 * why, unless MQTT_CODEC_KNOWN_BUGS=1 is set.
 */
export function knownBugOf(scenario, where, transportKnownBug) {
  return transportKnownBug ?? scenario.knownBug?.(where);
}

/**
 * Defines a test per scenario and transport with the runtime's `describe`
 * and `it` (node:test's on Node and Bun, @std/testing/bdd's on Deno).
 * `transports` maps a transport's name to its `open()`, or to
 * `{ open, knownBug }` when the library fails on it today (see
 * {@link knownBugOf}). A hanging scenario fails after 30 s.
 */
export function defineScenarioTests(
  { describe, it },
  lib,
  runtime,
  transports,
) {
  const env = globalThis.process?.env ?? globalThis.Deno?.env.toObject() ?? {};
  const runKnownBugs = env.MQTT_CODEC_KNOWN_BUGS === "1";
  for (const [transport, entry] of Object.entries(transports)) {
    const { open, knownBug: transportKnownBug } = typeof entry === "function"
      ? { open: entry }
      : entry;
    describe(`${runtime} over ${transport}`, () => {
      scenarios.forEach((scenario, row) => {
        const id = `${runtime}-${transport}-${row}`.replace(/[^\w-]/g, "_");
        const knownBug = knownBugOf(
          scenario,
          { runtime, transport },
          transportKnownBug,
        );
        const skip = knownBug !== undefined && !runKnownBugs;
        it(
          knownBug
            ? `${scenario.name} [KNOWN BUG: ${knownBug}]`
            : scenario.name,
          // node:test reads `skip`, @std/testing/bdd `ignore`.
          { timeout: 30_000, skip, ignore: skip },
          () => scenario.run({ lib, open, id }),
        );
      });
    });
  }
}
