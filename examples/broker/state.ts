/**
 * What the example broker decides, for every session: who may connect and
 * which session a client takes over, where each message goes (a
 * `TopicTree` of subscriptions, shared subscriptions in turn), the retained
 * messages (a `TopicMap`), Wills, and the end of sessions. The protocol
 * itself is each connection's `ServerSession`'s.
 *
 * @module
 */

import {
  type ConnectPacket,
  isSharedSubscription,
  ReasonCode,
  type SharedSubscriptionGroup,
  TopicMap,
  TopicTree,
} from "../../mod.ts";
import {
  type ApplicationMessage,
  type ServerEvent,
  ServerSession,
  type ServerSessionOptions,
} from "../../src/entries/session.ts";
import type { Connection, Host, RetainedMessage } from "./connection.ts";
import { DenyList } from "./deny_list.ts";

/** The broker's limits and policies; each has a command-line flag (see broker.ts). */
export interface BrokerSettings {
  /** Topic filters no client may read (`--deny`). */
  deny: readonly string[];
  /** The longest Keep Alive granted, in seconds (`--max-keep-alive`). */
  maximumKeepAlive: number | undefined;
  /** The aliases a client may set (`--topic-alias-maximum`). */
  topicAliasMaximum: number;
  /** The largest packet a client may send once connected (`--max-packet-size`). */
  maximumPacketSize: number;
  /** The largest packet before the CONNECT is accepted (`--max-connect-size`). */
  connectPacketSize: number;
  /** QoS 1 and 2 messages a client may have unacknowledged (`--receive-maximum`). */
  receiveMaximum: number;
  /** QoS 1 and 2 messages in flight to a client, whatever its Receive Maximum (`--max-inflight`). */
  maximumInFlight: number;
  /** Messages queued or in flight for one client (`--max-queued`). */
  maximumQueuedMessages: number;
  /** Bytes of messages queued or in flight for one client (`--max-queued-bytes`). */
  maximumQueuedBytes: number;
  /**
   * Network connections open at once on each listener, as mosquitto's
   * `max_connections`; 0 for no limit (`--max-connections`). One past it
   * is closed as soon as it is accepted (`startBroker` applies it).
   */
  maximumConnections: number;
  /**
   * Sessions held, connected or waiting for their client (until their
   * Session Expiry Interval passes); 0 for no limit (`--max-sessions`).
   * A CONNECT that would make one more is refused; resuming or taking
   * over a session is not one more.
   */
  maximumSessions: number;
  /** Subscriptions of one client (`--max-subscriptions`). */
  maximumSubscriptions: number;
  /**
   * Bytes of retained messages kept, each counted as its payload, topic and
   * properties plus 512 for what holds it (`--max-retained-bytes`).
   */
  maximumRetainedBytes: number;
  /** The longest Session Expiry Interval, in seconds (`--max-session-expiry`). */
  maximumSessionExpiryInterval: number | undefined;
  /** Milliseconds a connection has for its CONNECT (`--connect-timeout`). */
  connectTimeout: number;
  /** Refuse every client, sending it here (0x9C) (`--server-reference`). */
  serverReference: string | undefined;
  /** Log every packet (`--verbose`). */
  verbose: boolean;
  /** Where log lines go. */
  log: (line: string) => void;
  /**
   * The time in milliseconds, from any monotonic origin (default
   * `performance.now`; tests that fake the time give `Date.now`).
   */
  clock: () => number;
}

const MiB = 1024 * 1024;

/** The defaults of {@linkcode BrokerSettings}. */
export const DEFAULT_SETTINGS: Readonly<BrokerSettings> = {
  deny: [],
  maximumKeepAlive: undefined,
  topicAliasMaximum: 10,
  maximumPacketSize: 16 * MiB,
  connectPacketSize: 64 * 1024,
  receiveMaximum: 100,
  maximumInFlight: 100,
  maximumQueuedMessages: 1_000,
  maximumQueuedBytes: 16 * MiB,
  maximumConnections: 10_000,
  maximumSessions: 100_000,
  maximumSubscriptions: 20_000,
  maximumRetainedBytes: 64 * MiB,
  maximumSessionExpiryInterval: undefined,
  connectTimeout: 10_000,
  serverReference: undefined,
  verbose: false,
  log: () => {},
  clock: () => performance.now(),
};

