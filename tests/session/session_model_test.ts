/**
 * Model tests: a publishing client and a subscribing client, each a
 * ClientSession, connected to a tiny broker made of ServerSessions and a
 * router, through links that carry packets as objects (or, in some runs,
 * through encode and decode). fast-check drives random interleavings of
 * publications, packet deliveries, connection cuts (packets in flight
 * lost), half-open connections taken over by a reconnecting client, time
 * (keep alive), and process restarts: a client's, or the broker's, whose
 * sessions are saved with `snapshot()`, cloned with `structuredClone` and
 * restored, their connections lost. Then everything is reconnected and
 * delivered, and:
 *
 * - no Packet Identifier is reused while in flight, on either side;
 * - never more QoS 1 and 2 messages in flight than the receiver's Receive
 *   Maximum, and no session ever accuses the other of a violation;
 * - every QoS 2 message reaches the subscriber exactly once, every QoS 1
 *   message at least once, every QoS 0 message at most once;
 * - on each topic, QoS 1 and 2 messages first arrive in the order published;
 * - once everything is acknowledged, no session holds any state.
 */

import { assert, assertEquals } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import {
  decode,
  encode,
  type Packet,
  type ProtocolVersion,
  topicMatches,
} from "../../mod.ts";
import {
  ClientSession,
  type ClientSessionOptions,
  type DisconnectedEvent,
  ServerSession,
  type ServerSessionOptions,
} from "../../src/entries/session.ts";
import { NO_STATE } from "../support/sessions.ts";

const CLIENT_RECEIVE_MAXIMUM = 3;
const SERVER_RECEIVE_MAXIMUM = 4;
const KEEP_ALIVE = 10;
const TOPICS = ["sensors/alpha", "sensors/beta", "s/c"];

/**
 * Reason codes of an ordinary end of a connection: the network, a normal
 * DISCONNECT, a takeover, a keep-alive timeout, no CONNACK in time (0x80).
 */
const ORDINARY = new Set([undefined, 0x00, 0x80, 0x8e, 0x8d]);

type Action =
  | { kind: "publish"; qos: 0 | 1 | 2; topic: number }
  | { kind: "toServer"; client: number; count: number }
  | { kind: "toClient"; client: number; count: number }
  | { kind: "cut"; client: number }
  | { kind: "halfOpen"; client: number }
  | { kind: "reconnect"; client: number }
  | { kind: "restartClient"; client: number }
  | { kind: "restartBroker" }
  | { kind: "tick"; ms: number };

const actionArbitrary: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("publish" as const),
      qos: fc.constantFrom(0 as const, 1 as const, 2 as const),
      topic: fc.nat(TOPICS.length - 1),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("toServer" as const),
      client: fc.nat(1),
      count: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("toClient" as const),
      client: fc.nat(1),
      count: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("cut" as const),
      client: fc.nat(1),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("halfOpen" as const),
      client: fc.nat(1),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("reconnect" as const),
      client: fc.nat(1),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("restartClient" as const),
      client: fc.nat(1),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("restartBroker" as const) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("tick" as const),
      ms: fc.constantFrom(0, 100, 1_000, 6_000, 16_000),
    }),
  },
);

/** What the runs exercised, summed over all of them: each must happen. */
const coverage = {
  resentPublish: 0,
  resentPubrel: 0,
  takeover: 0,
  keepAliveTimeout: 0,
  sessionPresent: 0,
  qos2Resend: 0,
  topicAlias: 0,
  /** Restarts that saved a message in flight or a QoS 2 identifier received. */
  clientRestartInFlight: 0,
  brokerRestartInFlight: 0,
};

/** What a sender has sent and not yet seen completed, by Packet Identifier. */
class FlightTracker {
  readonly inFlight = new Map<number, "qos1" | "qos2" | "pubrel" | "request">();

  constructor(readonly name: string, readonly receiveMaximum: number) {}

