/**
 * The mosquitto helpers of tests/support/mosquitto.ts: the configuration for
 * the network-failure runs does what they rely on — a Receive Maximum of 10
 * for publishers, and no message dropped from the queue of a client that
 * is away, however many wait.
 */

import { assertEquals } from "@std/assert";
import { ReasonCode } from "../mod.ts";
import { afterAll, beforeAll, describe, it } from "@std/testing/bdd";
import {
  type Mosquitto,
  startMosquittoForFailureTests,
} from "./support/mosquitto.ts";
import { bytes, TestClient, text } from "./support/test_client.ts";

describe("startMosquittoForFailureTests", () => {
  let mosquitto: Mosquitto;
  beforeAll(async () => {
    mosquitto = await startMosquittoForFailureTests();
  });
  afterAll(async () => {
    await mosquitto.stop();
  });

  it("announces Receive Maximum 10 and refuses an 11th unreleased QoS 2 message with PUBREC 0x97 (max_inflight_messages 10)", async () => {
    const { client, connack } = await TestClient.connectRaw(mosquitto.port, {
      clientId: "inflight",
    });
    assertEquals(connack.receiveMaximum, 10);
    for (let packetId = 1; packetId <= 11; packetId++) {
      await client.send({
        type: "publish",
        topic: "inflight",
        payload: bytes(`${packetId}`),
        qos: 2,
        packetId,
        retain: false,
        dup: false,
      });
    }
    const codes: number[] = [];
    for (let i = 0; i < 11; i++) {
      const pubrec = await client.expect("pubrec");
      assertEquals(pubrec.packetId, i + 1);
      codes.push(pubrec.reasonCode ?? 0);
    }
    assertEquals(codes, [...Array(10).fill(0), ReasonCode.QuotaExceeded]);
    await client.disconnect();
  });

  it("queues 3,000 QoS 1 messages for a client that is away, dropping none (max_queued_messages 0)", async () => {
    const fields = {
      clientId: "queue-sub",
      cleanStart: false,
      sessionExpiryInterval: 300,
    };
    const away = await TestClient.connect(mosquitto.port, fields);
    await away.subscribe([{ topicFilter: "queue/#", qos: 1 }]);
    await away.disconnect();
    const publisher = await TestClient.connect(mosquitto.port, {
      clientId: "queue-pub",
    });
    for (let i = 0; i < 3_000; i++) {
      await publisher.publish({
        topic: "queue/x",
        qos: 1,
        payload: bytes(`${i}`),
      });
    }
    await publisher.disconnect();
    const back = await TestClient.connect(mosquitto.port, fields);
    for (let i = 0; i < 3_000; i++) {
      const publish = await back.receive();
      assertEquals(text(publish.payload), `${i}`);
    }
    await back.send({ type: "pingreq" });
    await back.expect("pingresp");
    await back.disconnect({ sessionExpiryInterval: 0 });
  });
});