/**
 * What holds a retained message besides its bytes, as measured (about
 * 510 bytes in V8: the message object, its payload's own buffer, its node
 * in the `TopicMap`): 100,000 retained messages of a few bytes cost about
 * 50 MiB.
 */
const RETAINED_OVERHEAD = 512;

/** One subscription in the index: whose, and its filter. */
interface Subscriber {
  readonly clientId: string;
  readonly filter: string;
  /** `[filter]`, for `deliver()` when it is the only one matching. */
  readonly filters: readonly string[];
}

/** The broker: sessions by client id, the subscription index, retained messages. */
export class BrokerState implements Host {
  /** The connection (or the session it left) of each client id. */
  readonly sessions: Map<string, Connection> = new Map();
  readonly sessionOptions: ServerSessionOptions;
  readonly connectPacketSize: number;
  /** The largest packet a client may send once connected. */
  readonly maximumPacketSize: number;
  readonly log: (line: string) => void;
  readonly verbose: boolean;
  readonly clock: () => number;

  readonly #settings: BrokerSettings;
  readonly #deny: DenyList;
  readonly #subscriptions = new TopicTree<Subscriber>();
  /** Each client's entries in the index, by filter. */
  readonly #subscribers = new Map<string, Map<string, Subscriber>>();
  /** Whose turn it is in each shared subscription. */
  readonly #turns = new WeakMap<SharedSubscriptionGroup<Subscriber>, number>();
  readonly #retained = new TopicMap<RetainedMessage>();
  #retainedBytes = 0;
  /** Counts routed messages, to find each receiving connection once. */
  #routed = 0;
  #closed = false;

  constructor(settings: Partial<BrokerSettings> = {}) {
    const s = { ...DEFAULT_SETTINGS, ...settings };
    this.#settings = s;
    this.#deny = new DenyList(s.deny);
    this.connectPacketSize = Math.min(s.connectPacketSize, s.maximumPacketSize);
    this.maximumPacketSize = s.maximumPacketSize;
    this.log = s.log;
    this.verbose = s.verbose;
    this.clock = s.clock;
    this.sessionOptions = {
      // Answered by the broker: SUBSCRIBE for --deny, PUBLISH for retained quota.
      manualAcknowledgement: true,
      receiveMaximum: s.receiveMaximum,
      maximumPacketSize: s.maximumPacketSize,
      topicAliasMaximum: s.topicAliasMaximum,
      maximumInFlight: s.maximumInFlight,
      maximumQueuedMessages: s.maximumQueuedMessages,
      maximumQueuedBytes: s.maximumQueuedBytes,
      maximumSubscriptions: s.maximumSubscriptions,
      connectTimeout: s.connectTimeout,
      ...(s.maximumKeepAlive === undefined
        ? {}
        : { maximumKeepAlive: s.maximumKeepAlive }),
      ...(s.maximumSessionExpiryInterval === undefined
        ? {}
        : { maximumSessionExpiryInterval: s.maximumSessionExpiryInterval }),
    };
    // Checked now (MqttError for a bad one), not at the first connection.
    new ServerSession(this.sessionOptions);
  }

  /** How many retained messages are kept. */
  get retainedCount(): number {
    return this.#retained.size;
  }

  /** Whether some session holds a subscription to `filter`. */
  isSubscribed(filter: string): boolean {
    for (const entries of this.#subscribers.values()) {
      if (entries.has(filter)) return true;
    }
    return false;
  }

