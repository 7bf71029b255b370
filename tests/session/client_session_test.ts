/**
 * ClientSession, rule by rule: the CONNECT and CONNACK, session
 * resumption, keep alive, the server's limits, subscriptions, DISCONNECT,
 * enhanced authentication, and the server's violations, each answered with
 * the reason code the specification gives. Packets are passed as objects;
 * the model tests (session_model_test.ts) drive it against a server.
 */

import { assert, assertEquals, assertFalse, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import {
  type ConnackPacket,
  encode,
  MqttError,
  type Packet,
  type PublishPacket,
} from "../../mod.ts";
import {
  ClientSession,
  type ClientSessionOptions,
  type DisconnectedEvent,
} from "../../src/entries/session.ts";
import type { ClientEvent } from "../../src/entries/session.ts";
import { drain, NO_STATE } from "../support/sessions.ts";
import {
  assertEachThrowsMqttError,
  type MisuseCall,
} from "../support/assertions.ts";

const text = new TextEncoder();
const CONNACK: ConnackPacket = {
  type: "connack",
  sessionPresent: false,
  reasonCode: 0,
};

const packets = (session: ClientSession): Packet[] =>
  drain(() => session.pollTransmit());
const events = (session: ClientSession): ClientEvent[] =>
  drain(() => session.pollEvent());

/** A session connected at time 0 with this CONNACK; its CONNECT and events drained. */
function connected(
  options: ClientSessionOptions = {},
  connack: Partial<ConnackPacket> = {},
): ClientSession {
  const session = new ClientSession({ clientId: "c", ...options });
  session.connectionOpened(0);
  session.handlePacket({ ...CONNACK, ...connack }, 0);
  packets(session);
  events(session);
  return session;
}

function message(topic = "a/b", qos: 0 | 1 | 2 = 1) {
  return { topic, payload: text.encode("x"), qos, retain: false };
}

/** Asserts that the session closed the connection for a violation by the server. */
function assertViolation(
  session: ClientSession,
  code: number,
  rule: string,
  disconnectSent = true,
) {
  const sent = packets(session);
  assertEquals(
    sent,
    disconnectSent ? [{ type: "disconnect", reasonCode: code }] : [],
  );
  const last = events(session).at(-1) as DisconnectedEvent;
  assertEquals(last.type, "disconnected");
  assertEquals(last.initiator, "local");
  assertEquals(last.reasonCode, code);
  assert(last.error?.message.includes(rule), last.error?.message);
  assertEquals(session.state, "disconnected");
}

describe("ClientSession: CONNECT and CONNACK", () => {
  it("sends a CONNECT built from the options, then is connecting", () => {
    const session = new ClientSession({
      clientId: "sensor",
      keepAlive: 30,
      sessionExpiryInterval: 60,
      receiveMaximum: 10,
      topicAliasMaximum: 5,
      userProperties: [["k", "v"]],
      will: { topic: "w", payload: text.encode("bye"), qos: 1, retain: false },
    });
    session.connectionOpened(0);
    assertEquals(packets(session), [{
      type: "connect",
      protocolVersion: 5,
      clientId: "sensor",
      cleanStart: true,
      keepAlive: 30,
      sessionExpiryInterval: 60,
      receiveMaximum: 10,
      topicAliasMaximum: 5,
      userProperties: [["k", "v"]],
      will: { topic: "w", payload: text.encode("bye"), qos: 1, retain: false },
    }]);
    assertEquals(session.state, "connecting");
  });

  it("checks its CONNECT when made: what the codec refuses, or MQTT 3.1.1 cannot carry, throws", () => {
    assertThrows(() => new ClientSession({ keepAlive: 70_000 }), MqttError);
    assertThrows(
      () => new ClientSession({ protocolVersion: 4, sessionExpiryInterval: 5 }),
      MqttError,
    );
    // 3.1.1: an empty Client Identifier needs Clean Session [MQTT-3.1.3-7].
    assertThrows(
      () => new ClientSession({ protocolVersion: 4, cleanStart: false }),
      MqttError,
    );
  });

  it("a CONNACK of Success: connected, the event carries it", () => {
    const session = new ClientSession({ clientId: "c" });
    session.connectionOpened(0);
    session.handlePacket(CONNACK, 1);
    assertEquals(events(session), [{
      type: "connected",
      sessionPresent: false,
      sessionLost: false,
      connack: CONNACK,
    }]);
    assertEquals(session.state, "connected");
  });

  it("a refusing CONNACK ends the connection (initiator peer) and keeps the session for the next attempt", () => {
    const session = new ClientSession({ clientId: "c" });
    session.publish(message(), 0);
    session.connectionOpened(0);
    const refusal = { ...CONNACK, reasonCode: 0x87 };
    session.handlePacket(refusal, 1);
    assertEquals(events(session), [{
      type: "disconnected",
      initiator: "peer",
      reasonCode: 0x87,
      packet: refusal,
    }]);
    assertEquals(session.stats.queuedMessages, 1);
  });

  it("MQTT 3.1.1: a non-zero return code refuses", () => {
    const session = new ClientSession({ clientId: "c", protocolVersion: 4 });
    session.connectionOpened(0);
    session.handlePacket({ ...CONNACK, reasonCode: 5 }, 1);
    assertEquals(events(session)[0].type, "disconnected");
  });

  const whileConnecting: [string, Packet][] = [
    [
      "[MQTT-3.2.0-1] anything but CONNACK, AUTH or DISCONNECT before the CONNACK",
      { type: "pingresp" },
    ],
    ["[MQTT-3.2.2-2] Session Present after a Clean Start", {
      ...CONNACK,
      sessionPresent: true,
    }],
    ["[MQTT-4.12.0-6] a CONNACK with a method the CONNECT did not have", {
      ...CONNACK,
      authenticationMethod: "SCRAM-SHA-1",
    }],
  ];
  for (const [name, packet] of whileConnecting) {
    it(`${name} is a protocol error (0x82)`, () => {
      const session = new ClientSession({ clientId: "c" });
      session.connectionOpened(0);
      packets(session);
      session.handlePacket(packet, 1);
      assertViolation(session, 0x82, name.slice(0, name.indexOf("]") + 1));
    });
  }

  it("[MQTT-3.2.0-2] a second CONNACK is a protocol error", () => {
    const session = connected();
    session.handlePacket(CONNACK, 1);
    assertViolation(session, 0x82, "[MQTT-3.2.0-2]");
  });

  it("uses the Assigned Client Identifier from then on", () => {
    const session = new ClientSession({ sessionExpiryInterval: 60 });
    session.connectionOpened(0);
    session.handlePacket({ ...CONNACK, assignedClientIdentifier: "auto-7" }, 1);
    assertEquals(session.clientId, "auto-7");
    session.connectionLost(2);
    session.connectionOpened(3);
    const [connect] = packets(session);
    assert(connect.type === "connect");
    assertEquals([connect.clientId, connect.cleanStart], ["auto-7", false]);
  });
});

describe("ClientSession: session resumption", () => {
  it("[MQTT-3.1.2-4] [MQTT-3.1.2-5] later connections resume (Clean Start 0) while the session may still exist: Session Expiry above 0", () => {
    const session = connected({ sessionExpiryInterval: 60 });
    session.connectionLost(1);
    session.connectionOpened(2);
    assertEquals(
      (packets(session)[0] as { cleanStart: boolean }).cleanStart,
      false,
    );
  });

  it("... not with a Session Expiry Interval of 0: the session ended with the connection", () => {
    const session = connected();
    session.connectionLost(1);
    session.connectionOpened(2);
    assertEquals(
      (packets(session)[0] as { cleanStart: boolean }).cleanStart,
      true,
    );
  });

  it("... MQTT 3.1.1: Clean Session 0 stays 0", () => {
    const session = connected({ protocolVersion: 4, cleanStart: false });
    session.connectionLost(1);
    session.connectionOpened(2);
    assertEquals(
      (packets(session)[0] as { cleanStart: boolean }).cleanStart,
      false,
    );
  });

  it("[MQTT-4.4.0-1] a resumed session resends unacknowledged PUBLISH (DUP) and PUBREL, in order", () => {
    const session = connected({ sessionExpiryInterval: 60 });
    session.publish(message("a", 2), 1);
    session.publish(message("b", 1), 1);
    packets(session);
    session.handlePacket({ type: "pubrec", packetId: 1 }, 2);
    assertEquals(packets(session), [{ type: "pubrel", packetId: 1 }]);
    session.connectionLost(3);
    session.connectionOpened(4);
    packets(session);
    session.handlePacket({ ...CONNACK, sessionPresent: true }, 5);
    const again = packets(session);
    assertEquals(again.map((p) => p.type), ["publish", "pubrel"]);
    assertEquals((again[0] as PublishPacket).dup, true);
    assertEquals((again[0] as PublishPacket).packetId, 2);
    assertEquals(events(session).at(-1), {
      type: "connected",
      sessionPresent: true,
      sessionLost: false,
      connack: { ...CONNACK, sessionPresent: true },
    });
  });

  it("[MQTT-3.2.2-5] a session the server lost is discarded: in-flight messages dropped (session-lost), sessionLost reported", () => {
    const session = connected({ sessionExpiryInterval: 60 });
    const id = session.publish(message("a", 1), 1);
    packets(session);
    session.connectionLost(2);
    session.connectionOpened(3);
    events(session);
    session.handlePacket(CONNACK, 4);
    const [dropped, connectedEvent] = events(session);
    assertEquals(dropped, {
      type: "dropped",
      reason: "session-lost",
      message: message("a", 1),
      id,
    });
    assertEquals(
      connectedEvent.type === "connected" && connectedEvent.sessionLost,
      true,
    );
    assertEquals(packets(session).map((p) => p.type), ["connect"]); // nothing resent
  });

  it("QoS 2 identifiers awaiting PUBREL survive a resumed connection: a resend is not delivered twice", () => {
    const session = connected({ sessionExpiryInterval: 60 });
    const publish: PublishPacket = {
      type: "publish",
      topic: "t",
      payload: text.encode("1"),
      qos: 2,
      retain: false,
      dup: false,
      packetId: 9,
    };
    session.handlePacket(publish, 1);
    session.connectionLost(2);
    session.connectionOpened(3);
    session.handlePacket({ ...CONNACK, sessionPresent: true }, 4);
    events(session);
    packets(session);
    session.handlePacket({ ...publish, dup: true }, 5);
    assertEquals(events(session), []);
    assertEquals(packets(session), [{ type: "pubrec", packetId: 9 }]);
  });

  it("SUBSCRIBE commands wait for the CONNACK, and an unanswered one goes again on the next connection", () => {
    const session = new ClientSession({ clientId: "c" });
    const id = session.subscribe({
      subscriptions: [{ topicFilter: "a/#", qos: 1 }],
    }, 0);
    session.connectionOpened(0);
    assertEquals(packets(session).map((p) => p.type), ["connect"]);
    session.handlePacket(CONNACK, 1);
    assertEquals(packets(session), [{
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "a/#", qos: 1 }],
    }]);
    session.connectionLost(2);
    session.connectionOpened(3);
    session.handlePacket(CONNACK, 4);
    assertEquals(packets(session).map((p) => p.type), ["connect", "subscribe"]);
    session.handlePacket({ type: "suback", packetId: 1, reasonCodes: [1] }, 5);
    assertEquals(events(session).at(-1), {
      type: "subscribed",
      id,
      reasonCodes: [1],
      packet: { type: "suback", packetId: 1, reasonCodes: [1] },
    });
    assertEquals(session.stats.pendingRequests, 0);
  });
});

