/**
 * ClientSessions over Deno TCP against a real mosquitto, configured with
 * `max_inflight_messages 10` (it announces Receive Maximum 10 and holds its
 * own sending to 10): a publisher sends 2,000 QoS 1 and 2,000 QoS 2
 * messages as fast as the session lets it, and a subscriber receives every
 * QoS 2 message exactly once and every QoS 1 message. In MQTT 5.0, 3.1.1
 * and 3.1.
 */

import { assert, assertEquals } from "@std/assert";
import { afterAll, beforeAll, describe, it } from "@std/testing/bdd";
import type { ProtocolVersion } from "../../mod.ts";
import { type Mosquitto, startMosquitto } from "../support/mosquitto.ts";
import { waitUntil, withTimeout } from "../support/net.ts";
import { SessionClient } from "../support/session_client.ts";

const COUNT = 2_000;
const decoder = new TextDecoder();

describe("ClientSession against mosquitto", {
  sanitizeOps: false,
  sanitizeResources: false,
}, () => {
  let broker: Mosquitto;

  beforeAll(async () => {
    broker = await startMosquitto([
      "max_inflight_messages 10",
      "max_queued_messages 0", // no limit: nothing may be lost here
    ]);
  });

  afterAll(async () => {
    const log = await broker?.stop();
    assert(!/error/i.test(log ?? ""), log);
  });

  for (const version of [5, 4, 3] as ProtocolVersion[]) {
    it(`MQTT ${{ 3: "3.1", 4: "3.1.1", 5: "5.0" }[version]}: ${COUNT} QoS 1 and ${COUNT} QoS 2 messages, all delivered, QoS 2 exactly once, within Receive Maximum`, async () => {
      const mqtt5 = version === 5;
      const subscriber = new SessionClient({
        protocolVersion: version,
        clientId: `session-sub-${version}`,
        ...(mqtt5
          ? {
            receiveMaximum: 10,
            // mosquitto 2.0.11 frees a slot at PUBREC, not PUBCOMP
            strictReceiveMaximum: false,
            topicAliasMaximum: 10,
          }
          : {}),
      });
      const received = new Map<string, number[]>();
      subscriber.onEvent((event) => {
        if (event.type !== "message") return;
        const list = received.get(event.message.topic) ?? [];
        list.push(Number(decoder.decode(event.message.payload)));
        received.set(event.message.topic, list);
      });
      const subscribed = subscriber.waitFor((e) => e.type === "subscribed");
      subscriber.session.subscribe({
        subscriptions: [{ topicFilter: `session/${version}/#`, qos: 2 }],
      }, performance.now());
      assertEquals((await subscriber.connect(broker.port)).type, "connected");
      const suback = await subscribed;
      assertEquals(suback.type === "subscribed" && suback.reasonCodes, [2]);

      const publisher = new SessionClient({
        protocolVersion: version,
        clientId: `session-pub-${version}`,
        // MQTT 3.1.1 and 3.1 cannot learn the server's limit: it is configured.
        ...(mqtt5 ? {} : { maximumInFlight: 10 }),
      });
      const connected = await publisher.connect(broker.port);
      if (mqtt5) {
        assertEquals(
          connected.type === "connected" && connected.connack.receiveMaximum,
          10,
        );
      }
      let completed = 0;
      const allPublished = new Promise<void>((resolve) => {
        publisher.onEvent((event) => {
          if (event.type !== "published") return;
          assertEquals(event.reasonCode, 0);
          if (++completed === 2 * COUNT) resolve();
        });
      });
      const allReceived = new Promise<void>((resolve) => {
        subscriber.onEvent(() => {
          const total = (received.get(`session/${version}/qos1`)?.length ?? 0) +
            (received.get(`session/${version}/qos2`)?.length ?? 0);
          if (total >= 2 * COUNT) resolve();
        });
      });
      // Everything at once: the session holds back what Receive Maximum does not allow.
      for (let i = 0; i < COUNT; i++) {
        for (const qos of [1, 2] as const) {
          publisher.session.publish({
            topic: `session/${version}/qos${qos}`,
            payload: new TextEncoder().encode(String(i)),
            qos,
            retain: false,
          }, performance.now());
        }
      }
      publisher.pump();
      await withTimeout(allPublished, "every publication acknowledged", 30_000);
      await withTimeout(allReceived, "every message received", 30_000);

      // Sorted: mosquitto 2.0.11 reorders messages on one topic when its
      // queue for a subscriber meets a freed in-flight slot (measured: a new
      // message overtakes queued ones). Order is proven in the model tests.
      const expected = Array.from({ length: COUNT }, (_, i) => i);
      const sorted = (topic: string) =>
        [...received.get(topic) ?? []].sort((a, b) => a - b);
      // QoS 2 exactly once; QoS 1 at least once (no cuts here: once).
      assertEquals(sorted(`session/${version}/qos2`), expected);
      assertEquals(sorted(`session/${version}/qos1`), expected);
      if (mqtt5) {
        assert(
          publisher.maxInFlight <= 10,
          `${publisher.maxInFlight} in flight`,
        );
      }
      assert(subscriber.session.stats.awaitingRelease <= 2 * COUNT);

      // The last PUBRELs may still be on their way to the subscriber.
      await waitUntil(
        () => subscriber.session.stats.awaitingRelease === 0,
        "the last PUBRELs",
      );
      await publisher.close();
      await subscriber.close();
      for (const client of [publisher, subscriber]) {
        const { queuedMessages, inFlightMessages, awaitingRelease } = client
          .session.stats;
        assertEquals([queuedMessages, inFlightMessages, awaitingRelease], [
          0,
          0,
          0,
        ]);
        const ends = client.events.filter((e) => e.type === "disconnected");
        assertEquals(
          ends.map((e) => e.type === "disconnected" && e.initiator),
          [
            "local",
          ],
        );
      }
    });
  }
});
