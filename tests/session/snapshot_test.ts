/**
 * Session persistence: `snapshot()` and `restore()` of both sessions, rule
 * by rule across a process restart (the snapshot is cloned, the old
 * session dropped), the round trips through `structuredClone` and JSON, and
 * snapshots that are not one. The model test (session_model_test.ts)
 * restarts both sides at random points.
 */

import { assert, assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import {
  type ConnackPacket,
  type ConnectPacket,
  MqttError,
  type Packet,
  type PublishPacket,
} from "../../mod.ts";
import {
  type ApplicationMessage,
  type ClientEvent,
  ClientSession,
  type ClientSessionOptions,
  type ClientSessionSnapshot,
  type ServerEvent,
  ServerSession,
  type ServerSessionSnapshot,
} from "../../src/entries/session.ts";
import { connectPacket, drain } from "../support/sessions.ts";

const text = new TextEncoder();
const CONNACK: ConnackPacket = {
  type: "connack",
  sessionPresent: false,
  reasonCode: 0,
};
const RESUMED: ConnackPacket = { ...CONNACK, sessionPresent: true };
const OPTIONS: ClientSessionOptions = {
  clientId: "c",
  sessionExpiryInterval: 3600,
};

const packets = (session: ClientSession | ServerSession): Packet[] =>
  drain(() => session.pollTransmit());
const clientEvents = (session: ClientSession): ClientEvent[] =>
  drain(() => session.pollEvent());
const serverEvents = (session: ServerSession): ServerEvent[] =>
  drain(() => session.pollEvent());

function message(
  topic = "a/b",
  qos: 0 | 1 | 2 = 1,
  extra: Partial<ApplicationMessage> = {},
): ApplicationMessage {
  return { topic, payload: text.encode(topic), qos, retain: false, ...extra };
}

/** A QoS 2 PUBLISH from the peer, as decoded. */
function received(topic: string, packetId: number): PublishPacket {
  return { ...message(topic, 2), type: "publish", dup: false, packetId };
}

/** A client session connected at `now` with this CONNACK; its outputs drained. */
function connected(
  options: ClientSessionOptions = OPTIONS,
  connack: Partial<ConnackPacket> = {},
  now = 0,
): ClientSession {
  const session = new ClientSession(options);
  session.connectionOpened(now);
  session.handlePacket({ ...CONNACK, ...connack }, now);
  packets(session);
  clientEvents(session);
  return session;
}

/** The process restarts: the snapshot is cloned, the old session is dropped. */
function restartClient(
  session: ClientSession,
  options: ClientSessionOptions = OPTIONS,
): ClientSession {
  return ClientSession.restore(structuredClone(session.snapshot()), options);
}

/** A restored client reconnects at `now` and the server still has the session. */
function resume(session: ClientSession, now: number): Packet[] {
  session.connectionOpened(now);
  const [connect] = packets(session);
  assertEquals(connect.type === "connect" && connect.cleanStart, false);
  session.handlePacket(RESUMED, now);
  return packets(session);
}

/** A CONNECT that resumes a session kept for an hour. */
function resumingConnect(
  overrides: Partial<ConnectPacket> = {},
): ConnectPacket {
  return connectPacket({
    cleanStart: false,
    sessionExpiryInterval: 3600,
    ...overrides,
  });
}

/** A server session whose CONNECT was accepted at `now`; its outputs drained. */
function accepted(
  connect: Partial<ConnectPacket> = {},
  now = 0,
  previous?: ServerSession,
): ServerSession {
  const session = new ServerSession();
  session.handlePacket(resumingConnect(connect), now);
  serverEvents(session);
  session.accept({ previous }, now);
  packets(session);
  serverEvents(session);
  return session;
}

function restartServer(session: ServerSession): ServerSession {
  return ServerSession.restore(structuredClone(session.snapshot()));
}

/** Bytes as arrays of numbers in JSON: the caller's own byte encoding. */
function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) => v instanceof Uint8Array ? { bytes: [...v] } : v,
  );
}
function fromJson<T>(json: string): T {
  return JSON.parse(
    json,
    (_key, v) => v?.bytes === undefined ? v : new Uint8Array(v.bytes),
  );
}