describe("ClientSession: keep alive", () => {
  it("[MQTT-3.1.2-20] sends a PINGREQ after Keep Alive without packets, and closes (0x8D) when no answer comes within half of it", () => {
    const session = connected({ keepAlive: 10 });
    assertEquals(session.pollTimeout(), 10_000);
    session.handleTimeout(10_000);
    assertEquals(packets(session), [{ type: "pingreq" }]);
    assertEquals(session.pollTimeout(), 15_000);
    session.handleTimeout(14_999);
    assertEquals(session.state, "connected");
    session.handleTimeout(15_000);
    assertEquals(packets(session), []); // the connection is presumed dead
    const [event] = events(session);
    assertEquals(
      [event.type, (event as DisconnectedEvent).reasonCode],
      ["disconnected", 0x8d],
    );
  });

  it("a PINGRESP clears the ping; the next is due Keep Alive after the older of the last packet sent and received", () => {
    const session = connected({ keepAlive: 10 });
    session.handleTimeout(10_000);
    packets(session);
    session.handlePacket({ type: "pingresp" }, 10_100);
    assertEquals(session.pollTimeout(), 20_000); // sent at 10,000
    session.publish(message("a", 0), 12_000);
    packets(session);
    // received at 10,100 is now the older
    assertEquals(session.pollTimeout(), 20_100);
  });

  it("[MQTT-3.1.2-21] the server's Keep Alive replaces ours", () => {
    const session = connected({ keepAlive: 10 }, { serverKeepAlive: 3 });
    assertEquals(session.pollTimeout(), 3_000);
  });

  it("Keep Alive 0: no deadline while connected", () => {
    assertEquals(connected({ keepAlive: 0 }).pollTimeout(), undefined);
  });

  it("gives up on a CONNACK after connectTimeout", () => {
    const session = new ClientSession({ clientId: "c", connectTimeout: 1_000 });
    session.connectionOpened(0);
    assertEquals(session.pollTimeout(), 1_000);
    session.handleTimeout(1_000);
    const [event] = events(session);
    assertEquals(event.type, "disconnected");
    assertEquals(session.state, "disconnected");
  });
});