  /** The broker's decision on each event of a session. */
  handle(connection: Connection, event: ServerEvent, now: number): void {
    const session = connection.session;
    const clientId = session.clientId;
    switch (event.type) {
      case "connect":
        return this.#connect(connection, event.packet, now);
      case "message": {
        const routed = this.#route(event.message, clientId, now);
        if (event.id !== undefined) {
          session.acknowledge({
            id: event.id,
            reasonCode: routed === "refused"
              ? ReasonCode.QuotaExceeded
              : routed === 0
              ? ReasonCode.NoMatchingSubscribers
              : ReasonCode.Success,
          }, now);
        }
        return;
      }
      case "subscribe":
        // The session's own answer, and 0x80 for what --deny refuses; and
        // for `$share/...` in MQTT 3.1.1 and 3.1, where it is a plain filter
        // to the session but a shared one to the index.
        session.acknowledge({
          id: event.id,
          reasonCodes: event.packet.subscriptions.map(({ topicFilter }, i) =>
            event.reasonCodes[i] < 0x80 &&
              (this.#deny.refuses(topicFilter) ||
                (isSharedSubscription(topicFilter) &&
                  session.protocolVersion !== 5))
              ? 0x80
              : event.reasonCodes[i]
          ),
        }, now);
        return;
      case "unsubscribe":
        session.acknowledge({ id: event.id }, now);
        return;
      case "subscribed":
        for (const subscription of event.subscriptions) {
          this.#subscribe(clientId, subscription.topicFilter);
          if (subscription.sendRetained) connection.sendRetained(subscription);
        }
        return;
      case "unsubscribed":
        for (const filter of event.topicFilters) {
          this.#unsubscribe(clientId, filter);
        }
        return;
      case "will":
        this.#route(event.message, clientId, now);
        return;
      case "ended":
        for (const filter of event.topicFilters) {
          this.#unsubscribe(clientId, filter);
        }
        if (this.sessions.get(clientId) === connection) {
          this.sessions.delete(clientId);
        }
        if (this.verbose) {
          this.log(`${clientId}: session ended (${event.reason})`);
        }
        return;
      case "dropped": {
        // Said once per reason, then counted: a client that does not read
        // can have thousands dropped a second.
        const count = (connection.dropped.get(event.reason) ?? 0) + 1;
        connection.dropped.set(event.reason, count);
        if (count === 1 || this.verbose) {
          this.log(
            `${connection.label}: a message on ${event.message.topic} dropped: ${event.reason}${
              count === 1 ? " (more are counted)" : ""
            }`,
          );
        }
        return;
      }
      case "disconnected": {
        const dropped = [...connection.dropped]
          .map(([reason, count]) => `${count} ${reason}`).join(", ");
        this.log(
          `${connection.label}: disconnected (${event.initiator}${
            event.reasonCode === undefined
              ? ""
              : ` 0x${event.reasonCode.toString(16)}`
          }${event.error === undefined ? "" : `: ${event.error.message}`})${
            dropped === "" ? "" : `; messages dropped: ${dropped}`
          }`,
        );
        connection.end();
        return;
      }
      case "auth":
        return; // never started: a CONNECT with a method is refused
    }
  }