describe("ClientSession across a process restart", () => {
  it("[MQTT-4.4.0-1] a QoS 2 PUBLISH in flight before its PUBREC is resent with DUP after a restore", () => {
    const before = connected();
    const id = before.publish(message("a", 2), 1);
    const [publish] = packets(before);
    assert(publish.type === "publish" && !publish.dup);

    const after = restartClient(before);
    assertEquals(after.state, "disconnected");
    const [resent] = resume(after, 5_000);
    assertEquals(resent, { ...publish, dup: true });

    after.handlePacket({ type: "pubrec", packetId: publish.packetId! }, 5_001);
    assertEquals(packets(after), [{
      type: "pubrel",
      packetId: publish.packetId!,
    }]);
    after.handlePacket({ type: "pubcomp", packetId: publish.packetId! }, 5_002);
    const done = clientEvents(after).filter((e) => e.type === "published");
    assertEquals(done.map((e) => e.type === "published" && e.id), [id]);
  });

  it("[MQTT-4.3.3-6] after its PUBREC, a PUBREL (not the PUBLISH) is resent after a restore", () => {
    const before = connected();
    const id = before.publish(message("a", 2), 1);
    const [publish] = packets(before);
    assert(publish.type === "publish");
    before.handlePacket({ type: "pubrec", packetId: publish.packetId! }, 2);
    packets(before); // the PUBREL, lost with the process

    const after = restartClient(before);
    assertEquals(resume(after, 5_000), [{
      type: "pubrel",
      packetId: publish.packetId!,
    }]);
    after.handlePacket({ type: "pubcomp", packetId: publish.packetId! }, 5_001);
    assertEquals(clientEvents(after).at(-1), {
      type: "published",
      id,
      reasonCode: 0,
      packet: { type: "pubcomp", packetId: publish.packetId! },
    });
  });

  it("[MQTT-4.3.3-10] a received QoS 2 message awaiting its PUBREL is not delivered again after a restore", () => {
    const before = connected();
    const incoming = received("in", 7);
    before.handlePacket(incoming, 1);
    assertEquals(clientEvents(before).map((e) => e.type), ["message"]);
    assertEquals(packets(before), [{ type: "pubrec", packetId: 7 }]);

    const after = restartClient(before);
    resume(after, 5_000);
    clientEvents(after);
    after.handlePacket({ ...incoming, dup: true }, 5_001);
    assertEquals(packets(after), [{ type: "pubrec", packetId: 7 }]);
    assertEquals(clientEvents(after), []); // not delivered twice
    after.handlePacket({ type: "pubrel", packetId: 7 }, 5_002);
    assertEquals(packets(after), [{ type: "pubcomp", packetId: 7 }]);
    assertEquals(after.stats.awaitingRelease, 0);
  });

  it("[MQTT-4.6.0-1] messages in flight are resent in order, then the queued ones follow in order", () => {
    const before = connected(OPTIONS, { receiveMaximum: 2 });
    for (const topic of ["m1", "m2", "m3", "m4"]) {
      before.publish(message(topic, 1), 1);
    }
    before.publish(message("m5", 0), 1);
    const first = packets(before);
    // m1 and m2 in flight (Receive Maximum 2); m5 at QoS 0 need not wait.
    assertEquals(
      first.map((p) => p.type === "publish" && p.topic),
      ["m1", "m2", "m5"],
    );

    const after = restartClient(before);
    const resent = resume(after, 5_000);
    assertEquals(
      resent.map((p) => p.type === "publish" && [p.topic, p.dup]),
      [["m1", true], ["m2", true], ["m3", false], ["m4", false]],
    );
  });

  it("[MQTT-3.3.2-5] [MQTT-3.3.2-6] Message Expiry counts the downtime: the interval left is sent, an expired message is dropped", () => {
    const start = 1_700_000_000_000; // a clock that survives restarts
    const before = new ClientSession(OPTIONS);
    before.publish(message("short", 1, { messageExpiryInterval: 3 }), start);
    before.publish(message("long", 1, { messageExpiryInterval: 10 }), start);

    const after = restartClient(before);
    after.connectionOpened(start + 4_000);
    after.handlePacket(CONNACK, start + 4_000);
    const sent = packets(after).filter((p) => p.type === "publish");
    assertEquals(
      sent.map((p) =>
        p.type === "publish" && [p.topic, p.messageExpiryInterval]
      ),
      [["long", 6]],
    );
    const dropped = clientEvents(after).find((e) => e.type === "dropped");
    assertEquals(
      dropped?.type === "dropped" && [dropped.reason, dropped.message.topic],
      ["expired", "short"],
    );
  });

  it("keeps unanswered SUBSCRIBE and UNSUBSCRIBE requests and their ids; new ids follow the old", () => {
    const before = connected();
    const subscribeId = before.subscribe({
      subscriptions: [{ topicFilter: "s/#", qos: 1, noLocal: true }],
      subscriptionIdentifier: 9,
    }, 1);
    const [subscribe] = packets(before);
    assert(subscribe.type === "subscribe");
    before.connectionLost(2);
    clientEvents(before);
    const unsubscribeId = before.unsubscribe({ topicFilters: ["old/#"] }, 3);

    const after = restartClient(before);
    const again = resume(after, 5_000);
    assertEquals(again[0], subscribe);
    assertEquals(again[1].type, "unsubscribe");
    after.handlePacket({
      type: "suback",
      packetId: subscribe.packetId,
      reasonCodes: [1],
    }, 5_001);
    const event = clientEvents(after).find((e) => e.type === "subscribed");
    assertEquals(event?.type === "subscribed" && event.id, subscribeId);
    assert(after.publish(message(), 5_002) > unsubscribeId);
  });

  it("[MQTT-3.1.2-4] a session that was not resumable restores with Clean Start 1", () => {
    const before = new ClientSession({ clientId: "c" }); // expiry 0
    const after = restartClient(before, { clientId: "c" });
    after.connectionOpened(0);
    const [connect] = packets(after);
    assertEquals(connect.type === "connect" && connect.cleanStart, true);
  });

  it("keeps an assigned Client Identifier", () => {
    const before = connected({ sessionExpiryInterval: 60 }, {
      assignedClientIdentifier: "auto-7",
    });
    const after = restartClient(before, { sessionExpiryInterval: 60 });
    assertEquals(after.clientId, "auto-7");
    after.connectionOpened(1);
    const [connect] = packets(after);
    assertEquals(connect.type === "connect" && connect.clientId, "auto-7");
  });

  it("round-trips through structuredClone and through JSON with a byte encoding to an equal session", () => {
    const before = connected(OPTIONS, { receiveMaximum: 1 });
    before.publish(
      message("p", 2, {
        contentType: "text/plain",
        correlationData: new Uint8Array([1, 2, 3]),
        userProperties: [["k", "v"], ["k", "v2"]],
        messageExpiryInterval: 100,
        payloadFormatIndicator: true,
        responseTopic: "r",
      }),
      1,
    );
    before.publish(message("q", 1), 1);
    before.subscribe({ subscriptions: [{ topicFilter: "x", qos: 2 }] }, 1);
    before.handlePacket(received("in", 3), 2);
    packets(before);
    clientEvents(before);
    const snapshot = before.snapshot();
    assertEquals(snapshot.messages.length, 2);
    assertEquals(snapshot.requests.length, 1);
    assertEquals(snapshot.awaitingRelease, [3]);

    const cloned = ClientSession.restore(structuredClone(snapshot), OPTIONS);
    assertEquals(cloned.snapshot(), snapshot);
    assertEquals(cloned.stats, { ...before.stats });
    const json = fromJson<ClientSessionSnapshot>(toJson(snapshot));
    const parsed = ClientSession.restore(json, OPTIONS);
    assertEquals(parsed.snapshot(), snapshot);
  });
});