describe("ClientSession: the server's limits", () => {
  it("[MQTT-3.3.4-7] never more QoS 1/2 messages in flight than the server's Receive Maximum", () => {
    const session = connected({}, { receiveMaximum: 2 });
    for (let i = 0; i < 5; i++) session.publish(message(`t/${i}`), 1);
    assertEquals(packets(session).length, 2);
    session.handlePacket({ type: "puback", packetId: 1 }, 2);
    assertEquals(packets(session).map((p) => (p as PublishPacket).topic), [
      "t/2",
    ]);
  });

  const refused: [string, Partial<ConnackPacket>, object, number][] = [
    [
      "[MQTT-3.2.2-11] a QoS above the server's Maximum QoS",
      { maximumQoS: 1 },
      {
        qos: 2,
      },
      0x9b,
    ],
    [
      "[MQTT-3.2.2-14] RETAIN when the server has none",
      { retainAvailable: false },
      { retain: true },
      0x9a,
    ],
    [
      "[MQTT-3.2.2-15] a message larger than the server's Maximum Packet Size",
      { maximumPacketSize: 50 },
      { payload: new Uint8Array(60) },
      0x95,
    ],
  ];
  for (const [name, connack, change, code] of refused) {
    it(`publish() refuses ${name} (0x${code.toString(16)})`, () => {
      const session = connected({}, connack);
      const error = assertThrows(
        () => session.publish({ ...message(), ...change }, 1),
        MqttError,
      );
      assertEquals(error.reasonCode, code);
    });
  }

  it("publish() refuses an invalid message with the rule", () => {
    const session = connected();
    assertThrows(
      () => session.publish({ ...message(), topic: "a/+" }, 1),
      MqttError,
      "[MQTT-3.3.2-2]",
    );
    assertThrows(
      () => session.publish({ ...message(), qos: 3 as 0 }, 1),
      MqttError,
      "[MQTT-3.3.1-4]",
    );
    assertThrows(
      () => session.publish({ ...message(), userProperties: [["a", "\0"]] }, 1),
      MqttError,
    );
    const v4 = connected({ protocolVersion: 4 });
    assertThrows(
      () => v4.publish({ ...message(), contentType: "text/plain" }, 1),
      MqttError,
      "MQTT 3.1.1 cannot carry",
    );
  });

  it("[MQTT-3.2.2-17] sends Topic Aliases within the server's maximum", () => {
    const session = connected({}, { topicAliasMaximum: 1 });
    session.publish(message("sensors/1", 0), 1);
    session.publish(message("sensors/1", 0), 1);
    assertEquals(
      packets(session).map((
        p,
      ) => [(p as PublishPacket).topic, (p as PublishPacket).topicAlias]),
      [["sensors/1", 1], ["", 1]],
    );
  });

  it("useTopicAliases: false sends none", () => {
    const session = connected({ useTopicAliases: false }, {
      topicAliasMaximum: 5,
    });
    session.publish(message("sensors/1", 0), 1);
    assertEquals((packets(session)[0] as PublishPacket).topicAlias, undefined);
  });

  it("[MQTT-3.3.2-10] resolves the server's Topic Aliases; one above our maximum closes with 0x94", () => {
    const session = connected({ topicAliasMaximum: 2 });
    const publish: PublishPacket = {
      type: "publish",
      topic: "long/topic",
      payload: new Uint8Array(),
      qos: 0,
      retain: false,
      dup: false,
      topicAlias: 2,
    };
    session.handlePacket(publish, 1);
    session.handlePacket({ ...publish, topic: "" }, 2);
    const [a, b] = events(session);
    assertEquals(
      [a, b].map((e) => e.type === "message" && e.message.topic),
      ["long/topic", "long/topic"],
    );
    session.handlePacket({ ...publish, topicAlias: 3 }, 3);
    assertViolation(session, 0x94, "Topic Alias Maximum");
  });

  it("section 4.9: a server exceeding our Receive Maximum is disconnected with 0x93", () => {
    const session = connected({ receiveMaximum: 1 });
    const publish = (packetId: number): PublishPacket => ({
      type: "publish",
      topic: "t",
      payload: new Uint8Array(),
      qos: 2,
      retain: false,
      dup: false,
      packetId,
    });
    session.handlePacket(publish(1), 1);
    session.handlePacket(publish(2), 2);
    const sent = packets(session);
    assertEquals(sent, [
      { type: "pubrec", packetId: 1 },
      { type: "disconnect", reasonCode: 0x93 },
    ]);
  });

  it("... unless strictReceiveMaximum is false, for brokers that free the slot at PUBREC (mosquitto 2.0.11)", () => {
    const session = connected({
      receiveMaximum: 1,
      strictReceiveMaximum: false,
    });
    for (let packetId = 1; packetId <= 3; packetId++) {
      session.handlePacket({
        type: "publish",
        topic: "t",
        payload: new Uint8Array(),
        qos: 2,
        retain: false,
        dup: false,
        packetId,
      }, packetId);
    }
    assertEquals(events(session).length, 3);
    assertEquals(session.state, "connected");
  });
});