  sent(packet: Packet): void {
    const name = this.name;
    if (packet.type === "publish" && packet.qos > 0) {
      const id = packet.packetId!;
      const state = this.inFlight.get(id);
      if (packet.dup) {
        coverage.resentPublish++;
        if (packet.qos === 2) coverage.qos2Resend++;
        // A resend of a message in flight, never after its PUBREL [MQTT-4.3.3-6].
        assert(
          state === (packet.qos === 1 ? "qos1" : "qos2"),
          `${name}: DUP PUBLISH ${id} in state ${state}`,
        );
      } else {
        assert(
          state === undefined,
          `${name}: Packet Identifier ${id} reused while ${state}`,
        );
        this.inFlight.set(id, packet.qos === 1 ? "qos1" : "qos2");
      }
      let messages = 0;
      for (const kind of this.inFlight.values()) {
        if (kind !== "request") messages++;
      }
      assert(
        messages <= this.receiveMaximum,
        `${name}: ${messages} messages in flight, Receive Maximum ${this.receiveMaximum}`,
      );
    } else if (packet.type === "pubrel") {
      if (this.inFlight.get(packet.packetId) === "pubrel") {
        coverage.resentPubrel++;
      }
      assert(
        this.inFlight.has(packet.packetId),
        `${name}: PUBREL of unknown ${packet.packetId}`,
      );
      this.inFlight.set(packet.packetId, "pubrel");
    } else if (packet.type === "subscribe" || packet.type === "unsubscribe") {
      const state = this.inFlight.get(packet.packetId);
      assert(
        state === undefined || state === "request",
        `${name}: ${packet.type} reuses ${packet.packetId} while ${state}`,
      );
      this.inFlight.set(packet.packetId, "request");
    }
  }

  received(packet: Packet): void {
    switch (packet.type) {
      case "puback":
      case "pubcomp":
      case "suback":
      case "unsuback":
        this.inFlight.delete(packet.packetId);
        break;
      case "pubrec":
        if ((packet.reasonCode ?? 0) >= 0x80) {
          this.inFlight.delete(packet.packetId);
        }
        break;
    }
  }
}

interface Client {
  readonly index: number;
  readonly id: string;
  readonly options: ClientSessionOptions;
  /** Replaced when the client's process restarts. */
  session: ClientSession;
  readonly tracker: FlightTracker;
  link: Link | undefined;
}

interface Link {
  readonly client: Client;
  readonly server: ServerSession;
  readonly toServer: Packet[];
  readonly toClient: Packet[];
  clientOpen: boolean;
  serverOpen: boolean;
  /** The client dropped the connection without the server noticing. */
  halfOpen: boolean;
}

interface Received {
  topic: string;
  seq: number;
  qos: number;
}

interface Config {
  version: ProtocolVersion;
  wire: boolean;
  aliases: boolean;
}

/** The world: two clients, a broker (sessions by client id and a subscription index), the links. */
class World {
  now = 0;
  readonly clients: Client[];
  readonly registry = new Map<string, ServerSession>();
  readonly index = new Map<string, Set<string>>();
  readonly links: Link[] = [];
  /** Server trackers by client id: the session state moves with takeovers. */
  readonly serverTrackers = new Map<string, FlightTracker>();
  readonly published = new Map<number, { topic: string; qos: 0 | 1 | 2 }>();
  readonly completed = new Set<number>();
  readonly received: Received[] = [];
  readonly disconnects: DisconnectedEvent[] = [];
  readonly serverOptions: ServerSessionOptions;
  #seq = 0;
  #publishIds = new Map<number, number>();

