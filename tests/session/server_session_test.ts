/**
 * ServerSession, rule by rule: the CONNECT and its decision, keep alive,
 * subscriptions with every option, delivery, takeover, Wills, session
 * expiry, the client's violations, and enhanced authentication. Packets are
 * passed as objects; the model tests (session_model_test.ts) drive it
 * against clients.
 */

import { assert, assertEquals, assertFalse, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import {
  type ConnectPacket,
  encode,
  MqttError,
  type Packet,
  type PublishPacket,
  type SubscribePacket,
} from "../../mod.ts";
import {
  type ApplicationMessage,
  type DisconnectedEvent,
  type ServerEvent,
  ServerSession,
  type ServerSessionOptions,
  type ServerSubscribedEvent,
} from "../../src/entries/session.ts";
import { connectPacket, drain, NO_STATE } from "../support/sessions.ts";
import {
  assertEachThrowsMqttError,
  type MisuseCall,
} from "../support/assertions.ts";

const text = new TextEncoder();

const packets = (session: ServerSession): Packet[] =>
  drain(() => session.pollTransmit());
const events = (session: ServerSession): ServerEvent[] =>
  drain(() => session.pollEvent());

/** A session whose CONNECT was accepted at `now`; its CONNACK and events drained. */
function accepted(
  options: ServerSessionOptions = {},
  connect: Partial<ConnectPacket> = {},
  now = 0,
  previous?: ServerSession,
): ServerSession {
  const session = new ServerSession(options);
  session.handlePacket(connectPacket(connect), now);
  events(session);
  session.accept({ previous }, now);
  packets(session);
  events(session);
  return session;
}

function subscribe(
  session: ServerSession,
  subscriptions: SubscribePacket["subscriptions"],
  extra: Partial<SubscribePacket> = {},
  now = 1,
): ServerSubscribedEvent {
  session.handlePacket(
    { type: "subscribe", packetId: 1, subscriptions, ...extra },
    now,
  );
  return events(session).find((e) =>
    e.type === "subscribed"
  ) as ServerSubscribedEvent;
}

function message(
  topic = "a/b",
  qos: 0 | 1 | 2 = 1,
  extra: Partial<ApplicationMessage> = {},
): ApplicationMessage {
  return { topic, payload: text.encode("x"), qos, retain: false, ...extra };
}

function assertViolation(session: ServerSession, code: number, rule: string) {
  assertEquals(packets(session), [{ type: "disconnect", reasonCode: code }]);
  const last = events(session).find((e) =>
    e.type === "disconnected"
  ) as DisconnectedEvent;
  assertEquals([last.initiator, last.reasonCode], ["local", code]);
  assert(last.error?.message.includes(rule), last.error?.message);
}

describe("ServerSession: CONNECT", () => {
  it("[MQTT-3.1.0-1] a first packet other than CONNECT closes the connection without a word", () => {
    const session = new ServerSession();
    session.handlePacket({ type: "pingreq" }, 0);
    assertEquals(packets(session), []);
    const [event] = events(session);
    assertEquals(event.type, "disconnected");
    assertEquals(session.state, "closed");
  });

  it("reports the CONNECT and waits for the decision", () => {
    const session = new ServerSession();
    const connect = connectPacket();
    session.handlePacket(connect, 0);
    assertEquals(events(session), [{ type: "connect", packet: connect }]);
    assertEquals(packets(session), []);
    assertEquals(session.state, "connecting");
  });

  it("accept(): a CONNACK with the server's limits [MQTT-3.2.2-9]; the session is connected", () => {
    const session = new ServerSession({
      receiveMaximum: 20,
      maximumQoS: 1,
      retainAvailable: false,
      maximumPacketSize: 1_000,
      topicAliasMaximum: 5,
      wildcardSubscriptionAvailable: false,
      subscriptionIdentifiersAvailable: false,
      sharedSubscriptionAvailable: false,
    });
    session.handlePacket(connectPacket(), 0);
    session.accept(
      { reasonString: "welcome", userProperties: [["k", "v"]] },
      0,
    );
    assertEquals(packets(session), [{
      type: "connack",
      sessionPresent: false,
      reasonCode: 0,
      receiveMaximum: 20,
      maximumQoS: 1,
      retainAvailable: false,
      maximumPacketSize: 1_000,
      topicAliasMaximum: 5,
      wildcardSubscriptionAvailable: false,
      subscriptionIdentifiersAvailable: false,
      sharedSubscriptionAvailable: false,
      reasonString: "welcome",
      userProperties: [["k", "v"]],
    }]);
    assertEquals([session.state, session.clientId], ["connected", "c"]);
  });

  it("[MQTT-3.1.3-6] [MQTT-3.1.3-7] [MQTT-3.2.2-16] an empty Client Identifier needs an assigned one, which the CONNACK carries", () => {
    const session = new ServerSession();
    session.handlePacket(connectPacket({ clientId: "" }), 0);
    assertThrows(() => session.accept({}, 0), MqttError, "[MQTT-3.1.3-6]");
    session.accept({ assignedClientIdentifier: "auto-1" }, 0);
    assertEquals(session.clientId, "auto-1");
    assertEquals(
      (packets(session)[0] as { assignedClientIdentifier: string })
        .assignedClientIdentifier,
      "auto-1",
    );
  });

  it("Server Keep Alive: a client asking for more than maximumKeepAlive, or 0, is told the maximum, and held to it", () => {
    for (const keepAlive of [0, 301]) {
      const session = new ServerSession({ maximumKeepAlive: 300 });
      session.handlePacket(connectPacket({ keepAlive }), 0);
      session.accept({}, 0);
      assertEquals(
        (packets(session)[0] as { serverKeepAlive: number }).serverKeepAlive,
        300,
      );
      assertEquals(session.pollTimeout(), 450_000);
    }
    const session = new ServerSession({ maximumKeepAlive: 300 });
    session.handlePacket(connectPacket({ keepAlive: 30 }), 0);
    session.accept({}, 0);
    assertEquals(
      (packets(session)[0] as { serverKeepAlive?: number }).serverKeepAlive,
      undefined,
    );
  });

  it("MQTT 3.1.1 and 3.1 have no Server Keep Alive: accept({ serverKeepAlive }) is ignored, not a Keep Alive the client never heard of", () => {
    for (const protocolVersion of [3, 4] as const) {
      const session = new ServerSession();
      session.handlePacket(connectPacket({ protocolVersion, keepAlive: 0 }), 0);
      session.accept({ serverKeepAlive: 10 }, 0);
      assertEquals(packets(session), [
        { type: "connack", sessionPresent: false, reasonCode: 0 },
      ]);
      assertEquals(session.pollTimeout(), undefined);
      session.handleTimeout(15_000);
      assertEquals(session.state, "connected");
    }
    // (Its value is still checked.)
    const session = new ServerSession();
    session.handlePacket(connectPacket({ protocolVersion: 4 }), 0);
    assertThrows(
      () => session.accept({ serverKeepAlive: -1 }, 0),
      MqttError,
      "serverKeepAlive",
    );
  });

  it("[MQTT-3.1.2-24] a CONNACK larger than the client's Maximum Packet Size loses its Reason String and User Properties; one too large even then is a refusal with 0x95, and the previous session is not touched", () => {
    const fits = new ServerSession();
    fits.handlePacket(connectPacket({ maximumPacketSize: 16 }), 0);
    fits.accept({ reasonString: "welcome, welcome, welcome" }, 0);
    assertEquals(packets(fits), [{
      type: "connack",
      sessionPresent: false,
      reasonCode: 0,
    }]);

    const previous = accepted({}, { sessionExpiryInterval: 60 });
    subscribe(previous, [{ topicFilter: "kept", qos: 1 }]);
    previous.connectionLost(1);
    events(previous);
    const session = new ServerSession();
    session.handlePacket(
      connectPacket({
        cleanStart: false,
        maximumPacketSize: 16,
        requestResponseInformation: true,
      }),
      2,
    );
    session.accept({ previous, responseInformation: "r/".repeat(20) }, 2);
    assertEquals(packets(session), [{
      type: "connack",
      sessionPresent: false,
      reasonCode: 0x95,
    }]);
    const closed = events(session).at(-1);
    assert(closed?.type === "disconnected");
    assertEquals(closed.error?.reasonCode, 0x95);
    assert(closed.error?.message.includes("[MQTT-3.1.2-24]"));
    assertEquals([session.state, previous.state], ["closed", "disconnected"]);
    assertEquals([...previous.subscriptions.keys()], ["kept"]);
  });

  it("connectionOpened: no CONNECT within connectTimeout closes the connection without a word (section 3.1.4); a CONNECT in time stops the clock", () => {
    const late = new ServerSession({ connectTimeout: 5_000 });
    assertEquals(late.pollTimeout(), undefined); // not opened: no deadline
    late.connectionOpened(1_000);
    assertEquals(late.pollTimeout(), 6_000);
    late.handleTimeout(5_999);
    assertEquals(late.state, "new");
    late.handleTimeout(6_000);
    assertEquals(packets(late), []);
    const event = late.pollEvent();
    assertEquals(
      event?.type === "disconnected" && [event.initiator, event.reasonCode],
      ["local", 0x8d],
    );
    assertEquals([late.state, late.pollTimeout()], ["closed", undefined]);

    const inTime = new ServerSession({ connectTimeout: 5_000 });
    inTime.connectionOpened(1_000);
    inTime.handlePacket(connectPacket({ keepAlive: 0 }), 5_000);
    inTime.accept({}, 5_000);
    inTime.handleTimeout(6_000);
    assertEquals(inTime.state, "connected");
    assertEquals(inTime.pollTimeout(), undefined); // Keep Alive 0
  });

  it("[MQTT-3.2.2-6] maximumKeepAlive in MQTT 3.1.1 and 3.1: a Keep Alive above it, or 0, is refused with return code 2; one within it stands", () => {
    for (const protocolVersion of [3, 4] as const) {
      for (const keepAlive of [0, 301]) {
        const session = new ServerSession({ maximumKeepAlive: 300 });
        session.handlePacket(connectPacket({ protocolVersion, keepAlive }), 0);
        assertEquals(packets(session), [
          { type: "connack", sessionPresent: false, reasonCode: 2 },
        ]);
        assertEquals(session.pollEvent()?.type, "disconnected");
        assertEquals(session.state, "closed");
      }
      const session = new ServerSession({ maximumKeepAlive: 300 });
      session.handlePacket(
        connectPacket({ protocolVersion, keepAlive: 300 }),
        0,
      );
      session.accept({}, 0);
      assertEquals(packets(session), [
        { type: "connack", sessionPresent: false, reasonCode: 0 },
      ]);
      assertEquals(session.pollTimeout(), 450_000);
    }
  });

  it("[MQTT-3.1.2-28] Response Information only when the client asked for it", () => {
    for (const requested of [true, false]) {
      const session = new ServerSession();
      session.handlePacket(
        connectPacket({ requestResponseInformation: requested }),
        0,
      );
      session.accept({ responseInformation: "reply/" }, 0);
      assertEquals(
        (packets(session)[0] as { responseInformation?: string })
          .responseInformation,
        requested ? "reply/" : undefined,
      );
    }
  });

  it("reject(): a refusing CONNACK, then the end; MQTT 3.1.1 gets the nearest return code", () => {
    const session = new ServerSession();
    session.handlePacket(connectPacket(), 0);
    session.reject({ reasonCode: 0x86, reasonString: "no" }, 0);
    assertEquals(packets(session), [{
      type: "connack",
      sessionPresent: false,
      reasonCode: 0x86,
      reasonString: "no",
    }]);
    assertEquals(events(session).at(-1), {
      type: "disconnected",
      initiator: "local",
      reasonCode: 0x86,
    });
    assertEquals(session.state, "closed");
    const v4 = new ServerSession();
    v4.handlePacket(connectPacket({ protocolVersion: 4 }), 0);
    v4.reject({ reasonCode: 0x86 }, 0);
    assertEquals(packets(v4), [{
      type: "connack",
      sessionPresent: false,
      reasonCode: 4,
    }]);
    const unmapped = new ServerSession();
    unmapped.handlePacket(connectPacket({ protocolVersion: 4 }), 0);
    unmapped.reject({ reasonCode: 0x97 }, 0);
    assertEquals(packets(unmapped), []); // 3.1.1 [MQTT-3.2.2-6]: no fitting code, no CONNACK
  });

  it("reject() refuses a code a refusing CONNACK cannot carry; accept() and reject() need a pending CONNECT", () => {
    const session = new ServerSession();
    assertThrows(() => session.accept({}, 0), MqttError, "no CONNECT");
    session.handlePacket(connectPacket(), 0);
    assertThrows(() => session.reject({ reasonCode: 0x10 }, 0), MqttError);
    session.accept({}, 0);
    assertThrows(() => session.reject({ reasonCode: 0x87 }, 0), MqttError);
  });

  const refusals: [
    string,
    Partial<ConnectPacket>,
    ServerSessionOptions,
    number,
  ][] = [
    [
      "[MQTT-3.2.2-12] a Will QoS above the Maximum QoS",
      { will: { ...message("w", 2), qos: 2 } },
      { maximumQoS: 1 },
      0x9b,
    ],
    [
      "[MQTT-3.2.2-13] a retained Will without Retain Available",
      { will: { ...message("w", 0), retain: true } },
      { retainAvailable: false },
      0x9a,
    ],
  ];
  for (const [name, connect, options, code] of refusals) {
    it(`refuses ${name} by itself, CONNACK 0x${code.toString(16)}`, () => {
      const session = new ServerSession(options);
      session.handlePacket(connectPacket(connect), 0);
      assertEquals(packets(session), [{
        type: "connack",
        sessionPresent: false,
        reasonCode: code,
      }]);
      assertEquals(events(session).map((e) => e.type), ["disconnected"]);
    });
  }

  it("keeps packets sent before the decision, and handles them once accepted", () => {
    const session = new ServerSession();
    session.handlePacket(connectPacket(), 0);
    session.handlePacket({ type: "pingreq" }, 1);
    assertEquals(packets(session), []);
    session.accept({}, 2);
    assertEquals(packets(session).map((p) => p.type), ["connack", "pingresp"]);
  });

  it("[MQTT-3.1.2-30] with an Authentication Method, only AUTH and DISCONNECT may come before the CONNACK", () => {
    const session = new ServerSession();
    session.handlePacket(connectPacket({ authenticationMethod: "m" }), 0);
    session.handlePacket({ type: "pingreq" }, 1);
    assertEquals(packets(session), [{
      type: "connack",
      sessionPresent: false,
      reasonCode: 0x82,
    }]);
  });

  it("[MQTT-3.1.0-2] a second CONNECT is a protocol error", () => {
    const session = accepted();
    session.handlePacket(connectPacket(), 1);
    assertViolation(session, 0x82, "[MQTT-3.1.0-2]");
  });

  it("handleError before the CONNACK answers with a refusing CONNACK [MQTT-3.14.0-1], after it with a DISCONNECT", () => {
    const early = new ServerSession();
    early.handlePacket(connectPacket(), 0);
    early.handleError(new MqttError("too large", 0x95), 1);
    assertEquals(packets(early), [{
      type: "connack",
      sessionPresent: false,
      reasonCode: 0x95,
    }]);
    const late = accepted();
    late.handleError(new MqttError("malformed", 0x81), 1);
    assertViolation(late, 0x81, "malformed");
  });
  it("[MQTT-3.1.2-2] [MQTT-3.1.3-8] a first packet that is a CONNECT of a protocol level we do not speak (0x84), or with a client id its version refuses (0x85), gets return code 1 or 2 in MQTT 3.1.1's CONNACK; other faults no answer", () => {
    const table: [number, Packet[]][] = [
      [0x84, [{ type: "connack", sessionPresent: false, reasonCode: 1 }]],
      [0x85, [{ type: "connack", sessionPresent: false, reasonCode: 2 }]],
      [0x81, []],
      [0x95, []],
    ];
    for (const [code, answer] of table) {
      const session = new ServerSession();
      session.handleError(new MqttError("bad CONNECT", code), 0);
      assertEquals(packets(session), answer, `0x${code.toString(16)}`);
      if (answer.length > 0) {
        // Written in the 3.1.1 form, whose bytes 3.1 reads alike.
        assertEquals(session.protocolVersion, 4);
        assertEquals(encode(answer[0], { protocolVersion: 4 }).length, 4);
      }
      const event = session.pollEvent() as DisconnectedEvent;
      assertEquals([event.type, event.reasonCode], ["disconnected", code]);
      assertEquals(session.state, "closed");
    }
  });
});

describe("ServerSession: keep alive", () => {
  it("[MQTT-3.12.4-1] answers PINGREQ with PINGRESP", () => {
    const session = accepted();
    session.handlePacket({ type: "pingreq" }, 1);
    assertEquals(packets(session), [{ type: "pingresp" }]);
  });

  it("[MQTT-3.1.2-22] closes a client silent for 1.5 times its Keep Alive: DISCONNECT 0x8D, and its Will", () => {
    const session = accepted({}, { keepAlive: 10, will: message("will") });
    session.handlePacket({ type: "pingreq" }, 4_000);
    packets(session);
    assertEquals(session.pollTimeout(), 19_000);
    session.handleTimeout(18_999);
    assertEquals(session.state, "connected");
    session.handleTimeout(19_000);
    assertEquals(packets(session), [{ type: "disconnect", reasonCode: 0x8d }]);
    assertEquals(
      events(session).map((e) => e.type),
      ["disconnected", "will", "ended"],
    );
  });

  it("a CONNECT left undecided past connectTimeout, enhanced authentication included, is refused with 0x87", () => {
    const session = new ServerSession({ connectTimeout: 5_000 });
    session.handlePacket(
      connectPacket({ keepAlive: 0, authenticationMethod: "m" }),
      1_000,
    );
    events(session);
    session.authenticate({ reasonCode: 0x18 }, 1_000);
    packets(session);
    assertEquals(session.pollTimeout(), 6_000);
    session.handleTimeout(6_000);
    assertEquals(packets(session), [{
      type: "connack",
      sessionPresent: false,
      reasonCode: 0x87,
    }]);
    assertEquals(session.state, "closed");
  });

  it("Keep Alive 0: no deadline", () => {
    assertEquals(accepted({}, { keepAlive: 0 }).pollTimeout(), undefined);
  });
});

describe("ServerSession: subscriptions", () => {
  it("[MQTT-3.8.4-1] [MQTT-3.8.4-2] [MQTT-3.8.4-7] answers with a SUBACK granting at most the Maximum QoS; reports the subscriptions", () => {
    const session = accepted({ maximumQoS: 1 });
    const event = subscribe(session, [
      { topicFilter: "a/#", qos: 2, noLocal: true },
      { topicFilter: "b", qos: 0 },
    ], { subscriptionIdentifier: 7 });
    assertEquals(packets(session), [{
      type: "suback",
      packetId: 1,
      reasonCodes: [1, 0],
    }]);
    assertEquals(event.subscriptions, [
      {
        topicFilter: "a/#",
        qos: 1,
        isNew: true,
        sendRetained: true,
        noLocal: true,
        retainAsPublished: false,
        retainHandling: 0,
        subscriptionIdentifier: 7,
      },
      {
        topicFilter: "b",
        qos: 0,
        isNew: true,
        sendRetained: true,
        noLocal: false,
        retainAsPublished: false,
        retainHandling: 0,
        subscriptionIdentifier: 7,
      },
    ]);
    assertEquals([...session.subscriptions], [["a/#", 1], ["b", 0]]);
  });

  it("[MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11] retained messages by Retain Handling; [MQTT-3.8.4-3] a subscription to the same filter replaces the old", () => {
    const session = accepted();
    const first = subscribe(session, [
      { topicFilter: "r0", qos: 0, retainHandling: 0 },
      { topicFilter: "r1", qos: 0, retainHandling: 1 },
      { topicFilter: "r2", qos: 0, retainHandling: 2 },
    ]);
    assertEquals(first.subscriptions.map((s) => s.sendRetained), [
      true,
      true,
      false,
    ]);
    const again = subscribe(session, [
      { topicFilter: "r0", qos: 1, retainHandling: 0 },
      { topicFilter: "r1", qos: 1, retainHandling: 1 },
    ]);
    assertEquals(
      again.subscriptions.map((s) => [s.isNew, s.sendRetained, s.qos]),
      [[false, true, 1], [false, false, 1]],
    );
  });

  it("section 4.8.2: no retained messages for a shared subscription", () => {
    const event = subscribe(accepted(), [{
      topicFilter: "$share/g/a",
      qos: 1,
    }]);
    assertEquals(event.subscriptions[0].sendRetained, false);
  });

  const refused: [string, ServerSessionOptions, string, number][] = [
    [
      "a shared subscription without Shared Subscription Available",
      {
        sharedSubscriptionAvailable: false,
      },
      "$share/g/a",
      0x9e,
    ],
    [
      "a wildcard without Wildcard Subscription Available",
      {
        wildcardSubscriptionAvailable: false,
      },
      "a/+",
      0xa2,
    ],
    [
      "a subscription past maximumSubscriptions",
      { maximumSubscriptions: 1 },
      "b",
      0x97,
    ],
  ];
  for (const [name, options, filter, code] of refused) {
    it(`refuses ${name} (SUBACK 0x${code.toString(16)}; 0x80 in MQTT 3.1.1)`, () => {
      for (const version of [5, 4] as const) {
        if (version === 4 && filter.startsWith("$share")) continue;
        const session = accepted(options, { protocolVersion: version });
        subscribe(session, [{ topicFilter: "a", qos: 0 }]);
        packets(session);
        const event = subscribe(session, [{ topicFilter: filter, qos: 1 }]);
        assertEquals(packets(session), [{
          type: "suback",
          packetId: 1,
          reasonCodes: [version === 5 ? code : 0x80],
        }]);
        assertEquals(event.subscriptions, []);
      }
    });
  }

  it("a Subscription Identifier without Subscription Identifiers Available closes with 0xA1", () => {
    const session = accepted({ subscriptionIdentifiersAvailable: false });
    session.handlePacket({
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "a", qos: 0 }],
      subscriptionIdentifier: 3,
    }, 1);
    assertViolation(session, 0xa1, "Subscription Identifiers");
  });

  it("[MQTT-3.10.4-1] [MQTT-3.10.4-4] [MQTT-3.10.4-5] UNSUBSCRIBE: removes exact matches, answers every filter (0x11 for none)", () => {
    const session = accepted();
    subscribe(session, [{ topicFilter: "a/#", qos: 0 }]);
    packets(session);
    session.handlePacket({
      type: "unsubscribe",
      packetId: 2,
      topicFilters: ["a/+", "a/#"],
    }, 2);
    assertEquals(packets(session), [{
      type: "unsuback",
      packetId: 2,
      reasonCodes: [0x11, 0],
    }]);
    assertEquals(events(session), [{
      type: "unsubscribed",
      topicFilters: ["a/#"],
      packet: {
        type: "unsubscribe",
        packetId: 2,
        topicFilters: ["a/+", "a/#"],
      },
      reasonCodes: [0x11, 0],
    }]);
    const v4 = accepted({}, { protocolVersion: 4 });
    v4.handlePacket(
      { type: "unsubscribe", packetId: 2, topicFilters: ["x"] },
      2,
    );
    assertEquals(packets(v4), [{
      type: "unsuback",
      packetId: 2,
      reasonCodes: [],
    }]);
  });

  it("manual acknowledgement: the application may refuse a subscription; only granted ones are reported", () => {
    const session = accepted({ manualAcknowledgement: true });
    session.handlePacket({
      type: "subscribe",
      packetId: 4,
      subscriptions: [{ topicFilter: "ok", qos: 1 }, {
        topicFilter: "test/nosubscribe",
        qos: 1,
      }],
    }, 1);
    const [request] = events(session);
    assert(request.type === "subscribe");
    assertEquals(request.reasonCodes, [1, 1]);
    assertEquals(packets(session), []);
    assertThrows(
      () => session.acknowledge({ id: request.id, reasonCodes: [2, 0x80] }, 2),
      MqttError,
      "[MQTT-3.8.4-7]",
    );
    assert(session.acknowledge({ id: request.id, reasonCodes: [1, 0x87] }, 2));
    assertEquals(packets(session), [{
      type: "suback",
      packetId: 4,
      reasonCodes: [1, 0x87],
    }]);
    const [granted] = events(session);
    assert(granted.type === "subscribed");
    assertEquals(granted.subscriptions.map((s) => s.topicFilter), ["ok"]);
    assertFalse(session.acknowledge({ id: request.id }, 3));
  });

  it("3.1.1 section 3.9.3: a refusal given to acknowledge() as an MQTT 5.0 code (0x87) goes as 0x80, the one 3.1.1 has; MQTT 3.1, which has none, is told the QoS asked (as mosquitto does), and nothing is subscribed", () => {
    for (const [protocolVersion, refusal] of [[4, 0x80], [3, 1]] as const) {
      const session = accepted({ manualAcknowledgement: true }, {
        protocolVersion,
      });
      session.handlePacket({
        type: "subscribe",
        packetId: 1,
        subscriptions: [{ topicFilter: "t", qos: 1 }, {
          topicFilter: "u",
          qos: 1,
        }],
      }, 1);
      const [request] = events(session);
      assert(request.type === "subscribe");
      session.acknowledge({ id: request.id, reasonCodes: [0x87, 1] }, 1);
      const sent = packets(session);
      assertEquals(sent, [{
        type: "suback",
        packetId: 1,
        reasonCodes: [refusal, 1],
      }]);
      encode(sent[0], { protocolVersion });
      const [done] = events(session);
      assert(done.type === "subscribed");
      assertEquals(done.reasonCodes, [refusal, 1]);
      assertEquals([...session.subscriptions.keys()], ["u"]);
    }
  });

  it("[MQTT-2.2.1-3] manual acknowledgement: a SUBSCRIBE or UNSUBSCRIBE with the identifier of one not answered yet is a protocol error (0x82): at most 65,535 wait", () => {
    const session = accepted({ manualAcknowledgement: true });
    session.handlePacket({
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "t", qos: 1 }],
    }, 1);
    const [request] = events(session);
    assert(request.type === "subscribe");
    // Answered, its identifier is free again.
    session.acknowledge({ id: request.id }, 2);
    packets(session);
    events(session);
    for (const packetId of [1, 2]) {
      session.handlePacket({
        type: "unsubscribe",
        packetId,
        topicFilters: ["t"],
      }, 3);
    }
    assertEquals(session.stats.unanswered, 2);
    session.handlePacket({
      type: "subscribe",
      packetId: 2,
      subscriptions: [{ topicFilter: "t", qos: 1 }],
    }, 4);
    assertViolation(session, 0x82, "[MQTT-2.2.1-3]");
    assertEquals(session.stats.unanswered, 0);

    // MQTT 3.1.1 numbers the rule [MQTT-2.3.1-2], and just closes.
    const v4 = accepted({ manualAcknowledgement: true }, {
      protocolVersion: 4,
    });
    for (let i = 0; i < 2; i++) {
      v4.handlePacket(
        { type: "unsubscribe", packetId: 7, topicFilters: ["t"] },
        1,
      );
    }
    assertEquals(packets(v4), []);
    const closed = events(v4).find((e) => e.type === "disconnected");
    assert(
      closed?.type === "disconnected" &&
        closed.error?.message.includes("[MQTT-2.3.1-2]"),
    );
  });

  it("[MQTT-3.1.2-24] a SUBACK or UNSUBACK too large for the client's Maximum Packet Size even without its Reason String closes the connection with 0x95; nothing changes", () => {
    const filters = Array.from({ length: 20 }, (_, i) => `f/${i}`);
    for (const manualAcknowledgement of [false, true]) {
      const session = accepted({ manualAcknowledgement }, {
        maximumPacketSize: 16,
        sessionExpiryInterval: 60,
      });
      session.handlePacket({
        type: "subscribe",
        packetId: 1,
        subscriptions: [{ topicFilter: "kept", qos: 0 }],
      }, 1);
      const [first] = events(session);
      if (first.type === "subscribe") session.acknowledge({ id: first.id }, 1);
      packets(session);
      events(session);
      session.handlePacket({
        type: "subscribe",
        packetId: 2,
        subscriptions: filters.map((topicFilter) => ({ topicFilter, qos: 0 })),
      }, 2);
      if (manualAcknowledgement) {
        const [request] = events(session);
        assert(request.type === "subscribe");
        assert(session.acknowledge({ id: request.id }, 2));
      }
      assertViolation(session, 0x95, "SUBSCRIBE: the SUBACK is larger");
      assertEquals([...session.subscriptions.keys()], ["kept"]);
    }
    const session = accepted({}, { maximumPacketSize: 16 });
    session.handlePacket({
      type: "unsubscribe",
      packetId: 2,
      topicFilters: filters,
    }, 2);
    assertViolation(session, 0x95, "[MQTT-3.1.2-24]");
  });
});