describe("ClientSession: subscriptions", () => {
  it("subscribe and unsubscribe: packets with fresh identifiers, answered by events with the ids returned", () => {
    const session = connected();
    const sub = session.subscribe({
      subscriptions: [{ topicFilter: "a/#", qos: 2, noLocal: true }],
      subscriptionIdentifier: 4,
    }, 1);
    const unsub = session.unsubscribe({ topicFilters: ["b"] }, 1);
    const [subscribe, unsubscribe] = packets(session);
    assertEquals(subscribe, {
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "a/#", qos: 2, noLocal: true }],
      subscriptionIdentifier: 4,
    });
    assertEquals(unsubscribe, {
      type: "unsubscribe",
      packetId: 2,
      topicFilters: ["b"],
    });
    session.handlePacket(
      { type: "unsuback", packetId: 2, reasonCodes: [0x11] },
      2,
    );
    session.handlePacket(
      { type: "suback", packetId: 1, reasonCodes: [0x80] },
      2,
    );
    assertEquals(
      events(session).map((
        e,
      ) => [e.type, "id" in e && e.id, "reasonCodes" in e && e.reasonCodes]),
      [["unsubscribed", unsub, [0x11]], ["subscribed", sub, [0x80]]],
    );
    assertEquals(session.stats.packetIdentifiers, 0);
  });

  it("[MQTT-3.9.3-1] a SUBACK with the wrong number of reason codes is a protocol error", () => {
    const session = connected();
    session.subscribe({ subscriptions: [{ topicFilter: "a", qos: 0 }] }, 1);
    packets(session);
    session.handlePacket(
      { type: "suback", packetId: 1, reasonCodes: [0, 0] },
      2,
    );
    assertViolation(session, 0x82, "[MQTT-3.9.3-1]");
  });

  it("[MQTT-2.2.1-6] a SUBACK that answers no SUBSCRIBE is a protocol error", () => {
    const session = connected();
    session.handlePacket({ type: "suback", packetId: 5, reasonCodes: [0] }, 1);
    assertViolation(session, 0x82, "[MQTT-2.2.1-6]");
  });

  const unsupported: [string, Partial<ConnackPacket>, object, number][] = [
    ["a shared subscription", { sharedSubscriptionAvailable: false }, {
      subscriptions: [{ topicFilter: "$share/g/a", qos: 0 }],
    }, 0x9e],
    ["a wildcard", { wildcardSubscriptionAvailable: false }, {
      subscriptions: [{ topicFilter: "a/+", qos: 0 }],
    }, 0xa2],
    ["a Subscription Identifier", { subscriptionIdentifiersAvailable: false }, {
      subscriptions: [{ topicFilter: "a", qos: 0 }],
      subscriptionIdentifier: 1,
    }, 0xa1],
  ];
  for (const [name, connack, request, code] of unsupported) {
    it(`subscribe() refuses ${name} the server does not support (0x${code.toString(16)})`, () => {
      const session = connected({}, connack);
      const error = assertThrows(
        () =>
          session.subscribe(
            request as Parameters<ClientSession["subscribe"]>[0],
            1,
          ),
        MqttError,
      );
      assertEquals(error.reasonCode, code);
    });
  }

  it("[MQTT-2.2.1-3] with all 65,535 identifiers in use (a SUBSCRIBE holds one), a further QoS 1 message waits queued and pollTransmit never throws; the SUBACK frees one and it goes", () => {
    const session = connected();
    session.subscribe({ subscriptions: [{ topicFilter: "a", qos: 1 }] }, 0);
    const [subscribe] = packets(session);
    const ids = [];
    for (let i = 0; i < 65_535; i++) ids.push(session.publish(message("t"), 0));
    assertEquals(packets(session).length, 65_534);
    assertEquals(session.stats.queuedMessages, 1);
    assertEquals(session.stats.packetIdentifiers, 65_535);
    assertEquals(events(session), []); // none lost, none dropped
    session.handlePacket({
      type: "suback",
      packetId: (subscribe as { packetId: number }).packetId,
      reasonCodes: [1],
    }, 1);
    const [last] = packets(session);
    assertEquals([last.type, (last as PublishPacket).packetId], ["publish", 1]);
    session.handlePacket({ type: "puback", packetId: 1 }, 2);
    assertEquals(
      events(session).map((e) => "id" in e && e.id),
      [1, ids.at(-1)],
    );
  });

  it("[MQTT-2.2.1-3] a SUBSCRIBE or UNSUBSCRIBE made while every identifier is in use waits for one, and takes it before a queued message", () => {
    const session = connected();
    for (let i = 0; i < 65_535; i++) session.publish(message("t"), 0);
    assertEquals(packets(session).length, 65_535);
    session.publish(message("later"), 1);
    const sub = session.subscribe({
      subscriptions: [{ topicFilter: "a", qos: 0 }],
    }, 1);
    const unsub = session.unsubscribe({ topicFilters: ["a"] }, 1);
    assertEquals(packets(session), []);
    assertEquals(session.stats.pendingRequests, 2);
    session.handlePacket({ type: "puback", packetId: 7 }, 2);
    session.handlePacket({ type: "puback", packetId: 9 }, 2);
    assertEquals(packets(session), [
      {
        type: "subscribe",
        packetId: 7,
        subscriptions: [{ topicFilter: "a", qos: 0 }],
      },
      { type: "unsubscribe", packetId: 9, topicFilters: ["a"] },
    ]);
    events(session);
    session.handlePacket({ type: "suback", packetId: 7, reasonCodes: [0] }, 3);
    session.handlePacket(
      { type: "unsuback", packetId: 9, reasonCodes: [0] },
      3,
    );
    assertEquals(events(session).map((e) => "id" in e && e.id), [sub, unsub]);
    const [later] = packets(session) as PublishPacket[];
    assertEquals([later.topic, later.packetId], ["later", 7]);
  });

  it("[MQTT-3.2.2-15] subscribe() and unsubscribe() larger than the server's Maximum Packet Size throw 0x95 (User Properties, the application's data, are not left out to fit); nothing is held", () => {
    const request = {
      subscriptions: [{ topicFilter: "x".repeat(20), qos: 1 as const }],
      userProperties: [["k", "v".repeat(20)]] as [string, string][],
    };
    const bare = encode({
      type: "subscribe",
      packetId: 1,
      subscriptions: request.subscriptions,
    }).length;
    const session = connected({}, { maximumPacketSize: bare });
    for (
      const call of [
        () => session.subscribe(request, 1),
        () =>
          session.unsubscribe({
            topicFilters: ["y".repeat(bare)],
          }, 1),
      ]
    ) {
      const error = assertThrows(call, MqttError, "Maximum Packet Size");
      assertEquals(error.reasonCode, 0x95);
    }
    assertEquals(packets(session), []);
    assertEquals(session.stats, NO_STATE);
    // The same without its User Properties fits.
    session.subscribe({ subscriptions: request.subscriptions }, 1);
    assertEquals(packets(session).length, 1);
  });

  it("[MQTT-3.2.2-15] a request made before a CONNACK whose Maximum Packet Size it exceeds is answered with 0x95 for each filter and the error, never sent; its identifier is freed", () => {
    const session = new ClientSession({ clientId: "c" });
    const big = session.subscribe({
      subscriptions: [
        { topicFilter: "x".repeat(100), qos: 1 },
        { topicFilter: "y", qos: 1 },
      ],
    }, 0);
    const small = session.unsubscribe({ topicFilters: ["z"] }, 0);
    session.connectionOpened(0);
    session.handlePacket({ ...CONNACK, maximumPacketSize: 64 }, 1);
    assertEquals(packets(session).map((p) => p.type), [
      "connect",
      "unsubscribe",
    ]);
    const [connectedEvent, refused] = events(session);
    assertEquals(connectedEvent.type, "connected");
    assert(refused.type === "subscribed");
    assertEquals([refused.id, refused.reasonCodes], [big, [0x95, 0x95]]);
    assertEquals(refused.packet, undefined);
    assertEquals(refused.error?.reasonCode, 0x95);
    assertEquals(session.stats.pendingRequests, 1);
    session.handlePacket(
      { type: "unsuback", packetId: 2, reasonCodes: [0] },
      2,
    );
    assertEquals(events(session).map((e) => "id" in e && e.id), [small]);
  });

  it("subscribe() refuses what the codec refuses: No Local on a shared subscription [MQTT-3.8.3-4]", () => {
    assertThrows(
      () =>
        connected().subscribe({
          subscriptions: [{ topicFilter: "$share/g/a", qos: 0, noLocal: true }],
        }, 1),
      MqttError,
      "[MQTT-3.8.3-4]",
    );
  });
});