describe("ServerSession across a process restart", () => {
  it("[MQTT-3.2.2-3] subscriptions survive with their options; the restored session is resumed with Session Present", () => {
    const before = accepted();
    before.handlePacket({
      type: "subscribe",
      packetId: 1,
      subscriptions: [
        { topicFilter: "a/#", qos: 1, noLocal: true, retainAsPublished: true },
        { topicFilter: "$share/g/b", qos: 2 },
      ],
      subscriptionIdentifier: 5,
    }, 1);
    packets(before);
    serverEvents(before);

    const previous = restartServer(before);
    assertEquals(previous.state, "disconnected");
    assertEquals(previous.clientId, "c");
    const after = new ServerSession();
    after.handlePacket(resumingConnect(), 10_000);
    serverEvents(after);
    after.accept({ previous }, 10_000);
    assertEquals(packets(after), [{ ...RESUMED }]);
    assertEquals(
      after.subscriptions,
      new Map([["a/#", 1], ["$share/g/b", 2]] as const),
    );
    // No Local [MQTT-3.8.3-3] and the Subscription Identifier came along.
    const retained = { ...message("a/x", 1), retain: true };
    assertEquals(
      after.deliver({ message: retained, publisher: "c" }, 10_001),
      false,
    );
    assert(after.deliver({ message: retained, publisher: "d" }, 10_001));
    const [publish] = packets(after);
    assert(publish.type === "publish");
    assertEquals(publish.subscriptionIdentifiers, [5]);
    assertEquals(publish.retain, true); // Retain As Published [MQTT-3.3.1-12]
  });

  it("[MQTT-4.4.0-1] a QoS 1 message in flight to the client is resent with DUP, the queued one follows", () => {
    const before = accepted({ receiveMaximum: 1 });
    before.handlePacket({
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "#", qos: 1 }],
    }, 1);
    packets(before);
    before.deliver({ message: message("one") }, 2);
    before.deliver({ message: message("two") }, 2);
    const [publish] = packets(before);
    assert(publish.type === "publish");

    const previous = restartServer(before);
    const next = new ServerSession();
    next.handlePacket(resumingConnect({ receiveMaximum: 1 }), 5_000);
    next.accept({ previous }, 5_000);
    const sent = packets(next);
    assertEquals(sent.map((p) => p.type), ["connack", "publish"]);
    assertEquals(sent[1], { ...publish, dup: true });
    next.handlePacket({ type: "puback", packetId: publish.packetId! }, 5_001);
    const [second] = packets(next);
    assertEquals(second.type === "publish" && second.topic, "two");
  });

  it("[MQTT-4.3.3-10] a QoS 2 message from the client awaiting its PUBREL is not routed again after a restore", () => {
    const before = accepted();
    const incoming = received("in", 4);
    before.handlePacket(incoming, 1);
    assertEquals(serverEvents(before).map((e) => e.type), ["message"]);
    packets(before);

    const after = accepted({}, 5_000, restartServer(before));
    after.handlePacket({ ...incoming, dup: true }, 5_001);
    assertEquals(packets(after), [{ type: "pubrec", packetId: 4 }]);
    assertEquals(serverEvents(after), []);
  });

  it("[MQTT-3.1.3-9] a Will whose delay passed during the downtime is published at accept; one still delayed is not", () => {
    const will = { ...message("will/c", 1), willDelayInterval: 10 };
    const before = accepted({ will }, 1_000);
    const saved = structuredClone(before.snapshot());
    assertEquals(saved.will?.publishAt, 11_000);

    const late = ServerSession.restore(saved);
    const after = new ServerSession();
    after.handlePacket(resumingConnect(), 60_000);
    after.accept({ previous: late }, 60_000);
    const published = serverEvents(late).filter((e) => e.type === "will");
    assertEquals(published.length, 1);
    assertEquals(packets(after)[0], { ...RESUMED });

    const early = ServerSession.restore(saved);
    const soon = new ServerSession();
    soon.handlePacket(resumingConnect(), 5_000);
    soon.accept({ previous: early }, 5_000);
    assertEquals(serverEvents(early).filter((e) => e.type === "will"), []);
  });

  it("[MQTT-4.1.0-2] a session that expired during the downtime ends at accept and is not resumed", () => {
    const before = accepted({ sessionExpiryInterval: 60 }, 0);
    const previous = restartServer(before);
    assertEquals(previous.pollTimeout(), 60_000);
    const after = new ServerSession();
    after.handlePacket(resumingConnect(), 120_000);
    after.accept({ previous }, 120_000);
    assertEquals(
      serverEvents(previous).map((e) => e.type === "ended" && e.reason),
      ["expired"],
    );
    assertEquals(packets(after)[0], { ...CONNACK });
  });

  it("round-trips a disconnected session through structuredClone and JSON to an equal session", () => {
    const will = { ...message("w", 0), willDelayInterval: 30 };
    const before = accepted({ will }, 0);
    before.handlePacket({
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "#", qos: 2 }],
    }, 1);
    before.deliver({ message: message("a", 2, { contentType: "t" }) }, 2);
    packets(before);
    before.connectionLost(3);
    serverEvents(before);
    before.deliver({ message: message("b", 1) }, 4);
    const snapshot: ServerSessionSnapshot = before.snapshot();
    assertEquals(snapshot.expiresAt, 3_600_003);
    assertEquals(snapshot.will?.publishAt, 30_003);
    assertEquals(snapshot.messages.map((m) => m.stage), [
      "published",
      "queued",
    ]);

    assertEquals(
      ServerSession.restore(structuredClone(snapshot)).snapshot(),
      snapshot,
    );
    const json = fromJson<ServerSessionSnapshot>(toJson(snapshot));
    assertEquals(ServerSession.restore(json).snapshot(), snapshot);
  });

  it("refuses to take a snapshot of a session without session state", () => {
    const error = assertThrows(() => new ServerSession().snapshot(), MqttError);
    assertEquals(error.reasonCode, 0x82);
  });
});