describe("ServerSession: delivery", () => {
  it("[MQTT-3.3.4-2] [MQTT-3.3.4-3] [MQTT-3.3.4-4] overlapping subscriptions: one copy at the highest QoS, with every Subscription Identifier", () => {
    const session = accepted();
    subscribe(session, [{ topicFilter: "a/+", qos: 1 }], {
      subscriptionIdentifier: 1,
    });
    subscribe(session, [{ topicFilter: "a/#", qos: 2 }], {
      subscriptionIdentifier: 2,
    });
    subscribe(session, [{ topicFilter: "#", qos: 0 }]);
    packets(session);
    assert(
      session.deliver({
        message: message("a/b", 2),
        topicFilters: ["a/+", "a/#", "#"],
      }, 2),
    );
    const [p] = packets(session) as PublishPacket[];
    assertEquals([p.qos, p.subscriptionIdentifiers], [2, [1, 2]]);
  });

  it("without topicFilters, the session finds its own matching non-shared subscriptions (one copy for all of them)", () => {
    const session = accepted();
    subscribe(session, [{ topicFilter: "a/+", qos: 1 }], {
      subscriptionIdentifier: 1,
    });
    subscribe(session, [{ topicFilter: "a/#", qos: 2 }], {
      subscriptionIdentifier: 2,
    });
    subscribe(session, [{ topicFilter: "$share/g/a/#", qos: 2 }], {
      subscriptionIdentifier: 3,
    });
    subscribe(session, [{ topicFilter: "b/#", qos: 2, noLocal: true }]);
    packets(session);
    assert(session.deliver({ message: message("a/b", 2) }, 2));
    const [p] = packets(session) as PublishPacket[];
    assertEquals([p.qos, p.subscriptionIdentifiers], [2, [1, 2]]);
    assertFalse(
      session.deliver({ message: message("b/c"), publisher: "c" }, 2),
    );
    assertFalse(session.deliver({ message: message("x/y") }, 2));
  });

  it("[MQTT-3.8.4-8] never above the message's own QoS", () => {
    const session = accepted();
    subscribe(session, [{ topicFilter: "a/#", qos: 2 }]);
    packets(session);
    session.deliver({ message: message("a/b", 0), topicFilters: ["a/#"] }, 2);
    assertEquals((packets(session)[0] as PublishPacket).qos, 0);
  });

  it("[MQTT-3.8.3-3] No Local: not the client's own messages", () => {
    const session = accepted();
    subscribe(session, [{ topicFilter: "a/#", qos: 1, noLocal: true }]);
    packets(session);
    assertFalse(
      session.deliver({
        message: message(),
        topicFilters: ["a/#"],
        publisher: "c",
      }, 2),
    );
    assert(
      session.deliver({
        message: message(),
        topicFilters: ["a/#"],
        publisher: "other",
      }, 2),
    );
  });

  it("[MQTT-3.3.1-12] [MQTT-3.3.1-13] RETAIN kept only with Retain As Published; a retained message sent on subscribing keeps it", () => {
    const session = accepted();
    subscribe(session, [{
      topicFilter: "keep/#",
      qos: 0,
      retainAsPublished: true,
    }]);
    subscribe(session, [{ topicFilter: "clear/#", qos: 0 }]);
    packets(session);
    const retained = (topic: string) => message(topic, 0, { retain: true });
    session.deliver(
      { message: retained("keep/a"), topicFilters: ["keep/#"] },
      2,
    );
    session.deliver(
      { message: retained("clear/a"), topicFilters: ["clear/#"] },
      2,
    );
    session.deliver({
      message: retained("clear/b"),
      topicFilters: ["clear/#"],
      retained: true,
    }, 2);
    assertEquals(packets(session).map((p) => (p as PublishPacket).retain), [
      true,
      false,
      true,
    ]);
  });

  it("MQTT 3.1.1: RETAIN 0 on forwarding (3.1.1 [MQTT-3.3.1-9]), 1 for a retained message on subscribing ([MQTT-3.3.1-8])", () => {
    const session = accepted({}, { protocolVersion: 4 });
    subscribe(session, [{ topicFilter: "a/#", qos: 0 }]);
    packets(session);
    const retained = message("a/x", 0, {
      retain: true,
      contentType: "dropped in 3.1.1",
    });
    session.deliver({ message: retained, topicFilters: ["a/#"] }, 2);
    session.deliver({
      message: retained,
      topicFilters: ["a/#"],
      retained: true,
    }, 2);
    const sent = packets(session) as PublishPacket[];
    assertEquals(sent.map((p) => p.retain), [false, true]);
    for (const packet of sent) encode(packet, { protocolVersion: 4 });
  });

  it("ignores filters that are not its subscriptions, or do not match the topic [MQTT-3.3.2-3]", () => {
    const session = accepted();
    subscribe(session, [{ topicFilter: "a/#", qos: 1 }]);
    packets(session);
    assertFalse(
      session.deliver({ message: message("b/c"), topicFilters: ["a/#"] }, 2),
    );
    assertFalse(
      session.deliver({ message: message("a/b"), topicFilters: ["x/#"] }, 2),
    );
  });

  it("a shared subscription delivers by its filter without the $share prefix", () => {
    const session = accepted();
    subscribe(session, [{ topicFilter: "$share/g/jobs/+", qos: 1 }]);
    packets(session);
    assert(
      session.deliver({
        message: message("jobs/1"),
        topicFilters: ["$share/g/jobs/+"],
      }, 2),
    );
    assertEquals((packets(session)[0] as PublishPacket).topic, "jobs/1");
  });

  it("[MQTT-3.3.4-9] never more in flight than the client's Receive Maximum, nor maximumInFlight", () => {
    for (
      const [options, connect] of [
        [{}, { receiveMaximum: 2 }],
        [{ maximumInFlight: 2 }, {}],
      ] as const
    ) {
      const session = accepted(options, connect);
      subscribe(session, [{ topicFilter: "#", qos: 1 }]);
      packets(session);
      for (let i = 0; i < 5; i++) {
        session.deliver({ message: message(`t/${i}`), topicFilters: ["#"] }, 2);
      }
      assertEquals(packets(session).length, 2);
      session.handlePacket({ type: "puback", packetId: 1 }, 3);
      assertEquals(packets(session).length, 1);
    }
  });

  it("[MQTT-3.1.2-26] [MQTT-3.1.2-27] Topic Aliases to a client that takes them, within its maximum", () => {
    const session = accepted({}, { topicAliasMaximum: 1 });
    subscribe(session, [{ topicFilter: "#", qos: 0 }]);
    packets(session);
    for (const topic of ["sensors/1", "sensors/1", "sensors/2"]) {
      session.deliver({ message: message(topic, 0), topicFilters: ["#"] }, 2);
    }
    assertEquals(
      packets(session).map((
        p,
      ) => [(p as PublishPacket).topic, (p as PublishPacket).topicAlias]),
      [["sensors/1", 1], ["", 1], ["sensors/2", undefined]],
    );
  });

  it("[MQTT-3.1.2-24] [MQTT-3.1.2-25] a message too large for the client is discarded, with a dropped event", () => {
    const session = accepted({}, { maximumPacketSize: 30 });
    subscribe(session, [{ topicFilter: "#", qos: 1 }]);
    packets(session);
    const big = message("a/b", 1, { payload: new Uint8Array(100) });
    assert(session.deliver({ message: big, topicFilters: ["#"] }, 2));
    assertEquals(packets(session), []);
    assertEquals(events(session), [{
      type: "dropped",
      reason: "too-large",
      message: big,
    }]);
  });

  it("[MQTT-3.3.2-6] sends the Message Expiry Interval left; [MQTT-3.3.2-5] drops a message that expired while queued", () => {
    const session = accepted({}, { receiveMaximum: 1 });
    subscribe(session, [{ topicFilter: "#", qos: 1 }]);
    packets(session);
    const first = message("a", 1, { messageExpiryInterval: 100 });
    const second = message("b", 1, { messageExpiryInterval: 5 });
    session.deliver({ message: first, topicFilters: ["#"] }, 0);
    session.deliver({ message: second, topicFilters: ["#"] }, 0);
    assertEquals(
      (packets(session)[0] as PublishPacket).messageExpiryInterval,
      100,
    );
    session.handlePacket({ type: "puback", packetId: 1 }, 6_000);
    assertEquals(packets(session), []);
    assertEquals(events(session), [{
      type: "dropped",
      reason: "expired",
      message: second,
    }]);
  });

  it("a disconnected client: QoS 1/2 queued and sent when it resumes; QoS 0 refused unless queueQoS0WhileDisconnected", () => {
    const session = accepted({}, {
      cleanStart: false,
      sessionExpiryInterval: 60,
    });
    subscribe(session, [{ topicFilter: "#", qos: 1 }]);
    session.connectionLost(2);
    events(session);
    assertFalse(
      session.deliver({ message: message("q0", 0), topicFilters: ["#"] }, 3),
    );
    assert(
      session.deliver({ message: message("q1", 1), topicFilters: ["#"] }, 3),
    );
    const next = accepted(
      {},
      { cleanStart: false, sessionExpiryInterval: 60 },
      4,
      session,
    );
    assertEquals(next.stats.queuedMessages, 0); // sent with the CONNACK
    const keeping = accepted({ queueQoS0WhileDisconnected: true }, {
      sessionExpiryInterval: 60,
    });
    subscribe(keeping, [{ topicFilter: "#", qos: 1 }]);
    keeping.connectionLost(2);
    assert(
      keeping.deliver({ message: message("q0", 0), topicFilters: ["#"] }, 3),
    );
  });

  it("section 3.3.2.3.3: an expired message does not keep a queue slot from a live one: at the limit it is dropped (expired) first", () => {
    const session = accepted({ maximumQueuedMessages: 1 }, {
      sessionExpiryInterval: 100,
    });
    subscribe(session, [{ topicFilter: "t", qos: 1 }]);
    session.connectionLost(1);
    events(session);
    const short = message("t", 1, { messageExpiryInterval: 1 });
    assert(session.deliver({ message: short }, 1_000));
    assertFalse(session.deliver({ message: message("t") }, 1_999));
    assert(session.deliver({ message: message("t") }, 2_000));
    assertEquals(events(session), [{
      type: "dropped",
      reason: "expired",
      message: short,
    }]);
    assertEquals(session.stats.queuedMessages, 1);
  });

  it("queue limits: QoS 0 dropped first, then refused; every accepted message that is dropped is reported", () => {
    const session = accepted({ maximumQueuedMessages: 2 }, {
      receiveMaximum: 1,
    });
    subscribe(session, [{ topicFilter: "#", qos: 1 }]);
    packets(session);
    assert(
      session.deliver({ message: message("1", 1), topicFilters: ["#"] }, 2),
    ); // in flight
    packets(session);
    assert(
      session.deliver({ message: message("0", 0), topicFilters: ["#"] }, 2),
    );
    assert(
      session.deliver({ message: message("2", 1), topicFilters: ["#"] }, 2),
    ); // drops "0"
    assertFalse(
      session.deliver({ message: message("3", 1), topicFilters: ["#"] }, 2),
    );
    assertEquals(events(session), [{
      type: "dropped",
      reason: "queue-full",
      message: message("0", 0),
    }]);
  });
});