  constructor(readonly config: Config) {
    const v5 = config.version === 5;
    this.serverOptions = {
      receiveMaximum: SERVER_RECEIVE_MAXIMUM,
      topicAliasMaximum: config.aliases ? 2 : 0,
      maximumQueuedMessages: Infinity,
      maximumQueuedBytes: Infinity,
    };
    this.clients = ["publisher", "subscriber"].map((id, index) => {
      const options: ClientSessionOptions = {
        protocolVersion: config.version,
        clientId: id,
        keepAlive: KEEP_ALIVE,
        cleanStart: v5,
        ...(v5
          ? {
            sessionExpiryInterval: 100_000,
            receiveMaximum: CLIENT_RECEIVE_MAXIMUM,
            topicAliasMaximum: config.aliases ? 2 : 0,
          }
          : {}),
      };
      return this.#newClient(index, id, options);
    });
  }

  #newClient(index: number, id: string, options: ClientSessionOptions): Client {
    const v5 = this.config.version === 5;
    return {
      index,
      id,
      options,
      session: new ClientSession(options),
      // MQTT 3.1.1 has no Receive Maximum: the default (65,535) applies.
      tracker: new FlightTracker(
        `client ${id}`,
        v5 ? SERVER_RECEIVE_MAXIMUM : 65_535,
      ),
      link: undefined,
    };
  }

  /** Version 3.1.1 has no Receive Maximum: the default applies to the broker's sends. */
  #clientReceiveMaximum(): number {
    return this.config.version === 5 ? CLIENT_RECEIVE_MAXIMUM : 65_535;
  }

  serverTracker(clientId: string): FlightTracker {
    let tracker = this.serverTrackers.get(clientId);
    if (tracker === undefined) {
      tracker = new FlightTracker(
        `server for ${clientId}`,
        this.#clientReceiveMaximum(),
      );
      this.serverTrackers.set(clientId, tracker);
    }
    return tracker;
  }

  /** A packet on the wire, as objects or through the codec. */
  #carry(packet: Packet): Packet {
    if (packet.type === "publish" && packet.topicAlias !== undefined) {
      coverage.topicAlias++;
    }
    if (!this.config.wire) return packet;
    const options = { protocolVersion: this.config.version };
    return decode(encode(packet, options), options);
  }

  connect(client: Client): void {
    if (client.session.state !== "disconnected" || client.link !== undefined) {
      return;
    }
    const link: Link = {
      client,
      server: new ServerSession(this.serverOptions),
      toServer: [],
      toClient: [],
      clientOpen: true,
      serverOpen: true,
      halfOpen: false,
    };
    this.links.push(link);
    client.link = link;
    client.session.connectionOpened(this.now);
  }

  publish(topic: string, qos: 0 | 1 | 2): void {
    const seq = ++this.#seq;
    this.published.set(seq, { topic, qos });
    const id = this.clients[0].session.publish({
      topic,
      payload: new TextEncoder().encode(String(seq)),
      qos,
      retain: false,
    }, this.now);
    this.#publishIds.set(id, seq);
  }

  toServer(link: Link, count: number): void {
    for (let i = 0; i < count && link.toServer.length > 0; i++) {
      const packet = link.toServer.shift()!;
      if (link.serverOpen) {
        const carried = this.#carry(packet);
        this.serverTracker(link.client.id).received(carried);
        link.server.handlePacket(carried, this.now);
      }
      this.pump();
    }
  }

  toClient(link: Link, count: number): void {
    for (let i = 0; i < count && link.toClient.length > 0; i++) {
      const packet = link.toClient.shift()!;
      if (link.clientOpen) {
        const carried = this.#carry(packet);
        link.client.tracker.received(carried);
        link.client.session.handlePacket(carried, this.now);
      }
      this.pump();
    }
  }

  cut(link: Link): void {
    link.toServer.length = 0;
    link.toClient.length = 0;
    if (link.clientOpen) {
      link.clientOpen = false;
      link.client.session.connectionLost(this.now);
    }
    if (link.serverOpen) {
      link.serverOpen = false;
      link.server.connectionLost(this.now);
    }
    this.pump();
  }

  /** The client drops the connection; the server does not notice. */
  halfOpen(link: Link): void {
    if (!link.clientOpen) return;
    link.halfOpen = true;
    link.toClient.length = 0;
    link.clientOpen = false;
    link.client.session.connectionLost(this.now);
    this.pump();
  }

  /**
   * The client's process restarts: its session is saved, cloned and
   * restored; its connection is gone (the server learns of it once the
   * packets already sent have arrived), and what was on the way to it is
   * lost.
   */
  restartClient(client: Client): void {
    const snapshot = structuredClone(client.session.snapshot());
    if (snapshot.messages.some((m) => m.stage !== "queued")) {
      coverage.clientRestartInFlight++;
    }
    const link = client.link;
    if (link !== undefined) {
      link.toClient.length = 0;
      link.clientOpen = false;
    }
    client.session = ClientSession.restore(snapshot, client.options);
    this.pump();
  }

  /**
   * The broker's process restarts: every session of the registry is saved,
   * cloned and restored; every connection is gone, with what was on its
   * way; the clients learn of it.
   */
  restartBroker(): void {
    const snapshots = [...this.registry].map(([id, session]) =>
      [id, structuredClone(session.snapshot())] as const
    );
    if (
      snapshots.some(([, s]) =>
        s.awaitingRelease.length > 0 ||
        s.messages.some((m) => m.stage !== "queued")
      )
    ) {
      coverage.brokerRestartInFlight++;
    }
    for (const link of this.links) {
      link.toServer.length = 0;
      link.toClient.length = 0;
      link.serverOpen = false; // the old ServerSession is gone with the process
      if (link.clientOpen) {
        link.clientOpen = false;
        link.client.session.connectionLost(this.now);
      }
    }
    this.links.length = 0;
    for (const client of this.clients) client.link = undefined;
    this.registry.clear();
    for (const [id, snapshot] of snapshots) {
      this.registry.set(
        id,
        ServerSession.restore(snapshot, this.serverOptions),
      );
    }
    this.pump();
  }

  tick(ms: number): void {
    this.now += ms;
    const sessions: {
      pollTimeout(): number | undefined;
      handleTimeout(now: number): void;
    }[] = [
      ...this.clients.map((c) => c.session),
      ...this.links.map((l) => l.server),
      ...this.registry.values(),
    ];
    for (const session of new Set(sessions)) {
      const due = session.pollTimeout();
      if (due !== undefined && due <= this.now) session.handleTimeout(this.now);
    }
    this.pump();
  }

  /** Moves every output to where it goes, and answers every event, until nothing moves. */
  pump(): void {
    for (let moved = true; moved;) {
      moved = false;
      for (const client of this.clients) {
        const link = client.link;
        for (let p; (p = client.session.pollTransmit()) !== undefined;) {
          if (link !== undefined && link.clientOpen) {
            client.tracker.sent(p);
            link.toServer.push(p);
          }
          moved = true;
        }
        for (let e; (e = client.session.pollEvent()) !== undefined;) {
          this.#clientEvent(client, e);
          moved = true;
        }
      }
      for (const link of this.links) {
        const { client, server } = link;
        for (let p; (p = server.pollTransmit()) !== undefined;) {
          if (link.serverOpen) {
            this.serverTracker(client.id).sent(p);
            link.toClient.push(p);
          }
          moved = true;
        }
        for (let e; (e = server.pollEvent()) !== undefined;) {
          this.#serverEvent(link, server, e);
          moved = true;
        }
        // A side that closed: the other learns of it once the last packets arrived.
        if (
          !link.clientOpen && link.serverOpen && !link.halfOpen &&
          link.toServer.length === 0
        ) {
          link.serverOpen = false;
          server.connectionLost(this.now);
          moved = true;
        }
        if (!link.serverOpen && link.clientOpen && link.toClient.length === 0) {
          link.clientOpen = false;
          client.session.connectionLost(this.now);
          moved = true;
        }
        if (!link.clientOpen && client.link === link) {
          client.link = undefined;
          moved = true;
        }
      }
      // Sessions whose connection is gone still report (Wills, expiry).
      for (const session of this.registry.values()) {
        for (let e; (e = session.pollEvent()) !== undefined;) {
          this.#serverEvent(undefined, session, e);
          moved = true;
        }
      }
    }
  }

  #clientEvent(
    client: Client,
    e: ReturnType<ClientSession["pollEvent"]> & object,
  ) {
    switch (e.type) {
      case "message": {
        const seq = Number(new TextDecoder().decode(e.message.payload));
        this.received.push({ topic: e.message.topic, seq, qos: e.message.qos });
        break;
      }
      case "published":
        assertEquals(e.reasonCode, 0, `publish ${e.id} refused`);
        this.completed.add(this.#publishIds.get(e.id)!);
        break;
      case "disconnected":
        this.disconnects.push(e);
        if (client.link !== undefined) client.link.clientOpen = false;
        break;
      case "dropped":
        throw new Error(`client ${client.id} dropped a message: ${e.reason}`);
      case "connected":
        if (e.sessionPresent) coverage.sessionPresent++;
        if (e.sessionLost) client.tracker.inFlight.clear();
        break;
    }
  }

  #serverEvent(
    link: Link | undefined,
    session: ServerSession,
    e: ReturnType<ServerSession["pollEvent"]> & object,
  ) {
    switch (e.type) {
      case "connect": {
        const id = e.packet.clientId;
        const previous = this.registry.get(id);
        session.accept({ previous }, this.now);
        this.registry.set(id, session);
        break;
      }
      case "message":
        for (const [filter, ids] of this.index) {
          if (!topicMatches(filter, e.message.topic)) continue;
          for (const id of ids) {
            this.registry.get(id)?.deliver({
              message: e.message,
              topicFilters: [filter],
              publisher: session.clientId,
            }, this.now);
          }
        }
        break;
      case "subscribed":
        for (const s of e.subscriptions) {
          let ids = this.index.get(s.topicFilter);
          if (ids === undefined) this.index.set(s.topicFilter, ids = new Set());
          ids.add(session.clientId);
        }
        break;
      case "ended":
        throw new Error(`session of ${session.clientId} ended: ${e.reason}`);
      case "dropped":
        throw new Error(
          `server dropped a message for ${session.clientId}: ${e.reason}`,
        );
      case "disconnected":
        this.disconnects.push(e);
        if (e.reasonCode === 0x8e) coverage.takeover++;
        if (e.reasonCode === 0x8d) coverage.keepAliveTimeout++;
        if (link !== undefined) link.serverOpen = false;
        else {
          for (const l of this.links) {
            if (l.server === session) l.serverOpen = false;
          }
        }
        break;
    }
  }

  /** Reconnects and delivers everything, with no more cuts, until nothing is left to do. */
  settle(): void {
    for (let round = 0; round < 500; round++) {
      for (const client of this.clients) {
        if (client.link === undefined) this.connect(client);
      }
      this.pump();
      let moved = false;
      for (const link of this.links) {
        if (link.toServer.length > 0 || link.toClient.length > 0) {
          this.toServer(link, link.toServer.length);
          this.toClient(link, link.toClient.length);
          moved = true;
        }
      }
      const quiet = this.clients.every((c) =>
        c.session.state === "connected" &&
        c.session.stats.inFlightMessages === 0 &&
        c.session.stats.queuedMessages === 0 &&
        c.session.stats.pendingRequests === 0
      ) && [...this.registry.values()].every((s) =>
        s.stats.inFlightMessages === 0 && s.stats.queuedMessages === 0 &&
        s.stats.awaitingRelease === 0
      );
      if (!moved && quiet) {
        return;
      }
      if (!moved) this.tick(1); // a pending half-open connection, say: let time pass
    }
    throw new Error("the world did not settle");
  }

  run(action: Action): void {
    const client = "client" in action ? this.clients[action.client] : undefined;
    const link = client?.link;
    switch (action.kind) {
      case "publish":
        return this.publish(TOPICS[action.topic], action.qos);
      case "toServer":
        if (link !== undefined) this.toServer(link, action.count);
        return;
      case "toClient":
        if (link !== undefined) this.toClient(link, action.count);
        return;
      case "cut":
        if (link !== undefined) this.cut(link);
        return;
      case "halfOpen":
        if (link !== undefined) this.halfOpen(link);
        return;
      case "reconnect":
        return this.connect(client!);
      case "restartClient":
        return this.restartClient(client!);
      case "restartBroker":
        return this.restartBroker();
      case "tick":
        return this.tick(action.ms);
    }
  }
}