describe("ClientSession: DISCONNECT and the end of a connection", () => {
  it("disconnect() sends what can be sent now, then DISCONNECT, and keeps the rest", () => {
    const session = connected({ sessionExpiryInterval: 60 }, {
      receiveMaximum: 1,
    });
    session.publish(message("a", 0), 1);
    session.publish(message("b", 1), 1);
    session.publish(message("c", 1), 1);
    session.disconnect({ reasonCode: 0x04 }, 2);
    assertEquals(
      packets(session).map((p) => p.type === "publish" ? p.topic : p.type),
      ["a", "b", "disconnect"],
    );
    assertEquals(events(session).at(-1), {
      type: "disconnected",
      initiator: "local",
      reasonCode: 0x04,
    });
    assertEquals(session.stats.queuedMessages, 1);
    assertEquals(session.stats.inFlightMessages, 1);
    session.disconnect({}, 3); // nothing to end
    assertEquals(packets(session), []);
  });

  it("section 3.14.2.2.2: a non-zero Session Expiry Interval after a CONNECT with 0 is refused; 0 ends the session for the next connection", () => {
    assertThrows(
      () => connected().disconnect({ sessionExpiryInterval: 10 }, 1),
      MqttError,
      "3.14.2.2.2",
    );
    const session = connected({ sessionExpiryInterval: 60 });
    session.disconnect({ sessionExpiryInterval: 0 }, 1);
    session.connectionOpened(2);
    assertEquals(
      (packets(session).at(-1) as { cleanStart: boolean }).cleanStart,
      true,
    );
  });

  it("section 3.14.2.2.2: the rule is on the CONNECT's Session Expiry Interval, not the CONNACK's", () => {
    // CONNECT 60, CONNACK 0: the CONNECT's was not 0, so 30 may be asked.
    const session = connected({ sessionExpiryInterval: 60 }, {
      sessionExpiryInterval: 0,
    });
    session.disconnect({ sessionExpiryInterval: 30 }, 1);
    assertEquals(packets(session), [{
      type: "disconnect",
      sessionExpiryInterval: 30,
    }]);
    // CONNECT 0, CONNACK 60: the CONNECT's was 0, so not even 30.
    assertThrows(
      () =>
        connected({}, { sessionExpiryInterval: 60 }).disconnect(
          { sessionExpiryInterval: 30 },
          1,
        ),
      MqttError,
      "0 in the CONNECT",
    );
    // The next CONNECT carries the CONNACK's 60: from then on 30 may be.
    const next = connected({}, { sessionExpiryInterval: 60 });
    next.disconnect({}, 1);
    next.connectionOpened(2);
    next.handlePacket(CONNACK, 3);
    packets(next);
    next.disconnect({ sessionExpiryInterval: 30 }, 4);
    assertEquals(packets(next).at(-1), {
      type: "disconnect",
      sessionExpiryInterval: 30,
    });
  });

  it("a DISCONNECT from the server ends the connection (initiator peer)", () => {
    const session = connected();
    const disconnect = { type: "disconnect", reasonCode: 0x8b } as const;
    session.handlePacket(disconnect, 1);
    assertEquals(events(session), [{
      type: "disconnected",
      initiator: "peer",
      reasonCode: 0x8b,
      packet: disconnect,
    }]);
  });

  it("connectionLost: a disconnected event (initiator network), nothing left to send, packets after it ignored", () => {
    const session = connected();
    session.publish(message("a", 0), 1);
    session.connectionLost(2);
    assertEquals(packets(session), []);
    assertEquals(events(session), [{
      type: "disconnected",
      initiator: "network",
    }]);
    session.handlePacket({ type: "pingresp" }, 3);
    session.connectionLost(4);
    assertEquals(events(session), []);
  });

  it("handleError: the reader's error becomes a DISCONNECT with its reason code", () => {
    const session = connected();
    session.handleError(new MqttError("PUBLISH: too large", 0x95), 1);
    assertViolation(session, 0x95, "too large");
  });

  it("handleError of a failed connection (0x80, as PacketReader reports a reset) is a lost connection: nothing sent", () => {
    const session = connected();
    const error = new MqttError("reset", 0x80, {
      cause: new Error("ECONNRESET"),
    });
    session.handleError(error, 1);
    assertEquals(packets(session), []);
    assertEquals(events(session), [{
      type: "disconnected",
      initiator: "network",
      error,
    }]);
  });

  it("MQTT 3.1.1: a violation closes without a DISCONNECT (the server gets none)", () => {
    const session = connected({ protocolVersion: 4 });
    session.handlePacket({ type: "pingreq" }, 1);
    assertViolation(session, 0x82, "a server does not send", false);
  });

  it("a packet only clients send is a protocol error", () => {
    const session = connected();
    session.handlePacket({
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "a", qos: 0 }],
    }, 1);
    assertViolation(session, 0x82, "a server does not send");
  });

  it("connectionOpened while connected is a mistake", () => {
    assertThrows(
      () => connected().connectionOpened(1),
      MqttError,
      "connectionLost",
    );
  });

  it("handlePacket refuses what is not a packet object with an MqttError; an unknown type is a protocol error", () => {
    for (const value of [null, 42, {}]) {
      assertThrows(
        () => connected().handlePacket(value as unknown as Packet, 1),
        MqttError,
        "packet object",
      );
    }
    const session = connected();
    session.handlePacket({ type: "nonsense" } as unknown as Packet, 1);
    assertViolation(session, 0x82, "NONSENSE");
  });

  const malformed: [string, object, string][] = [
    [
      "a SUBACK without reasonCodes",
      { type: "suback", packetId: 1 },
      "reasonCodes",
    ],
    ["an UNSUBACK with reasonCodes not an array", {
      type: "unsuback",
      packetId: 1,
      reasonCodes: 0,
    }, "reasonCodes"],
    ["a PUBACK of identifier 0", { type: "puback", packetId: 0 }, "packetId"],
    ["a PUBREL without an identifier", { type: "pubrel" }, "packetId"],
    ["a QoS 1 PUBLISH without an identifier", {
      type: "publish",
      topic: "a",
      payload: new Uint8Array(),
      qos: 1,
      retain: false,
      dup: false,
    }, "packetId"],
    ["a PUBLISH whose payload is a string", {
      type: "publish",
      topic: "a",
      payload: "x",
      qos: 0,
      retain: false,
      dup: false,
    }, "payload"],
    ["a CONNACK without a reason code", {
      type: "connack",
      sessionPresent: false,
    }, "reasonCode"],
    ["a DISCONNECT whose reason code is a string", {
      type: "disconnect",
      reasonCode: "0x8b",
    }, "reasonCode"],
  ];
  for (const [name, packet, field] of malformed) {
    it(`handlePacket refuses ${name} (no packet the codec decodes) with an MqttError naming ${field}, and changes nothing`, () => {
      const session = connected();
      session.subscribe({ subscriptions: [{ topicFilter: "a", qos: 0 }] }, 1);
      packets(session);
      assertThrows(
        () => session.handlePacket(packet as Packet, 2),
        MqttError,
        field,
      );
      assertEquals([session.state, packets(session), events(session)], [
        "connected",
        [],
        [],
      ]);
    });
  }

  it("every entry refuses an argument of the wrong kind with an MqttError naming it, never a TypeError", () => {
    const session = connected({ manualAcknowledgement: true });
    const calls: MisuseCall[] = [
      ["new ClientSession(null)", () => new ClientSession(null!), "options"],
      ["new ClientSession(1)", () => new ClientSession(1 as never), "options"],
      ["acknowledge(null)", () => session.acknowledge(null!, 1), "answer"],
      ["acknowledge({})", () => session.acknowledge({} as never, 1), "id"],
      ["handleError(null)", () => session.handleError(null!, 1), "error"],
      [
        "handleError(a TypeError)",
        () => session.handleError(new TypeError("x") as MqttError, 1),
        "MqttError",
      ],
      ["publish(null)", () => session.publish(null!, 1), "message"],
      ["subscribe(null)", () => session.subscribe(null!, 1), "request"],
      ["unsubscribe(null)", () => session.unsubscribe(null!, 1), "request"],
      ["disconnect(null)", () => session.disconnect(null!, 1), "request"],
      ["authenticate(null)", () => session.authenticate(null!, 1), "request"],
    ];
    assertEachThrowsMqttError(calls);
    assertEquals(session.state, "connected");
  });

  it("publish() checks a message object again when it changed after an earlier publish: nothing invalid reaches pollTransmit", () => {
    const session = connected();
    const reused = { ...message("a/b", 0) };
    session.publish(reused, 0);
    packets(session);
    assertEquals(events(session).map((e) => e.type), ["published"]);
    reused.topic = "a/+";
    assertThrows(() => session.publish(reused, 1), MqttError, "wildcard");
    assertEquals(packets(session), []);
  });

  it("every command checks its time", () => {
    assertThrows(
      () => new ClientSession().connectionOpened(NaN),
      MqttError,
      "now",
    );
  });
});