describe("ServerSession: takeover, Will and expiry", () => {
  it("[MQTT-3.1.4-3] a new connection for the client id: the old gets DISCONNECT 0x8E and closes; [MQTT-3.2.2-3] Clean Start 0 resumes, in-flight resent [MQTT-4.4.0-1]", () => {
    const old = accepted({}, { cleanStart: false, sessionExpiryInterval: 60 });
    subscribe(old, [{ topicFilter: "#", qos: 1 }]);
    packets(old);
    old.deliver({ message: message("m"), topicFilters: ["#"] }, 2);
    packets(old);
    const next = new ServerSession();
    next.handlePacket(
      connectPacket({ cleanStart: false, sessionExpiryInterval: 60 }),
      3,
    );
    events(next);
    next.accept({ previous: old }, 3);
    assertEquals(packets(old), [{ type: "disconnect", reasonCode: 0x8e }]);
    assertEquals(events(old), [{
      type: "disconnected",
      initiator: "local",
      reasonCode: 0x8e,
    }]);
    assertEquals(old.state, "closed");
    const sent = packets(next);
    assertEquals(sent[0], {
      type: "connack",
      sessionPresent: true,
      reasonCode: 0,
    });
    assertEquals([
      (sent[1] as PublishPacket).dup,
      (sent[1] as PublishPacket).packetId,
    ], [true, 1]);
    assertEquals([...next.subscriptions], [["#", 1]]);
    assertFalse(old.deliver({ message: message(), topicFilters: ["#"] }, 4));
  });

  it("[MQTT-3.1.2-4] [MQTT-3.2.2-2] Clean Start 1 ends the old session (ended: clean-start, with its filters); Session Present 0", () => {
    const old = accepted({}, { sessionExpiryInterval: 60 });
    subscribe(old, [{ topicFilter: "x", qos: 0 }]);
    old.connectionLost(2);
    events(old);
    const next = accepted({}, { cleanStart: true }, 3, old);
    assertEquals(events(old), [{
      type: "ended",
      reason: "clean-start",
      topicFilters: ["x"],
    }]);
    assertEquals([...next.subscriptions], []);
  });

  it("previous must be the same client's session", () => {
    const other = accepted({}, { clientId: "other" });
    const session = new ServerSession();
    session.handlePacket(connectPacket(), 0);
    assertThrows(
      () => session.accept({ previous: other }, 0),
      MqttError,
      "previous",
    );
  });

  it("[MQTT-3.1.2-10] a normal DISCONNECT deletes the Will; 0x04 keeps it [MQTT-3.1.2-8]", () => {
    for (const [reasonCode, wills] of [[0x00, 0], [0x04, 1]]) {
      const session = accepted({}, { will: message("w") });
      session.handlePacket({ type: "disconnect", reasonCode }, 1);
      assertEquals(
        events(session).filter((e) => e.type === "will").length,
        wills,
      );
    }
  });

  it("the Will waits for its Will Delay Interval, and goes with the session's end if that comes first", () => {
    const delayed = accepted({}, {
      will: { ...message("w"), willDelayInterval: 10 },
      sessionExpiryInterval: 60,
    });
    delayed.connectionLost(1_000);
    assertEquals(events(delayed).map((e) => e.type), ["disconnected"]);
    assertEquals(delayed.pollTimeout(), 11_000);
    delayed.handleTimeout(11_000);
    assertEquals(events(delayed).map((e) => e.type), ["will"]);
    assertEquals(delayed.pollTimeout(), 61_000);
    delayed.handleTimeout(61_000);
    assertEquals(events(delayed), [{
      type: "ended",
      reason: "expired",
      topicFilters: [],
    }]);

    const ending = accepted({}, {
      will: { ...message("w"), willDelayInterval: 100 },
      sessionExpiryInterval: 5,
    });
    ending.connectionLost(0);
    events(ending);
    assertEquals(ending.pollTimeout(), 5_000);
    ending.handleTimeout(5_000);
    assertEquals(events(ending).map((e) => e.type), ["will", "ended"]);
  });

  it("[MQTT-3.1.3-9] a client back before its Will Delay: no Will", () => {
    const old = accepted({}, {
      will: { ...message("w"), willDelayInterval: 10 },
      sessionExpiryInterval: 60,
    });
    old.connectionLost(0);
    events(old);
    accepted({}, { cleanStart: false, sessionExpiryInterval: 60 }, 5_000, old);
    assertEquals(events(old), []);
    assertEquals(old.pollTimeout(), undefined);
  });

  it("[MQTT-3.1.3-9] accept() publishes a Will whose delay passed before the previous session's timer ran, rather than cancelling it", () => {
    const old = accepted({}, {
      will: { ...message("w"), willDelayInterval: 5 },
      sessionExpiryInterval: 100,
    });
    subscribe(old, [{ topicFilter: "t", qos: 1 }]);
    old.connectionLost(0);
    events(old);
    assertEquals(old.pollTimeout(), 5_000);
    const next = accepted(
      {},
      { cleanStart: false, sessionExpiryInterval: 100 },
      10_000,
      old,
    );
    assertEquals(events(old).map((e) => e.type), ["will"]);
    // The session itself had not expired: resumed.
    assertEquals([...next.subscriptions.keys()], ["t"]);
  });

  it("section 4.1: accept() does not resume a session whose expiry passed before its timer ran: it ends (expired), Session Present 0", () => {
    const old = accepted({}, { sessionExpiryInterval: 5 });
    subscribe(old, [{ topicFilter: "t", qos: 1 }]);
    old.deliver({ message: message("t", 1) }, 1);
    old.connectionLost(1);
    events(old);
    const next = new ServerSession();
    next.handlePacket(
      connectPacket({ cleanStart: false, sessionExpiryInterval: 100 }),
      10_000,
    );
    next.accept({ previous: old }, 10_000);
    assertEquals(packets(next), [{
      type: "connack",
      sessionPresent: false,
      reasonCode: 0,
    }]);
    assertEquals(next.subscriptions.size, 0);
    assertEquals(next.stats, NO_STATE);
    assertEquals(events(old).map((e) => e.type), ["dropped", "ended"]);
    assertEquals(old.state, "closed");
  });

  it("[MQTT-4.3.3-3] a QoS 2 message the client acknowledged with PUBREC is not reported dropped when the session ends before the PUBCOMP: the client has it", () => {
    const session = accepted({}, { sessionExpiryInterval: 10 });
    subscribe(session, [{ topicFilter: "t", qos: 2 }]);
    packets(session);
    session.deliver({ message: message("t", 2) }, 1);
    session.deliver({ message: message("t", 2) }, 1);
    const [received, unanswered] = packets(session) as PublishPacket[];
    session.handlePacket({ type: "pubrec", packetId: received.packetId! }, 2);
    assertEquals(packets(session).map((p) => p.type), ["pubrel"]);
    session.connectionLost(3);
    events(session);
    session.handleTimeout(10_003);
    const ended = events(session);
    assertEquals(ended.map((e) => e.type), ["dropped", "ended"]);
    assertEquals(
      ended[0].type === "dropped" && ended[0].message,
      message("t", 2),
    );
    assert(unanswered.packetId !== received.packetId);
  });

  it("[MQTT-4.1.0-2] a Session Expiry Interval of 0 ends the session with its connection", () => {
    const session = accepted();
    subscribe(session, [{ topicFilter: "f", qos: 1 }]);
    session.connectionLost(2);
    assertEquals(events(session), [
      { type: "disconnected", initiator: "network" },
      { type: "ended", reason: "expired", topicFilters: ["f"] },
    ]);
    assertEquals(session.state, "closed");
  });

  it("maximumSessionExpiryInterval caps the client's, and the CONNACK says so; MQTT 3.1.1 Clean Session 0 sessions get it", () => {
    const session = new ServerSession({ maximumSessionExpiryInterval: 30 });
    session.handlePacket(connectPacket({ sessionExpiryInterval: 100 }), 0);
    session.accept({}, 0);
    assertEquals(
      (packets(session)[0] as { sessionExpiryInterval: number })
        .sessionExpiryInterval,
      30,
    );
    session.connectionLost(0);
    assertEquals(session.pollTimeout(), 30_000);
    const v4 = accepted({ maximumSessionExpiryInterval: 30 }, {
      protocolVersion: 4,
      cleanStart: false,
    });
    v4.connectionLost(0);
    assertEquals(v4.pollTimeout(), 30_000);
  });

  it("section 3.14.2.2.2: a DISCONNECT may change the Session Expiry Interval, but not from 0", () => {
    const session = accepted({}, { sessionExpiryInterval: 60 });
    session.handlePacket({ type: "disconnect", sessionExpiryInterval: 0 }, 1);
    assertEquals(events(session).map((e) => e.type), ["disconnected", "ended"]);
    const zero = accepted();
    zero.handlePacket({ type: "disconnect", sessionExpiryInterval: 60 }, 1);
    assertViolation(zero, 0x82, "3.14.2.2.2");
  });

  it("disconnect(): DISCONNECT with the reason code, the Will published; [MQTT-3.14.2-2] no Session Expiry Interval", () => {
    const session = accepted({}, { will: message("w") });
    assertThrows(
      () =>
        session.disconnect({ reasonCode: 0x8b, sessionExpiryInterval: 0 }, 1),
      MqttError,
      "[MQTT-3.14.2-2]",
    );
    session.disconnect({ reasonCode: 0x8b }, 1);
    assertEquals(packets(session), [{ type: "disconnect", reasonCode: 0x8b }]);
    assertEquals(events(session).map((e) => e.type), [
      "disconnected",
      "will",
      "ended",
    ]);
  });

  it("disconnect() in MQTT 3.1.1 and 3.1, which have no server DISCONNECT: closes without a word, the reason code in the event", () => {
    for (const protocolVersion of [3, 4] as const) {
      const session = accepted({}, { protocolVersion });
      session.disconnect({ reasonCode: 0x8b, reasonString: "bye" }, 1);
      assertEquals(packets(session), []);
      const [disconnected] = events(session) as DisconnectedEvent[];
      assertEquals(
        [disconnected.type, disconnected.initiator, disconnected.reasonCode],
        ["disconnected", "local", 0x8b],
      );
      // What MQTT 5.0 could not send either is still refused.
      const other = accepted({}, { protocolVersion });
      assertThrows(
        () => other.disconnect({ reasonCode: 0x10 }, 1),
        MqttError,
        "disconnect",
      );
    }
  });
});