  /** The retained messages `filter` matches, the expired ones forgotten. */
  retainedFor(filter: string): RetainedMessage[] {
    const now = this.clock();
    return this.#retained.match(filter).filter((entry) => {
      const interval = entry.message.messageExpiryInterval;
      if (interval === undefined || now - entry.storedAt < interval * 1000) {
        return true;
      }
      this.#forgetRetained(entry.message.topic);
      return false;
    });
  }

  /** The retained message of `topic` now, if it has one. */
  retainedOn(topic: string): RetainedMessage | undefined {
    return this.#retained.get(topic);
  }

  /** Nothing is routed any more; every timer stops. */
  close(): void {
    this.#closed = true;
    for (const connection of this.sessions.values()) connection.stop();
  }

  /**
   * A CONNECT: refused when the broker sends everyone elsewhere, or the
   * client wants enhanced authentication (not supported); else accepted,
   * taking over the session of its client id. `accept()` is synchronous,
   * so two CONNECTs for one id are decided one after the other: the second
   * takes over from the first, which gets DISCONNECT 0x8E [MQTT-3.1.4-3].
   */
  #connect(connection: Connection, connect: ConnectPacket, now: number): void {
    const session = connection.session;
    const { serverReference } = this.#settings;
    if (serverReference !== undefined) {
      session.reject({
        reasonCode: ReasonCode.UseAnotherServer,
        serverReference,
      }, now);
      return;
    }
    if (connect.authenticationMethod !== undefined) {
      session.reject({ reasonCode: ReasonCode.BadAuthenticationMethod }, now);
      return;
    }
    const previous = connect.clientId === ""
      ? undefined
      : this.sessions.get(connect.clientId);
    if (previous === undefined && this.#sessionsFull()) {
      // 5.0: 0x97 Quota exceeded, "an implementation or administrative
      // imposed limit has been exceeded" (section 3.2.2.2); 3.1.1 (and 3.1)
      // have no such code: 3 Server unavailable (section 3.2.2.3). Either
      // way the connection is then closed (5.0 [MQTT-3.2.2-7], 3.1.1
      // [MQTT-3.2.2-5]), by the session.
      session.reject({
        reasonCode: connect.protocolVersion === 5
          ? ReasonCode.QuotaExceeded
          : 3,
      }, now);
      this.log(
        `${
          connect.clientId || connection.remote
        }: refused: ${this.sessions.size} sessions held (--max-sessions)`,
      );
      return;
    }
    session.accept({
      previous: previous?.session,
      // An empty client id gets one [MQTT-3.1.3-6] (MQTT 3.1.1 refuses it
      // without Clean Session, which the session does by itself).
      ...(connect.clientId === ""
        ? { assignedClientIdentifier: `auto-${crypto.randomUUID()}` }
        : {}),
    }, now);
    this.sessions.set(session.clientId, connection);
    connection.accepted(this.maximumPacketSize);
    this.log(
      `${session.clientId}: connected (MQTT ${
        ["3.1", "3.1.1", "5.0"][connect.protocolVersion - 3]
      }) from ${connection.remote}`,
    );
    // The connection taken over says goodbye (DISCONNECT 0x8E), and an
    // ended session leaves the index, before this session's own events.
    previous?.pump(now);
  }

  /** Whether one more session would be past `maximumSessions`. */
  #sessionsFull(): boolean {
    const { maximumSessions } = this.#settings;
    return maximumSessions > 0 && this.sessions.size >= maximumSessions;
  }

  /** Adds a subscription of `clientId` to the index. */
  #subscribe(clientId: string, filter: string): void {
    let entries = this.#subscribers.get(clientId);
    if (entries === undefined) {
      entries = new Map();
      this.#subscribers.set(clientId, entries);
    }
    if (entries.has(filter)) return; // replaced: same filter, same entry
    const entry: Subscriber = { clientId, filter, filters: [filter] };
    entries.set(filter, entry);
    this.#subscriptions.add(filter, entry);
  }

  #unsubscribe(clientId: string, filter: string): void {
    const entries = this.#subscribers.get(clientId);
    const entry = entries?.get(filter);
    if (entry === undefined) return;
    this.#subscriptions.remove(filter, entry);
    entries!.delete(filter);
    if (entries!.size === 0) this.#subscribers.delete(clientId);
  }

  /**
   * Sends a message to every session with a matching subscription, once
   * each (the session merges its overlapping subscriptions), and to one
   * member of each matching shared subscription; keeps or clears the
   * topic's retained message.
   *
   * @returns How many sessions took it, or `"refused"` when it was to be
   * retained and the retained store is full.
   */
  #route(
    message: ApplicationMessage,
    publisher: string,
    now: number,
  ): number | "refused" {
    if (this.#closed) return 0;
    const topic = message.topic;
    if (this.#deny.hides(topic)) return 0;
    if (message.retain && !this.#keepRetained(message, now)) {
      return "refused";
    }
    const routed = ++this.#routed;
    const receivers: Connection[] = [];
    for (const entry of this.#subscriptions.match(topic)) {
      const target = this.sessions.get(entry.clientId);
      if (target === undefined) continue; // (the index follows the sessions)
      if (target.routed !== routed) {
        target.routed = routed;
        target.routedFilters = entry.filters as string[];
        receivers.push(target);
      } else {
        if (target.routedFilters.length === 1) {
          target.routedFilters = [...target.routedFilters];
        }
        target.routedFilters.push(entry.filter);
      }
    }
    let count = 0;
    for (const target of receivers) {
      const delivered = target.session.deliver({
        message,
        topicFilters: target.routedFilters,
        publisher,
      }, now);
      if (delivered) count++;
      target.pump(now);
    }
    for (const group of this.#subscriptions.matchShared(topic)) {
      if (this.#deliverShared(group, message, publisher, now)) count++;
    }
    return count;
  }

  /**
   * One member of a shared subscription gets the message: the next in turn
   * that is connected and has room in its queue; if none has, the next
   * whose session takes it (queued while its client is away).
   */
  #deliverShared(
    group: SharedSubscriptionGroup<Subscriber>,
    message: ApplicationMessage,
    publisher: string,
    now: number,
  ): boolean {
    const members = group.members;
    const start = this.#turns.get(group) ?? 0;
    for (const picky of [true, false]) {
      for (let i = 0; i < members.length; i++) {
        const index = (start + i) % members.length;
        const member = members[index];
        const target = this.sessions.get(member.clientId);
        if (target === undefined || (picky && !this.#canTake(target))) {
          continue;
        }
        const delivered = target.session.deliver({
          message,
          topicFilters: member.filters,
          publisher,
        }, now);
        if (!delivered) continue;
        this.#turns.set(group, index + 1);
        target.pump(now);
        return true;
      }
    }
    return false;
  }

  /** Whether a session is connected and its queue not full. */
  #canTake(target: Connection): boolean {
    const session = target.session;
    if (session.state !== "connected") return false;
    const stats = session.stats;
    return stats.queuedMessages + stats.inFlightMessages <
        this.#settings.maximumQueuedMessages &&
      stats.messageBytes < this.#settings.maximumQueuedBytes;
  }

  /**
   * Keeps a retained message, or clears the topic's with an empty payload
   * [MQTT-3.3.1-6], [MQTT-3.3.1-7]. Returns false when the store is full
   * (the message is then not kept).
   */
  #keepRetained(message: ApplicationMessage, now: number): boolean {
    const topic = message.topic;
    if (message.payload.length === 0) {
      this.#forgetRetained(topic);
      return true;
    }
    const size = messageSize(message);
    const old = this.#retained.get(topic);
    const bytes = this.#retainedBytes - (old?.size ?? 0) + size;
    if (bytes > this.#settings.maximumRetainedBytes) {
      this.log(`retained store full: not kept: ${topic}`);
      return false;
    }
    this.#retained.set(topic, { message: owned(message), storedAt: now, size });
    this.#retainedBytes = bytes;
    return true;
  }

  #forgetRetained(topic: string): void {
    const old = this.#retained.get(topic);
    if (old === undefined) return;
    this.#retained.delete(topic);
    this.#retainedBytes -= old.size;
  }
}

/**
 * The message with binary fields in buffers of their own. `copyPayloads`
 * copies small fields into 4 KiB slabs shared with the fields after them:
 * right for what passes through, but a retained message kept for hours
 * would keep its whole slab (its neighbours long gone) alive.
 */
function owned(message: ApplicationMessage): ApplicationMessage {
  const { payload, correlationData } = message;
  const alone = (bytes: Uint8Array) =>
    bytes.byteLength === bytes.buffer.byteLength;
  if (
    alone(payload) && (correlationData === undefined || alone(correlationData))
  ) {
    return message;
  }
  const copy = { ...message, payload: payload.slice() };
  if (correlationData !== undefined) {
    copy.correlationData = correlationData.slice();
  }
  return copy;
}

/** The bytes a retained message holds: payload, topic, properties, and what holds them. */
function messageSize(message: ApplicationMessage): number {
  let size = RETAINED_OVERHEAD + message.payload.length + message.topic.length;
  size += message.correlationData?.length ?? 0;
  size += message.contentType?.length ?? 0;
  size += message.responseTopic?.length ?? 0;
  for (const [name, value] of message.userProperties ?? []) {
    size += name.length + value.length + 4;
  }
  return size;
}