describe("ClientSession: enhanced authentication (section 4.12)", () => {
  const method = "SCRAM-SHA-1";

  it("continues the exchange the server starts, then connects; every AUTH carries the method [MQTT-4.12.0-5]", () => {
    const session = new ClientSession({
      clientId: "c",
      authenticationMethod: method,
      authenticationData: text.encode("client-first"),
    });
    session.connectionOpened(0);
    packets(session);
    const challenge = {
      type: "auth",
      reasonCode: 0x18,
      authenticationMethod: method,
      authenticationData: text.encode("server-first"),
    } as const;
    session.handlePacket(challenge, 1);
    assertEquals(events(session), [{ type: "auth", packet: challenge }]);
    session.authenticate({
      reasonCode: 0x18,
      authenticationData: text.encode("client-final"),
    }, 2);
    assertEquals(packets(session), [{
      type: "auth",
      reasonCode: 0x18,
      authenticationMethod: method,
      authenticationData: text.encode("client-final"),
    }]);
    session.handlePacket({ ...CONNACK, authenticationMethod: method }, 3);
    assertEquals(events(session)[0].type, "connected");
  });

  it("[MQTT-4.12.1-1] re-authenticates when connected: AUTH 0x19, then the server's 0x00 ends it", () => {
    const session = connected({ authenticationMethod: method }, {
      authenticationMethod: method,
    });
    session.authenticate({ reasonCode: 0x19 }, 1);
    assertEquals(packets(session), [{
      type: "auth",
      reasonCode: 0x19,
      authenticationMethod: method,
    }]);
    assertThrows(
      () => session.authenticate({ reasonCode: 0x19 }, 2),
      MqttError,
    );
    session.handlePacket({
      type: "auth",
      reasonCode: 0,
      authenticationMethod: method,
    }, 3);
    assertEquals(events(session)[0].type, "auth");
    session.authenticate({ reasonCode: 0x19 }, 4); // may start again
  });

  it("[MQTT-4.12.0-7] authenticate() without a method is a mistake; Continue without a challenge too", () => {
    assertThrows(
      () => connected().authenticate({ reasonCode: 0x19 }, 1),
      MqttError,
      "[MQTT-4.12.0-7]",
    );
    const session = connected({ authenticationMethod: method }, {
      authenticationMethod: method,
    });
    assertThrows(
      () => session.authenticate({ reasonCode: 0x18 }, 1),
      MqttError,
      "[MQTT-4.12.0-3]",
    );
  });

  const violations: [string, ClientSessionOptions, Packet, string][] = [
    ["[MQTT-4.12.0-6] an AUTH when the CONNECT had no method", {}, {
      type: "auth",
      reasonCode: 0x18,
      authenticationMethod: method,
    }, "[MQTT-4.12.0-6]"],
    [
      "[MQTT-4.12.0-5] an AUTH with another method",
      { authenticationMethod: method },
      { type: "auth", reasonCode: 0x18, authenticationMethod: "PLAIN" },
      "[MQTT-4.12.0-5]",
    ],
    [
      "an AUTH 0x19 from the server",
      { authenticationMethod: method },
      { type: "auth", reasonCode: 0x19, authenticationMethod: method },
      "section 4.12",
    ],
  ];
  for (const [name, options, packet, rule] of violations) {
    it(`closes with 0x82 on ${name}`, () => {
      const session = connected(options, {
        authenticationMethod: options.authenticationMethod,
      });
      session.handlePacket(packet, 1);
      assertViolation(session, 0x82, rule);
    });
  }
});