describe("ServerSession: the client's violations", () => {
  const violations: [string, ServerSessionOptions, Packet, number, string][] = [
    [
      "a QoS above the Maximum QoS",
      { maximumQoS: 1 },
      {
        type: "publish",
        topic: "t",
        payload: new Uint8Array(),
        qos: 2,
        retain: false,
        dup: false,
        packetId: 1,
      },
      0x9b,
      "Maximum QoS",
    ],
    [
      "RETAIN without Retain Available",
      { retainAvailable: false },
      {
        type: "publish",
        topic: "t",
        payload: new Uint8Array(),
        qos: 0,
        retain: true,
        dup: false,
      },
      0x9a,
      "Retain Available",
    ],
    [
      "[MQTT-3.3.4-6] a Subscription Identifier in a PUBLISH",
      {},
      {
        type: "publish",
        topic: "t",
        payload: new Uint8Array(),
        qos: 0,
        retain: false,
        dup: false,
        subscriptionIdentifiers: [1],
      },
      0x82,
      "[MQTT-3.3.4-6]",
    ],
    [
      "a Topic Alias above our maximum",
      { topicAliasMaximum: 2 },
      {
        type: "publish",
        topic: "t",
        payload: new Uint8Array(),
        qos: 0,
        retain: false,
        dup: false,
        topicAlias: 3,
      },
      0x94,
      "Topic Alias Maximum",
    ],
    [
      "a packet only servers send",
      {},
      { type: "connack", sessionPresent: false, reasonCode: 0 },
      0x82,
      "a client does not send",
    ],
    [
      "[MQTT-4.12.0-7] an AUTH when the CONNECT had no method",
      {},
      {
        type: "auth",
        reasonCode: 0x19,
        authenticationMethod: "m",
      },
      0x82,
      "[MQTT-4.12.0-7]",
    ],
  ];
  for (const [name, options, packet, code, rule] of violations) {
    it(`closes with 0x${code.toString(16)} on ${name}`, () => {
      const session = accepted(options);
      session.handlePacket(packet, 1);
      assertViolation(session, code, rule);
    });
  }

  it("section 4.9: a client exceeding our Receive Maximum is disconnected with 0x93", () => {
    const session = accepted({ receiveMaximum: 1 });
    for (const packetId of [1, 2]) {
      session.handlePacket({
        type: "publish",
        topic: "t",
        payload: new Uint8Array(),
        qos: 2,
        retain: false,
        dup: false,
        packetId,
      }, 1);
    }
    assertEquals(packets(session).at(-1), {
      type: "disconnect",
      reasonCode: 0x93,
    });
  });

  it("MQTT 3.1.1: closes without a DISCONNECT", () => {
    const session = accepted({}, { protocolVersion: 4 });
    session.handlePacket({
      type: "connack",
      sessionPresent: false,
      reasonCode: 0,
    }, 1);
    assertEquals(packets(session), []);
    assertEquals(events(session)[0].type, "disconnected");
  });
});