/** A client snapshot with a little of everything. */
function richClientSnapshot(): ClientSessionSnapshot {
  const session = connected(OPTIONS, { receiveMaximum: 1 });
  session.publish(message("p", 2, { userProperties: [["a", "b"]] }), 1);
  session.publish(message("q", 1, { messageExpiryInterval: 5 }), 1);
  session.subscribe({ subscriptions: [{ topicFilter: "x", qos: 1 }] }, 1);
  session.handlePacket(received("in", 3), 2);
  packets(session);
  clientEvents(session);
  return session.snapshot();
}

describe("restore of a snapshot that is not one", () => {
  const base = richClientSnapshot();
  // Shapes are 0x81 Malformed; a message or request the codec refuses keeps
  // the codec's reason code (0x90 Topic Name invalid, 0x82 Protocol Error).
  const cases: [
    string,
    (s: Record<string, unknown>) => void,
    string,
    number?,
  ][] = [
    ["format", (s) => s.format = 2, "snapshot.format"],
    ["role", (s) => s.role = "server", "snapshot.role"],
    ["clientId", (s) => s.clientId = 7, "snapshot.clientId"],
    ["resume", (s) => s.resume = "yes", "snapshot.resume"],
    ["messages", (s) => s.messages = {}, "snapshot.messages"],
    [
      "a Packet Identifier of 0",
      (s) => (s.messages as { packetId: number }[])[0].packetId = 0,
      "snapshot.messages[0].packetId",
    ],
    [
      "a Packet Identifier of 65,536",
      (s) => (s.awaitingRelease as number[])[0] = 65_536,
      "snapshot.awaitingRelease[0]",
    ],
    [
      "a Packet Identifier used twice",
      (s) =>
        (s.requests as { packetId: number }[])[0].packetId =
          (s.messages as { packetId: number }[])[0].packetId,
      "snapshot.requests[0].packetId",
    ],
    [
      "duplicate QoS 2 identifiers",
      (s) => s.awaitingRelease = [3, 3],
      "snapshot.awaitingRelease",
    ],
    [
      "a stage",
      (s) => (s.messages as { stage: string }[])[0].stage = "sent",
      "snapshot.messages[0].stage",
    ],
    [
      "a queued message with a Packet Identifier",
      (s) => (s.messages as { packetId: number }[])[1].packetId = 9,
      "snapshot.messages[1].packetId",
    ],
    [
      "a topic with a wildcard",
      (s) =>
        (s.messages as { message: { topic: string } }[])[0].message.topic =
          "a/#",
      "snapshot.messages[0].message",
      0x90,
    ],
    [
      "a payload that is not bytes",
      (s) =>
        (s.messages as { message: { payload: unknown } }[])[0].message
          .payload = "x",
      "snapshot.messages[0].message",
    ],
    [
      "an id given twice",
      (s) => (s.requests as { id: number }[])[0].id = 1,
      "snapshot.requests[0].id",
    ],
    [
      "an id above the last",
      (s) => s.lastEventId = 0,
      "snapshot.messages[0].id",
    ],
    [
      "a request that is not one",
      (s) =>
        (s.requests as { packet: { subscriptions: unknown } }[])[0].packet
          .subscriptions = [],
      "snapshot.requests[0].packet",
      0x82,
    ],
  ];
  for (const [what, mutate, field, code = 0x81] of cases) {
    it(`names the field of ${what}`, () => {
      const bad = structuredClone(base) as unknown as Record<string, unknown>;
      mutate(bad);
      const error = assertThrows(
        () =>
          ClientSession.restore(
            bad as unknown as ClientSessionSnapshot,
            OPTIONS,
          ),
        MqttError,
      );
      assert(error.message.includes(field), error.message);
      assertEquals(error.reasonCode, code, error.message);
    });
  }

  it("refuses a snapshot of another protocol version than the options' (0x84)", () => {
    const error = assertThrows(
      () => ClientSession.restore(base, { clientId: "c", protocolVersion: 4 }),
      MqttError,
    );
    assertEquals(error.reasonCode, 0x84);
  });

  it("refuses what is not a snapshot at all", () => {
    for (const value of [undefined, null, 1, "x", [], new Uint8Array()]) {
      assertThrows(
        () => ClientSession.restore(value as never, OPTIONS),
        MqttError,
      );
      assertThrows(() => ServerSession.restore(value as never), MqttError);
    }
  });

  /** Every path to a value in a snapshot (a Uint8Array is a value). */
  function paths(value: unknown, prefix: (string | number)[] = []) {
    const out: (string | number)[][] = [prefix];
    if (
      typeof value === "object" && value !== null &&
      !(value instanceof Uint8Array)
    ) {
      for (const [key, child] of Object.entries(value)) {
        out.push(
          ...paths(child, [
            ...prefix,
            Array.isArray(value) ? Number(key) : key,
          ]),
        );
      }
    }
    return out;
  }

  function mutated(
    snapshot: object,
    path: (string | number)[],
    replacement: unknown,
    remove: boolean,
  ): unknown {
    if (path.length === 0) return replacement;
    const copy = structuredClone(snapshot) as Record<string | number, unknown>;
    let parent = copy;
    for (const key of path.slice(0, -1)) {
      parent = parent[key] as Record<string | number, unknown>;
    }
    const last = path.at(-1)!;
    if (remove) delete parent[last];
    else parent[last] = replacement;
    return copy;
  }

  const serverBase = (() => {
    const session = accepted({
      will: { ...message("w", 1), willDelayInterval: 5 },
    });
    session.handlePacket({
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "#", qos: 2, noLocal: true }],
      subscriptionIdentifier: 3,
    }, 1);
    session.deliver({ message: message("a", 2) }, 2);
    session.deliver({ message: message("b", 1) }, 2);
    session.handlePacket(received("in", 3), 2);
    packets(session);
    serverEvents(session);
    return session.snapshot();
  })();

  it("[MQTT-3.1.3-6] refuses a server snapshot with an empty Client Identifier: an accepted session always has one", () => {
    const bad = { ...serverBase, clientId: "" };
    const error = assertThrows(() => ServerSession.restore(bad), MqttError);
    assert(error.message.includes("snapshot.clientId"), error.message);
    assertEquals(error.reasonCode, 0x81);
  });

  it("gives an MqttError or a working session for any mutation, never anything else", () => {
    const clientPaths = paths(base);
    const serverPaths = paths(serverBase);
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.nat(),
        fc.oneof(
          fc.anything(),
          fc.integer({ min: -1, max: 70_000 }),
          fc.constantFrom("queued", "published", "released", 2 ** 53),
          fc.uint8Array({ maxLength: 3 }),
        ),
        fc.boolean(),
        (client, pick, replacement, remove) => {
          const from = client ? base : serverBase;
          const all = client ? clientPaths : serverPaths;
          const bad = mutated(
            from,
            all[pick % all.length],
            replacement,
            remove,
          );
          let restored: ClientSession | ServerSession;
          try {
            restored = client
              ? ClientSession.restore(bad as ClientSessionSnapshot, OPTIONS)
              : ServerSession.restore(bad as ServerSessionSnapshot);
          } catch (error) {
            assert(error instanceof MqttError, String(error));
            return;
          }
          // Accepted: a whole session, which connects and runs.
          if (restored instanceof ClientSession) {
            restored.connectionOpened(10);
            restored.handlePacket(RESUMED, 10);
            packets(restored);
            restored.handleTimeout(1e9);
          } else {
            const next = new ServerSession();
            next.handlePacket(
              resumingConnect({ clientId: restored.clientId }),
              10,
            );
            serverEvents(next);
            next.accept({ previous: restored }, 10);
            packets(next);
            assertEquals(next.snapshot().format, 1);
          }
          if (restored instanceof ClientSession) {
            assertEquals(restored.snapshot().format, 1);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