function check(world: World): void {
  for (const event of world.disconnects) {
    assert(
      ORDINARY.has(event.reasonCode) && event.error?.reasonCode !== 0x82,
      `a session saw a violation: ${event.reasonCode} ${event.error?.message}`,
    );
  }
  const counts = new Map<number, number>();
  for (const { seq } of world.received) {
    counts.set(seq, (counts.get(seq) ?? 0) + 1);
  }
  for (const [seq, { qos, topic }] of world.published) {
    const count = counts.get(seq) ?? 0;
    if (qos === 2) assertEquals(count, 1, `QoS 2 message ${seq} on ${topic}`);
    if (qos === 1) assert(count >= 1, `QoS 1 message ${seq} lost`);
    if (qos === 0) assert(count <= 1, `QoS 0 message ${seq} twice`);
    if (qos > 0) {
      assert(world.completed.has(seq), `publish ${seq} not completed`);
    }
  }
  // Per topic, QoS 1 and 2 messages first arrive in the order published.
  const seen = new Set<number>();
  const last = new Map<string, number>();
  for (const { topic, seq } of world.received) {
    if (seen.has(seq) || world.published.get(seq)!.qos === 0) continue;
    seen.add(seq);
    assert(
      (last.get(topic) ?? 0) < seq,
      `${topic}: ${seq} after ${last.get(topic)}`,
    );
    last.set(topic, seq);
  }
  for (const client of world.clients) {
    assertEquals(client.session.stats, NO_STATE, client.id);
  }
  for (const [id, session] of world.registry) {
    assertEquals(session.stats, NO_STATE, id);
  }
  for (const client of world.clients) {
    assertEquals(client.tracker.inFlight.size, 0);
  }
  for (const tracker of world.serverTrackers.values()) {
    assertEquals(tracker.inFlight.size, 0);
  }
}

