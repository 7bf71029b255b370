/**
 * The example broker's limits on the whole server (issue 10, hostile
 * clients), black box against a broker process on loopback: the number of
 * connections (`--max-connections`, as mosquitto's `max_connections`), the
 * number of sessions (`--max-sessions`: CONNACK 0x97 in MQTT 5.0, return
 * code 3 in MQTT 3.1.1), and a SUBSCRIBE's retained messages while the
 * topics they come from are replaced and cleared. mosquitto 2.0.11 runs the
 * same rows as the reference (it has no session limit).
 */

import { assert, assertEquals } from "@std/assert";
import { concat } from "@std/bytes";
import { encode, MqttError, type PublishPacket } from "../mod.ts";
import { interopSuite, type Row } from "./support/interop_suite.ts";
import type { TestClient } from "./support/test_client.ts";
import { delay } from "./support/net.ts";

/** Retries `attempt` until it returns a value (a freed slot is freed asynchronously). */
async function eventually<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  ms = 10_000,
): Promise<T> {
  const deadline = performance.now() + ms;
  while (true) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    }
    await delay(25);
  }
}

/**
 * Whether the broker closes the connection without a word (a reset, as
 * mosquitto's, counts as closed).
 */
async function closedAtOnce(client: TestClient): Promise<boolean> {
  try {
    return await client.nextOrEnd() === undefined;
  } catch (error) {
    if (error instanceof MqttError) return true; // reset
    throw error;
  }
}

/** Whether the client still answers a PINGREQ. */
async function answersPing(client: TestClient): Promise<boolean> {
  await client.send({ type: "pingreq" });
  return (await client.nextOrEnd())?.type === "pingresp";
}

const CONNECTION_ROWS: Row[] = [
  {
    name:
      "--max-connections 3 (max_connections): the 4th connection is closed before it sends anything, the 3 are served, a freed slot is taken again",
    broker: { args: ["--max-connections", "3"], config: ["max_connections 3"] },
    fails: {
      mosquitto:
        "2.0.11 gives a slot back twice for a connection closed before its CONNECT (the harness's check that it listens is one): a 4th client gets in",
    },
    async fn(t) {
      const served = await Promise.all(
        [0, 1, 2].map((i) => t.connectTest({ clientId: t.id(`c${i}`) })),
      );
      for (const { connack } of served) assertEquals(connack.reasonCode, 0);
      // Nothing sent on it: the broker closes it without waiting for a CONNECT.
      const extra = await t.open();
      assert(await closedAtOnce(extra), "closed at once");
      for (const { client } of served) assert(await answersPing(client));
      // One leaves; its slot is taken by the next client.
      await served[0].client.disconnect();
      const again = await eventually("a freed slot", async () => {
        const client = await t.open();
        await client.send({
          type: "connect",
          protocolVersion: t.version,
          clientId: t.id("again"),
          cleanStart: true,
          keepAlive: 0,
        }).catch(() => {});
        const packet = await client.nextOrEnd().catch(() => undefined);
        if (packet === undefined) return undefined; // still refused
        return { client, packet };
      });
      assertEquals(again.packet.type, "connack");
      assert(await answersPing(again.client));
      // Full again.
      const late = await t.open();
      assert(await closedAtOnce(late), "closed at once");
    },
  },
];

/**
 * The session limit, in MQTT 5.0 or 3.1.1: two sessions held (one offline,
 * waiting for its client), a third client id refused; resuming the offline
 * one and taking over the connected one are not new sessions; when one ends,
 * the third gets in.
 */
function sessionRows(): Row[] {
  return [{
    name:
      "--max-sessions 2: a CONNECT for a third session is refused (5.0: CONNACK 0x97 Quota exceeded; 3.1.1: return code 3 Server unavailable) and closed; resuming or taking over a held session is allowed; a slot freed is taken",
    broker: { args: ["--max-sessions", "2"] },
    fails: { mosquitto: "mosquitto has no limit on sessions" },
    async fn(t) {
      const v5 = t.version === 5;
      const kept = {
        clientId: t.id("kept"),
        cleanStart: false,
        ...(v5 ? { sessionExpiryInterval: 600 } : {}),
      };
      const first = await t.connectTest(kept);
      assertEquals(first.connack.reasonCode, 0);
      await first.client.subscribe(t.id("kept/#"));
      await first.client.disconnect(); // its session stays, offline
      const live = await t.connectTest({
        clientId: t.id("live"),
        cleanStart: true,
      });
      assertEquals(live.connack.reasonCode, 0);

      const refused = await t.connectTest({
        clientId: t.id("third"),
        cleanStart: true,
      });
      assertEquals(refused.connack, {
        type: "connack",
        sessionPresent: false,
        reasonCode: v5 ? 0x97 : 3,
      });
      assertEquals(await refused.client.untilClosed(), [], "then closed");
      // An empty client id would be a new session too.
      const anonymous = await t.connectTest({ clientId: "", cleanStart: true });
      assertEquals(anonymous.connack.reasonCode, v5 ? 0x97 : 3);

      // Resuming the offline session: not a new one.
      const resumed = await t.connectTest(kept);
      assertEquals(resumed.connack.reasonCode, 0);
      assertEquals(resumed.connack.sessionPresent, true);
      // Taking over the connected one (a new session in its place): allowed.
      const takeover = await t.connectTest({
        clientId: t.id("live"),
        cleanStart: true,
      });
      assertEquals(takeover.connack.reasonCode, 0);
      assert(await answersPing(takeover.client));
      assert(await answersPing(resumed.client));

      // The taken-over session ends with its connection (no expiry): room
      // for the third.
      await takeover.client.disconnect();
      const third = await eventually("a freed session", async () => {
        const attempt = await t.connectTest({
          clientId: t.id("third"),
          cleanStart: true,
        });
        return attempt.connack.reasonCode === 0 ? attempt : undefined;
      });
      assert(await answersPing(third.client));
    },
  }];
}

