/**
 * The receiving side of the publish flows: acknowledgements by QoS
 * [MQTT-3.3.4-1], exactly-once delivery of QoS 2 [MQTT-4.3.3-10], our
 * Receive Maximum (section 4.9), answers in arrival order [MQTT-4.6.0-2],
 * [MQTT-4.6.0-3], and Topic Alias resolution.
 */

import { assertEquals, assertFalse, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { MqttError, type Packet, type PublishPacket } from "../../mod.ts";
import type { MessageReceivedEvent } from "../../src/entries/session.ts";
import { InboundTopicAliases } from "../../src/session/inbound_aliases.ts";
import { Receiver } from "../../src/session/receiver.ts";
import { versionRules } from "../../src/session/version.ts";

interface Harness {
  receiver: Receiver;
  events: MessageReceivedEvent[];
  sent: Packet[];
}

function harness(
  options: {
    strict?: boolean;
    manual?: boolean;
    receiveMaximum?: number;
    version?: 4 | 5;
  } = {},
): Harness {
  const events: MessageReceivedEvent[] = [];
  const sent: Packet[] = [];
  let lastId = 0;
  const receiver = new Receiver({
    strictReceiveMaximum: options.strict ?? true,
    manualAcknowledgement: options.manual ?? false,
    markReceived: false,
    emit: (event) => events.push(event),
    send: (packet) => sent.push(packet),
    nextId: () => ++lastId,
  });
  receiver.attach({
    rules: versionRules(options.version ?? 5),
    receiveMaximum: options.receiveMaximum ?? 65_535,
    aliases: new InboundTopicAliases(5),
  });
  return { receiver, events, sent };
}

function publish(
  qos: 0 | 1 | 2,
  packetId?: number,
  extra: Partial<PublishPacket> = {},
): PublishPacket {
  const packet: PublishPacket = {
    type: "publish",
    topic: "t",
    payload: new Uint8Array([1]),
    qos,
    retain: false,
    dup: false,
    ...extra,
  };
  if (packetId !== undefined) packet.packetId = packetId;
  return packet;
}

describe("Receiver", () => {
  it("[MQTT-3.3.4-1] QoS 0: delivered, not acknowledged", () => {
    const h = harness();
    h.receiver.handlePublish(publish(0));
    assertEquals(h.events.length, 1);
    assertEquals(h.sent, []);
  });

  it("[MQTT-4.3.2-4] QoS 1: delivered and answered with PUBACK; [MQTT-4.3.2-5] the same identifier again is a new message", () => {
    const h = harness();
    h.receiver.handlePublish(publish(1, 7));
    h.receiver.handlePublish(publish(1, 7, { dup: true }));
    assertEquals(h.events.length, 2);
    assertEquals(h.sent, [
      { type: "puback", packetId: 7 },
      { type: "puback", packetId: 7 },
    ]);
  });

  it("[MQTT-4.3.3-8] [MQTT-4.3.3-10] QoS 2: delivered once; a resend before the PUBREL is answered with PUBREC, not delivered again", () => {
    const h = harness();
    h.receiver.handlePublish(publish(2, 7));
    h.receiver.handlePublish(publish(2, 7, { dup: true }));
    assertEquals(h.events.length, 1);
    assertEquals(h.sent, [
      { type: "pubrec", packetId: 7 },
      { type: "pubrec", packetId: 7 },
    ]);
    assertEquals(h.receiver.awaitingRelease, 1);
  });

  it("[MQTT-4.3.3-11] [MQTT-4.3.3-12] a PUBREL is answered with PUBCOMP; the identifier then starts a new message", () => {
    const h = harness();
    h.receiver.handlePublish(publish(2, 7));
    h.receiver.handlePubrel({ type: "pubrel", packetId: 7 });
    h.receiver.handlePublish(publish(2, 7));
    assertEquals(h.events.length, 2);
    assertEquals(h.sent[1], { type: "pubcomp", packetId: 7 });
  });

  it("a PUBREL of an unknown identifier is answered with PUBCOMP 0x92 (MQTT 5.0), a plain PUBCOMP (3.1.1)", () => {
    const h5 = harness();
    h5.receiver.handlePubrel({ type: "pubrel", packetId: 3 });
    assertEquals(h5.sent, [{ type: "pubcomp", packetId: 3, reasonCode: 0x92 }]);
    const h4 = harness({ version: 4 });
    h4.receiver.handlePubrel({ type: "pubrel", packetId: 3 });
    assertEquals(h4.sent, [{ type: "pubcomp", packetId: 3 }]);
  });

  it("QoS 2 identifiers survive the connection (session state): a resend on the next one is not delivered again", () => {
    const h = harness();
    h.receiver.handlePublish(publish(2, 7));
    h.receiver.detach();
    h.receiver.attach({
      rules: versionRules(5),
      receiveMaximum: 10,
      aliases: new InboundTopicAliases(0),
    });
    h.receiver.handlePublish(publish(2, 7, { dup: true }));
    assertEquals(h.events.length, 1);
    h.receiver.clear();
    assertEquals(h.receiver.awaitingRelease, 0);
  });

  it("section 4.9: a peer exceeding our Receive Maximum is refused with 0x93; QoS 2 counts until its PUBREL", () => {
    const h = harness({ receiveMaximum: 2 });
    h.receiver.handlePublish(publish(2, 1));
    h.receiver.handlePublish(publish(2, 2));
    h.receiver.handlePublish(publish(0)); // QoS 0 does not count
    const error = assertThrows(
      () => h.receiver.handlePublish(publish(2, 3)),
      MqttError,
      "Receive Maximum",
    );
    assertEquals(error.reasonCode, 0x93);
    h.receiver.handlePubrel({ type: "pubrel", packetId: 1 });
    h.receiver.handlePublish(publish(2, 3));
  });

  it("lenient Receive Maximum: a QoS 2 message counts only until its PUBREC (mosquitto 2.0.11)", () => {
    const h = harness({ receiveMaximum: 1, strict: false });
    for (let id = 1; id <= 5; id++) h.receiver.handlePublish(publish(2, id));
    assertEquals(h.events.length, 5);
    assertEquals(h.receiver.awaitingRelease, 5);
  });

  it("manual acknowledgement: a message holds its slot until answered, and answers go out in arrival order [MQTT-4.6.0-2] [MQTT-4.6.0-3]", () => {
    const h = harness({ manual: true, receiveMaximum: 2 });
    h.receiver.handlePublish(publish(1, 1));
    h.receiver.handlePublish(publish(2, 2));
    assertThrows(() => h.receiver.handlePublish(publish(1, 3)), MqttError);
    const [first, second] = h.events.map((e) => e.id!);
    h.receiver.acknowledge({ id: second, reasonCode: 0x10 });
    assertEquals(h.sent, []); // waits for the first
    h.receiver.acknowledge({ id: first });
    assertEquals(h.sent, [
      { type: "puback", packetId: 1 },
      { type: "pubrec", packetId: 2, reasonCode: 0x10 },
    ]);
    assertEquals(h.receiver.unanswered, 0);
    assertFalse(h.receiver.acknowledge({ id: first }));
  });

  it("[MQTT-4.3.3-9] after a refusing PUBREC the identifier starts a new message", () => {
    const h = harness({ manual: true });
    h.receiver.handlePublish(publish(2, 4));
    h.receiver.acknowledge({ id: h.events[0].id!, reasonCode: 0x87 });
    h.receiver.handlePublish(publish(2, 4));
    assertEquals(h.events.length, 2);
  });

  it("manual: a resent QoS 2 message waiting for its answer is neither delivered nor acknowledged twice", () => {
    const h = harness({ manual: true });
    h.receiver.handlePublish(publish(2, 4));
    h.receiver.handlePublish(publish(2, 4, { dup: true }));
    assertEquals([h.events.length, h.sent.length], [1, 0]);
    const error = assertThrows(
      () => h.receiver.handlePubrel({ type: "pubrel", packetId: 4 }),
      MqttError,
    );
    assertEquals(error.reasonCode, 0x82);
  });

  it("manual: a reason code a PUBACK cannot carry is refused; MQTT 3.1.1 acknowledges refusals positively (3.1.1 [MQTT-3.3.5-2])", () => {
    const h = harness({ manual: true });
    h.receiver.handlePublish(publish(1, 1));
    assertThrows(
      () => h.receiver.acknowledge({ id: h.events[0].id!, reasonCode: 0x92 }),
      MqttError,
      "PUBACK reason code",
    );
    const h4 = harness({ manual: true, version: 4 });
    h4.receiver.handlePublish(publish(1, 1));
    h4.receiver.acknowledge({ id: h4.events[0].id!, reasonCode: 0x87 });
    assertEquals(h4.sent, [{ type: "puback", packetId: 1 }]);
  });

  it("resolves Topic Aliases: the event carries the topic name", () => {
    const h = harness();
    h.receiver.handlePublish(
      publish(0, undefined, { topic: "a/b", topicAlias: 1 }),
    );
    h.receiver.handlePublish(
      publish(0, undefined, { topic: "", topicAlias: 1 }),
    );
    assertEquals(h.events.map((e) => e.message.topic), ["a/b", "a/b"]);
  });
});