describe("ServerSession: enhanced authentication (section 4.12)", () => {
  it("[MQTT-4.12.0-2] challenges, [MQTT-4.12.0-3] takes the client's answer, then accepts with the method [MQTT-4.12.0-5]", () => {
    const session = new ServerSession();
    session.handlePacket(connectPacket({ authenticationMethod: "m" }), 0);
    events(session);
    session.authenticate({
      reasonCode: 0x18,
      authenticationData: text.encode("challenge"),
    }, 1);
    assertThrows(
      () => session.authenticate({ reasonCode: 0x18 }, 1),
      MqttError,
      "not due",
    );
    assertEquals(packets(session), [{
      type: "auth",
      reasonCode: 0x18,
      authenticationMethod: "m",
      authenticationData: text.encode("challenge"),
    }]);
    const answer = {
      type: "auth",
      reasonCode: 0x18,
      authenticationMethod: "m",
    } as const;
    session.handlePacket(answer, 2);
    assertEquals(events(session), [{ type: "auth", packet: answer }]);
    session.accept({ authenticationData: text.encode("final") }, 3);
    assertEquals(packets(session), [{
      type: "connack",
      sessionPresent: false,
      reasonCode: 0,
      authenticationMethod: "m",
      authenticationData: text.encode("final"),
    }]);
  });

  it("re-authentication: the client's AUTH 0x19, our steps, AUTH 0x00 ends it", () => {
    const session = accepted({}, { authenticationMethod: "m" });
    session.handlePacket({
      type: "auth",
      reasonCode: 0x19,
      authenticationMethod: "m",
    }, 1);
    assertEquals(events(session)[0].type, "auth");
    session.authenticate({ reasonCode: 0x18 }, 2);
    session.handlePacket({
      type: "auth",
      reasonCode: 0x18,
      authenticationMethod: "m",
    }, 3);
    events(session);
    session.authenticate({ reasonCode: 0 }, 4);
    assertEquals(
      packets(session).map((p) => (p as { reasonCode: number }).reasonCode),
      [0x18, 0],
    );
  });

  it("[MQTT-4.12.0-6] authenticate() without a method in the CONNECT is a mistake", () => {
    const session = new ServerSession();
    session.handlePacket(connectPacket(), 0);
    assertThrows(
      () => session.authenticate({ reasonCode: 0x18 }, 0),
      MqttError,
      "[MQTT-4.12.0-6]",
    );
  });

  it("[MQTT-4.12.0-5] an AUTH with another method closes with 0x82", () => {
    const session = accepted({}, { authenticationMethod: "m" });
    session.handlePacket({
      type: "auth",
      reasonCode: 0x19,
      authenticationMethod: "x",
    }, 1);
    assertViolation(session, 0x82, "[MQTT-4.12.0-5]");
  });
});