/** Topics, retained, and what becomes of them while a SUBSCRIBE's retained messages go out. */
const RETAINED_TOPICS = 3_000;
/** Each retained message's payload: 3,000 of them (24 MiB) fill the socket buffers many times. */
const RETAINED_SIZE = 8 * 1024;
/**
 * The fate of topic `i`: the first 150 and the last 150 are replaced or
 * cleared (whichever end a broker sends last is changed before it is sent).
 */
function fate(i: number): "kept" | "replaced" | "cleared" {
  if (i >= 150 && i < RETAINED_TOPICS - 150) return "kept";
  return i % 2 === 0 ? "replaced" : "cleared";
}

const RETAINED_ROWS: Row[] = [{
  name:
    "retained messages replaced and cleared while a SUBSCRIBE's are still being sent: each topic with one gets one (retain 1), and the last message of each topic is its current one",
  // mosquitto drops what is past max_queued_messages (1,000) for a client
  // that does not read, retained messages too: no limit, as ours has none
  // that applies here (it holds retained messages back instead).
  broker: { config: ["max_queued_messages 0"] },
  async fn(t) {
    const prefix = t.id("slices");
    const topic = (i: number) => `${prefix}/${i}`;
    const { client: publisher } = await t.connectTest({
      clientId: t.id("publisher"),
    });
    const old = new Uint8Array(RETAINED_SIZE).fill(0x6f); // "o"
    for (let i = 0; i < RETAINED_TOPICS; i++) {
      await publisher.send({
        type: "publish",
        topic: topic(i),
        payload: old,
        qos: 0,
        retain: true,
        dup: false,
      });
    }
    assert(await answersPing(publisher)); // all of them stored

    // Subscribes, then reads nothing while the topics change: the broker
    // has sent what the socket buffers hold, the rest waits.
    const { client: subscriber } = await t.connectTest({
      clientId: t.id("subscriber"),
    });
    await subscriber.send({
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: `${prefix}/#`, qos: 0 }],
    });
    assertEquals((await subscriber.expect("suback")).reasonCodes, [0]);
    // All in one write, so that they arrive while most retained messages
    // still wait to be sent.
    const changes = Array.from({ length: RETAINED_TOPICS }, (_, i) => i)
      .filter((i) => fate(i) !== "kept")
      .map((i) =>
        encode({
          type: "publish",
          topic: topic(i),
          payload: fate(i) === "replaced"
            ? new TextEncoder().encode(`new ${i}`)
            : new Uint8Array(),
          qos: 0,
          retain: true,
          dup: false,
        })
      );
    await publisher.sendBytes(concat(changes));
    assert(await answersPing(publisher)); // all replaced and cleared

    // Every topic that has a retained message must come with retain 1;
    // reading stops once each has and each topic's last message is its
    // current value (a topic missed keeps it waiting: the timeout says which).
    const current = (i: number) =>
      fate(i) === "kept" ? "o" : fate(i) === "replaced" ? `new ${i}` : "";
    const summary = (publish: PublishPacket) =>
      publish.payload.length === RETAINED_SIZE
        ? "o"
        : new TextDecoder().decode(publish.payload);
    const last = new Map<number, string>();
    const retainedSeen = new Set<number>();
    let newAsRetained = 0;
    const done = () =>
      last.size === RETAINED_TOPICS &&
      [...last].every(([i, value]) =>
        value === current(i) && (fate(i) === "cleared" || retainedSeen.has(i))
      );
    const deadline = performance.now() + 30_000;
    while (!done()) {
      const left = deadline - performance.now();
      const packet = left > 0
        ? await subscriber.nextOrEnd(left).catch(() => undefined)
        : undefined;
      if (packet === undefined) {
        const missing = Array.from({ length: RETAINED_TOPICS }, (_, i) => i)
          .filter((i) =>
            last.get(i) !== current(i) ||
            (fate(i) !== "cleared" && !retainedSeen.has(i))
          );
        throw new Error(
          `${missing.length} topics without their current retained message, e.g. ${
            missing.slice(0, 5).map((i) =>
              `${i} (${fate(i)}: last ${JSON.stringify(last.get(i))}${
                retainedSeen.has(i) ? ", retained seen" : ""
              })`
            ).join(", ")
          }`,
        );
      }
      assertEquals(packet.type, "publish");
      const publish = packet as PublishPacket;
      const i = Number(publish.topic.slice(prefix.length + 1));
      const value = summary(publish);
      if (publish.retain) {
        // A retained message is never older than one already received.
        assert(
          !(value === "o" && last.get(i) !== undefined && last.get(i) !== "o"),
          `topic ${i}: the old retained message after ${
            JSON.stringify(last.get(i))
          }`,
        );
        assert(value !== "", `topic ${i}: a cleared message sent as retained`);
        retainedSeen.add(i);
        if (value !== "o") newAsRetained++;
      }
      last.set(i, value);
    }
    const cleared = Array.from({ length: RETAINED_TOPICS }, (_, i) => i)
      .filter((i) => fate(i) === "cleared");
    console.log(
      `${t.broker.name}: ${newAsRetained} replaced topics' new value sent as retained; ${
        cleared.filter((i) => retainedSeen.has(i)).length
      } of ${cleared.length} cleared topics sent as retained before they were cleared`,
    );
  },
}];

interopSuite("broker limits, MQTT 5.0", 5, [
  ...CONNECTION_ROWS,
  ...sessionRows(),
  ...RETAINED_ROWS,
]);
interopSuite("broker limits, MQTT 3.1.1", 4, sessionRows());
