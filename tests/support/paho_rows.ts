/**
 * The behaviours of the Eclipse Paho interoperability tests that MQTT 3.1.1
 * and 5.0 share (paho.mqtt.testing, `interoperability/client_test.py` and
 * `client_test5.py`), written anew as rows of tests/support/interop_suite.ts:
 * each row reads `t.version` where the versions differ (Session Expiry for
 * a kept session, reason codes in UNSUBACK, properties carried along).
 *
 * Paho's tests sleep to let messages arrive; these use `sync()` (a PINGREQ
 * round trip on the publisher's connection, then on the subscriber's)
 * instead, and wait for real time only where the behaviour is about time
 * (keep alive), with Paho's intervals scaled down to one second.
 */

import { assert, assertEquals, assertNotEquals } from "@std/assert";
import type { PublishPacket, QoS } from "../../mod.ts";
import { type AutoClient, sync } from "./auto_client.ts";
import type { Row, RowContext } from "./interop_suite.ts";
import { bytes, text } from "./test_client.ts";

/**
 * Paho's topics and wildcard filters, under a first level of the row's own
 * so that rows sharing a broker do not see each other's messages.
 */
export function pahoTopics(t: RowContext) {
  const ns = t.id("ns");
  const topics = ["TopicA", "TopicA/B", "Topic/C", "TopicA/C", "/TopicA"]
    .map((topic) => `${ns}/${topic}`);
  const wild = ["TopicA/+", "+/C", "#", "/#", "/+", "+/+", "TopicA/#"]
    .map((filter) => `${ns}/${filter}`);
  return { topics, wild };
}

/**
 * Subscribes `client` to `topic` (QoS 2 granted), publishes one message to
 * it at each QoS with the fields given, and returns what came back once the
 * broker is done.
 */
export async function ownMessagesAtEachQoS(
  client: AutoClient,
  topic: string,
  fields: (qos: QoS) => Partial<PublishPacket> = () => ({}),
): Promise<PublishPacket[]> {
  assertEquals((await client.subscribe(topic)).reasonCodes, [2]);
  for (const qos of [0, 1, 2] as const) {
    await client.publish({ ...fields(qos), topic, qos });
  }
  await sync(client);
  return client.messages;
}

/** Paho's User Properties: two pairs, whose order must be kept. */
export const USER_PROPERTIES: [string, string][] = [["a", "2"], ["c", "3"]];

/** A CONNECT of MQTT 3.1.1 as bytes, for what our encoder refuses to write. */
export function connectBytes(
  protocolName: string,
  clientId: string,
  flags: number,
  level = 4,
): Uint8Array {
  const name = bytes(protocolName);
  const id = bytes(clientId);
  const body = [
    0,
    name.length,
    ...name,
    level,
    flags,
    0,
    60,
    0,
    id.length,
    ...id,
  ];
  return new Uint8Array([0x10, body.length, ...body]);
}