describe("ClientSession: limits and state (identifiers, sizes)", () => {
  it("[MQTT-3.2.2-15] authenticate(): an AUTH larger than the server's Maximum Packet Size without its Reason String throws 0x95, and starts nothing; with it left out, it goes", () => {
    const method = "M";
    const session = connected({ authenticationMethod: method }, {
      authenticationMethod: method,
      maximumPacketSize: 32,
    });
    const error = assertThrows(
      () =>
        session.authenticate({
          reasonCode: 0x19,
          authenticationData: new Uint8Array(40),
        }, 1),
      MqttError,
      "Maximum Packet Size",
    );
    assertEquals(error.reasonCode, 0x95);
    assertEquals(packets(session), []);
    // Not under way: a re-authentication may start, its Reason String left
    // out to fit [MQTT-3.15.2-2].
    session.authenticate({
      reasonCode: 0x19,
      authenticationData: new Uint8Array(4),
      reasonString: "r".repeat(40),
    }, 2);
    assertEquals(packets(session), [{
      type: "auth",
      reasonCode: 0x19,
      authenticationMethod: method,
      authenticationData: new Uint8Array(4),
    }]);
  });

  it("acknowledge() checks a Reason String or User Properties at once, not when the PUBACK is written", () => {
    const session = connected({ manualAcknowledgement: true });
    session.handlePacket({
      type: "publish",
      topic: "a",
      payload: new Uint8Array(),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 3,
    }, 1);
    const event = events(session)[0];
    assert(event.type === "message" && event.id !== undefined);
    assertThrows(
      () =>
        session.acknowledge({
          id: event.id!,
          reasonString: 42 as unknown as string,
        }, 2),
      MqttError,
      "acknowledge",
    );
    assertEquals(packets(session), []);
    assert(session.acknowledge({ id: event.id!, reasonString: "ok" }, 2));
    assertEquals(packets(session), [{
      type: "puback",
      packetId: 3,
      reasonString: "ok",
    }]);
  });
});