/** The subscriber subscribes and everything settles, before any publication. */
function setUp(config: Config): World {
  const world = new World(config);
  world.clients[1].session.subscribe({
    subscriptions: [{ topicFilter: "#", qos: 2 }],
  }, 0);
  world.settle();
  return world;
}

describe("ClientSession and ServerSession against each other", () => {
  const configArbitrary = fc.record({
    version: fc.constantFrom(
      3 as ProtocolVersion,
      4 as ProtocolVersion,
      5 as ProtocolVersion,
    ),
    wire: fc.boolean(),
    aliases: fc.boolean(),
  });

  it("deliver QoS 2 exactly once, QoS 1 at least once, in order per topic, within Receive Maximum, through cuts and takeovers, and end with no state", () => {
    fc.assert(
      fc.property(
        configArbitrary,
        fc.array(actionArbitrary, { maxLength: 150 }),
        (config, actions) => {
          const world = setUp(config);
          for (const action of actions) world.run(action);
          world.settle();
          check(world);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("hold under long runs with many messages", () => {
    fc.assert(
      fc.property(
        configArbitrary,
        fc.array(actionArbitrary, { minLength: 300, maxLength: 600 }),
        (config, actions) => {
          const world = setUp(config);
          for (const action of actions) world.run(action);
          world.settle();
          check(world);
        },
      ),
      { numRuns: 20 },
    );
  });

  it("exercised resends, takeovers, keep-alive timeouts, Topic Aliases and restarts with messages in flight", () => {
    for (const [what, count] of Object.entries(coverage)) {
      assert(count > 0, `no run exercised ${what}`);
    }
  });
});