describe("ServerSession: state", () => {
  it("once everything is acknowledged, nothing is held; every packet it sends encodes", () => {
    const session = accepted({}, { topicAliasMaximum: 2 });
    subscribe(session, [{ topicFilter: "#", qos: 2 }], {
      subscriptionIdentifier: 5,
    });
    for (const qos of [0, 1, 2] as const) {
      session.deliver({
        message: message(`topic/${qos}`, qos, { contentType: "c" }),
        topicFilters: ["#"],
      }, 2);
    }
    session.handlePacket({
      type: "publish",
      topic: "in",
      payload: new Uint8Array(),
      qos: 2,
      retain: false,
      dup: false,
      packetId: 9,
    }, 3);
    session.handlePacket({ type: "pubrel", packetId: 9 }, 3);
    for (const packet of packets(session)) {
      encode(packet);
      if (packet.type === "publish" && packet.qos === 1) {
        session.handlePacket({ type: "puback", packetId: packet.packetId! }, 4);
      } else if (packet.type === "publish" && packet.qos === 2) {
        session.handlePacket({ type: "pubrec", packetId: packet.packetId! }, 4);
        session.handlePacket(
          { type: "pubcomp", packetId: packet.packetId! },
          4,
        );
      }
    }
    packets(session);
    assertEquals(session.stats, NO_STATE);
  });

  const malformed: [string, object, string][] = [
    ["a SUBSCRIBE without subscriptions", {
      type: "subscribe",
      packetId: 1,
    }, "subscriptions"],
    ["a SUBSCRIBE with a subscription that is not an object", {
      type: "subscribe",
      packetId: 1,
      subscriptions: [null],
    }, "subscriptions"],
    ["an UNSUBSCRIBE whose topicFilters is a string", {
      type: "unsubscribe",
      packetId: 1,
      topicFilters: "a",
    }, "topicFilters"],
    ["a PUBREL of identifier 70,000", {
      type: "pubrel",
      packetId: 70_000,
    }, "packetId"],
    ["a PUBLISH without a topic", {
      type: "publish",
      payload: new Uint8Array(),
      qos: 0,
      retain: false,
      dup: false,
    }, "topic"],
    ["a PUBLISH of QoS 3", {
      type: "publish",
      topic: "a",
      payload: new Uint8Array(),
      qos: 3,
      retain: false,
      dup: false,
      packetId: 1,
    }, "qos"],
  ];
  for (const [name, packet, field] of malformed) {
    it(`handlePacket refuses ${name} (no packet the codec decodes) with an MqttError naming ${field}, and changes nothing`, () => {
      const session = accepted();
      assertThrows(
        () => session.handlePacket(packet as Packet, 1),
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

  it("handlePacket refuses a CONNECT without the fields the session reads", () => {
    for (
      const [connect, field] of [
        [{ ...connectPacket(), protocolVersion: 6 }, "protocolVersion"],
        [{ ...connectPacket(), clientId: undefined }, "clientId"],
        [{ ...connectPacket(), will: { topic: "w" } }, "will"],
      ] as const
    ) {
      const session = new ServerSession();
      assertThrows(
        () => session.handlePacket(connect as unknown as Packet, 0),
        MqttError,
        field,
      );
      assertEquals(session.state, "new");
    }
  });

  it("every command refuses an argument of the wrong kind with an MqttError naming it, never a TypeError or a silent false", () => {
    const connecting = () => {
      const session = new ServerSession();
      session.handlePacket(connectPacket(), 0);
      return session;
    };
    const session = accepted({ manualAcknowledgement: true });
    subscribe(session, [{ topicFilter: "a", qos: 1 }]);
    const calls: MisuseCall[] = [
      ["new ServerSession(null)", () => new ServerSession(null!), "options"],
      ["accept(null)", () => connecting().accept(null!, 0), "options"],
      ["reject(null)", () => connecting().reject(null!, 0), "options"],
      ["deliver(null)", () => session.deliver(null!, 0), "delivery"],
      [
        'deliver({ topicFilters: "a" })',
        () =>
          session.deliver({
            message: message("a"),
            topicFilters: "a" as unknown as string[],
          }, 0),
        "topicFilters",
      ],
      [
        "deliver({ topicFilters: [1] })",
        () =>
          session.deliver({
            message: message("a"),
            topicFilters: [1 as unknown as string],
          }, 0),
        "topicFilters",
      ],
      [
        "deliver({ publisher: 1 })",
        () =>
          session.deliver({
            message: message("a"),
            publisher: 1 as unknown as string,
          }, 0),
        "publisher",
      ],
      [
        "deliver({ message: undefined })",
        () => session.deliver({} as never, 0),
        "message",
      ],
      ["acknowledge(null)", () => session.acknowledge(null!, 0), "answer"],
      [
        'acknowledge({ id: "1" })',
        () => session.acknowledge({ id: "1" as unknown as number }, 0),
        "id",
      ],
      ["handleError(null)", () => session.handleError(null!, 0), "error"],
      ["disconnect(null)", () => session.disconnect(null!, 0), "request"],
      ["authenticate(null)", () => session.authenticate(null!, 0), "request"],
    ];
    assertEachThrowsMqttError(calls);
    assertEquals(session.state, "connected");
    assertEquals(packets(session), []);
  });

  it("acknowledge() checks a SUBACK's Reason String and User Properties at once", () => {
    const session = accepted({ manualAcknowledgement: true });
    session.handlePacket({
      type: "subscribe",
      packetId: 3,
      subscriptions: [{ topicFilter: "t", qos: 1 }],
    }, 1);
    const [request] = events(session);
    assert(request.type === "subscribe");
    assertThrows(
      () =>
        session.acknowledge({
          id: request.id,
          userProperties: [["k", "\0"]],
        }, 2),
      MqttError,
      "acknowledge",
    );
    assertEquals([packets(session), session.subscriptions.size], [[], 0]);
    assert(session.acknowledge({ id: request.id, reasonString: "ok" }, 2));
    assertEquals(packets(session), [{
      type: "suback",
      packetId: 3,
      reasonCodes: [1],
      reasonString: "ok",
    }]);
  });

  it("checks its options", () => {
    assertThrows(
      () => new ServerSession({ receiveMaximum: 0 }),
      MqttError,
      "receiveMaximum",
    );
    assertThrows(
      () => new ServerSession({ maximumQoS: 3 as 0 }),
      MqttError,
      "maximumQoS",
    );
    assertThrows(
      () => new ServerSession({ maximumQueuedMessages: -1 }),
      MqttError,
    );
  });
});