describe("ClientSession: limits and state", () => {
  it("maximumQueuedMessages: a publish past it ends in a dropped event with its id", () => {
    const session = new ClientSession({ maximumQueuedMessages: 1 });
    session.publish(message("a", 1), 0);
    const id = session.publish(message("b", 1), 0);
    assertEquals(events(session), [{
      type: "dropped",
      reason: "queue-full",
      message: message("b", 1),
      id,
    }]);
  });

  it("once everything is acknowledged, nothing is held", () => {
    const session = connected();
    session.publish(message("a", 1), 1);
    session.publish(message("b", 2), 1);
    session.subscribe({ subscriptions: [{ topicFilter: "x", qos: 0 }] }, 1);
    for (const packet of packets(session)) {
      if (packet.type === "publish" && packet.qos === 1) {
        session.handlePacket({ type: "puback", packetId: packet.packetId! }, 2);
      } else if (packet.type === "publish") {
        session.handlePacket({ type: "pubrec", packetId: packet.packetId! }, 2);
        session.handlePacket(
          { type: "pubcomp", packetId: packet.packetId! },
          2,
        );
      } else if (packet.type === "subscribe") {
        session.handlePacket({
          type: "suback",
          packetId: packet.packetId,
          reasonCodes: [0],
        }, 2);
      }
    }
    assertEquals(session.stats, NO_STATE);
  });

  it("every packet it sends encodes", () => {
    const session = connected({ topicAliasMaximum: 3 }, {
      topicAliasMaximum: 3,
    });
    session.publish({
      ...message("topic/x", 1),
      contentType: "a",
      messageExpiryInterval: 9,
    }, 1);
    session.subscribe({ subscriptions: [{ topicFilter: "a", qos: 1 }] }, 1);
    for (const packet of packets(session)) encode(packet);
    assertFalse(session.pollTransmit());
  });
});