export const COMMON_ROWS: Row[] = [
  {
    name:
      "test_basic: connect, disconnect, connect again; a subscriber gets its own QoS 0, 1 and 2 messages",
    async fn(t) {
      const { topics } = pahoTopics(t);
      await (await t.connect()).disconnect();
      const client = await t.connect();
      const messages = await ownMessagesAtEachQoS(client, topics[0], (qos) => ({
        payload: bytes(`qos ${qos}`),
      }));
      assertEquals(
        messages.map((m) => [m.topic, text(m.payload), m.qos]),
        [
          [topics[0], "qos 0", 0],
          [topics[0], "qos 1", 1],
          [topics[0], "qos 2", 2],
        ],
      );
      await client.disconnect();
    },
  },
  {
    name:
      "test_basic: a second CONNECT on a connection closes it [MQTT-3.1.0-2]",
    async fn(t) {
      const client = await t.connect();
      await client.raw.send({
        type: "connect",
        protocolVersion: t.version,
        clientId: t.id("second"),
        cleanStart: true,
        keepAlive: 0,
      });
      await client.waitClosed();
      // MQTT 5.0 may say why first; MQTT 3.1.1 has no server DISCONNECT.
      if (t.version === 4) assertEquals(client.disconnects, []);
    },
  },
  {
    name:
      "test_basic: a CONNECT with protocol name 'hj' is not accepted [MQTT-3.1.2-1]",
    async fn(t) {
      const client = await t.open(4);
      await client.sendBytes(connectBytes("hj", t.id("hj"), 0x02));
      const answer = await client.untilClosed();
      // Closed at once, or refused with a CONNACK return code: never accepted.
      for (const packet of answer) {
        assertEquals(packet.type, "connack");
        assertNotEquals((packet as { reasonCode: number }).reasonCode, 0);
      }
    },
  },
  {
    name:
      "test_retained_message: retained messages at QoS 0, 1 and 2 reach a new subscription with RETAIN (and their User Properties in 5.0); empty ones clear them [MQTT-3.3.1-6, MQTT-3.3.1-9]",
    async fn(t) {
      const { topics, wild } = pahoTopics(t);
      const publisher = await t.connect({ clientId: t.id("publisher") });
      // MQTT 5.0: the User Properties are kept with the message, in order.
      const properties = t.version === 5
        ? { userProperties: USER_PROPERTIES }
        : {};
      for (const [i, qos] of [[1, 0], [2, 1], [3, 2]] as const) {
        await publisher.publish({
          topic: topics[i],
          qos,
          retain: true,
          payload: bytes(`qos ${qos}`),
          ...properties,
        });
      }
      await sync(publisher);
      const subscriber = await t.connect({ clientId: t.id("subscriber") });
      await subscriber.subscribe(wild[5]);
      await sync(subscriber);
      assertEquals(
        subscriber.messages
          .map((m) => [m.topic, text(m.payload), m.qos, m.retain])
          .sort(),
        [
          [topics[1], "qos 0", 0, true],
          [topics[2], "qos 1", 1, true],
          [topics[3], "qos 2", 2, true],
        ].sort(),
      );
      for (const message of subscriber.messages) {
        assertEquals(message.userProperties, properties.userProperties);
      }
      await subscriber.disconnect();
      for (const [i, qos] of [[1, 0], [2, 1], [3, 2]] as const) {
        await publisher.publish({ topic: topics[i], qos, retain: true });
      }
      await sync(publisher);
      const again = await t.connect({ clientId: t.id("subscriber") });
      await again.subscribe(wild[5]);
      await sync(again);
      assertEquals(again.messages, []);
    },
  },
  {
    name:
      "test_offline_message_queueing: a session kept while away receives the QoS 1 and 2 messages (QoS 0 optional) on its return",
    async fn(t) {
      const { topics, wild } = pahoTopics(t);
      const persistent = t.version === 4
        ? { clientId: t.id("away"), cleanStart: false }
        : {
          clientId: t.id("away"),
          cleanStart: true,
          sessionExpiryInterval: 99_999,
        };
      const away = await t.connect(persistent);
      await away.subscribe(wild[5]);
      await away.disconnect();
      const publisher = await t.connect({ clientId: t.id("publisher") });
      for (const [i, qos] of [[1, 0], [2, 1], [3, 2]] as const) {
        await publisher.publish({
          topic: topics[i],
          qos,
          payload: bytes(`qos ${qos}`),
        });
      }
      await sync(publisher);
      await publisher.disconnect();
      const back = await t.connect({ ...persistent, cleanStart: false });
      assertEquals(back.connack.sessionPresent, true);
      await sync(back);
      const payloads = back.messages.map((m) => text(m.payload));
      assert(
        payloads.length === 3 || payloads.length === 2,
        `2 or 3 messages: ${payloads}`,
      );
      assertEquals(payloads.slice(-2), ["qos 1", "qos 2"]);
      await back.disconnect(
        t.version === 5 ? { sessionExpiryInterval: 0 } : {},
      );
    },
  },
  {
    name:
      "test_will_message: a client that drops its connection has its Will published [MQTT-3.1.2-8], with its User Properties (5.0)",
    async fn(t) {
      const { topics } = pahoTopics(t);
      const subscriber = await t.connect({ clientId: t.id("subscriber") });
      await subscriber.subscribe(topics[2]);
      const dying = await t.connect({
        clientId: t.id("dying"),
        keepAlive: 2,
        will: {
          topic: topics[2],
          payload: bytes("client not disconnected"),
          qos: 0,
          retain: false,
          ...(t.version === 5 ? { userProperties: USER_PROPERTIES } : {}),
        },
      });
      dying.close();
      const [will] = await subscriber.waitForMessages(1);
      assertEquals([will.topic, text(will.payload)], [
        topics[2],
        "client not disconnected",
      ]);
      assertEquals(
        will.userProperties,
        t.version === 5 ? USER_PROPERTIES : undefined,
      );
    },
  },
  {
    name:
      "test_overlapping_subscriptions: one message at the highest QoS, or one per subscription at its QoS [MQTT-3.3.4-2]",
    fails: {
      "mosquitto@4":
        "one copy at QoS 1, the QoS of TopicA/+, not the highest of the two [MQTT-3.3.5-1]",
    },
    async fn(t) {
      const { topics, wild } = pahoTopics(t);
      const client = await t.connect();
      await client.subscribe([
        { topicFilter: wild[6], qos: 2 },
        { topicFilter: wild[0], qos: 1 },
      ]);
      await client.publish({
        topic: topics[3],
        qos: 2,
        payload: bytes("overlapping topic filters"),
      });
      await sync(client);
      const qos = client.messages.map((m) => m.qos).sort();
      assert(
        qos.length === 1 ? qos[0] === 2 : qos.join() === "1,2",
        `QoS of the copies: ${qos}`,
      );
    },
  },
  {
    name:
      "test_keepalive: a client silent for 1.5 times its Keep Alive is disconnected and its Will published [MQTT-3.1.2-22]",
    slow: true,
    async fn(t) {
      const { topics } = pahoTopics(t);
      const subscriber = await t.connect({ clientId: t.id("subscriber") });
      await subscriber.subscribe(topics[4]);
      const silent = await t.connect({
        clientId: t.id("silent"),
        keepAlive: 1, // Paho: 5 seconds
        will: {
          topic: topics[4],
          payload: bytes("keepalive expiry"),
          qos: 0,
          retain: false,
        },
      });
      const [will] = await subscriber.waitForMessages(1, 10_000);
      assertEquals(text(will.payload), "keepalive expiry");
      await silent.waitClosed();
    },
  },
  {
    name:
      "test_redelivery_on_reconnect: unacknowledged QoS 1 and 2 messages are sent again, DUP set, when the session resumes [MQTT-4.4.0-1]",
    async fn(t) {
      const { topics, wild } = pahoTopics(t);
      const persistent = t.version === 4
        ? { clientId: t.id("b"), cleanStart: false }
        : {
          clientId: t.id("b"),
          cleanStart: false,
          sessionExpiryInterval: 99_999,
        };
      const paused = await t.connect(persistent);
      await paused.subscribe(wild[6]);
      paused.pause(); // stops answering the messages it receives
      await paused.publish({ topic: topics[1], qos: 1 });
      await paused.publish({ topic: topics[3], qos: 2 });
      await sync(paused);
      assertEquals(
        paused.received.filter((p) => p.type === "publish").length,
        2,
        "both copies came, unanswered",
      );
      assertEquals(paused.messages, []);
      await paused.disconnect();
      const resumed = await t.connect(persistent);
      assertEquals(resumed.connack.sessionPresent, true);
      await resumed.waitForMessages(2);
      await sync(resumed);
      assertEquals(
        resumed.messages.map((m) => [m.topic, m.qos, m.dup]),
        [[topics[1], 1, true], [topics[3], 2, true]],
      );
      await resumed.disconnect(
        t.version === 5 ? { sessionExpiryInterval: 0 } : {},
      );
    },
  },
  {
    name:
      "test_subscribe_failure: a SUBSCRIBE to a denied filter (test/nosubscribe) gets return code 0x80",
    broker: { deny: ["test/nosubscribe"] },
    fails: {
      mosquitto:
        "its acl_file ('topic deny') does not refuse a SUBSCRIBE: SUBACK grants QoS 2 (refusing takes an auth plugin)",
    },
    async fn(t) {
      const client = await t.connect();
      const suback = await client.subscribe("test/nosubscribe");
      assertEquals(suback.reasonCodes, [0x80]);
      // Another filter on the same broker is still granted.
      assertEquals((await client.subscribe(t.id("allowed"))).reasonCodes, [2]);
    },
  },
  {
    name:
      "test_dollar_topics: a filter starting with a wildcard does not match a topic starting with $ [MQTT-4.7.2-1]",
    broker: {}, // "+/+" and "#" must see no other row's messages
    async fn(t) {
      const client = await t.connect();
      await client.subscribe(["+/+", "#"]);
      await client.publish({ topic: "$TopicA/B", qos: 1 });
      await client.publish({ topic: "$SYS/TopicA", qos: 1 });
      await sync(client);
      assertEquals(client.messages, []);
      // The same subscriptions do match the topic without the $ (one copy
      // or one per subscription, as overlapping subscriptions may be).
      await client.publish({ topic: "TopicA/B", qos: 1 });
      await sync(client);
      const topics = client.messages.map((m) => m.topic);
      assert(topics.length === 1 || topics.length === 2, `${topics}`);
      assert(topics.every((topic) => topic === "TopicA/B"), `${topics}`);
    },
  },
  {
    name:
      "test_unsubscribe: after UNSUBSCRIBE of one of three topics, only the other two are delivered [MQTT-3.10.4-1]",
    async fn(t) {
      const { topics } = pahoTopics(t);
      const subscriber = await t.connect({ clientId: t.id("subscriber") });
      for (const topic of topics.slice(0, 3)) await subscriber.subscribe(topic);
      const unsuback = await subscriber.unsubscribe([topics[0]]);
      assertEquals(unsuback.reasonCodes, t.version === 5 ? [0] : []);
      const publisher = await t.connect({ clientId: t.id("publisher") });
      for (const topic of topics.slice(0, 3)) {
        await publisher.publish({ topic, qos: 1, payload: bytes(topic) });
      }
      await sync(publisher, subscriber);
      assertEquals(subscriber.messages.map((m) => m.topic), topics.slice(1, 3));
    },
  },
];
