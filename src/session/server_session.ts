/**
 * The server side of an MQTT session, without I/O.
 *
 * @module
 */

import {
  DEFAULT_MAXIMUM_PACKET_SIZE,
  DEFAULT_RECEIVE_MAXIMUM,
  SESSION_NEVER_EXPIRES,
} from "../defaults.ts";
import { MqttError } from "../error.ts";
import type {
  AuthPacket,
  ConnectPacket,
  DisconnectPacket,
  Packet,
  ProtocolVersion,
  PublishPacket,
  QoS,
  SubackPacket,
  SubscribePacket,
  UnsubackPacket,
  UnsubscribePacket,
  UserProperties,
  Will,
} from "../packet.ts";
import { isValidReasonCode, ReasonCode } from "../reason_code.ts";
import { authPacket, checkAuth, unexpectedAuth } from "./auth.ts";
import { fitOrRefuse, type PeerLimits, queueControlPacket } from "./control.ts";
import {
  type ServerSessionOptions,
  type ServerSettings,
  serverSettings,
} from "./server_options.ts";
import {
  acceptedClientId,
  acceptingConnack,
  connectRefusal,
  refusingConnack,
} from "./connack.ts";
import { Deque } from "./deque.ts";
import { InboundTopicAliases } from "./inbound_aliases.ts";
import { OutboundTopicAliases } from "./outbound_aliases.ts";
import { PacketIdAllocator } from "./packet_ids.ts";
import { Receiver } from "./receiver.ts";
import {
  disconnectedEvent,
  disconnectReason,
  isConnectionFailure,
  sessionStats,
} from "./report.ts";
import { Sender } from "./sender.ts";
import {
  messageSnapshot,
  outgoingSnapshot,
  readServerSnapshot,
  type ServerSessionSnapshot,
  SNAPSHOT_FORMAT,
  type SubscriptionSnapshot,
} from "./snapshot.ts";
import {
  addSubscriptions,
  answerPacket,
  checkRequestAnswer,
  matchSubscriptions,
  PendingRequests,
  proposeReasonCodes,
  removeSubscriptions,
  type SubscriptionRequest,
  type Subscriptions,
} from "./subscriptions.ts";
import type {
  Acknowledgement,
  ApplicationMessage,
  Initiator,
  PublishedEvent,
  ServerEvent,
  SessionStats,
} from "./types.ts";
import {
  checkAcknowledgement,
  checkMessage,
  checkNow,
  checkObject,
  checkPacket,
  checkPacketShape,
  checkReaderError,
  describe,
} from "./validate.ts";
import { rule, type VersionRules, versionRules } from "./version.ts";

/** Packets a client may send before its CONNECT is decided, kept until then. */
const EARLY_PACKETS = 64;

/**
 * What {@linkcode ServerSession.accept} adds to the CONNACK.
 *
 * @example Usage
 * ```ts
 * import type { AcceptOptions } from "@mqtt/codec/session";
 * const options: AcceptOptions = { assignedClientIdentifier: "auto-1a2b" };
 * ```
 */
export interface AcceptOptions {
  /**
   * The session this client had on an earlier network connection, from
   * your registry of sessions by client identifier: its connection, if
   * still open, is closed (DISCONNECT 0x8E Session taken over,
   * [MQTT-3.1.4-3]); its state is taken over (Clean Start 0) or ended
   * (Clean Start 1).
   */
  previous?: ServerSession;
  /** The Client Identifier for a client that sent an empty one (required then) [MQTT-3.1.3-6]. */
  assignedClientIdentifier?: string;
  /**
   * MQTT 5.0: a Server Keep Alive for this client, overriding
   * `maximumKeepAlive`. Ignored for MQTT 3.1.1 and 3.1, which cannot tell
   * the client (a Keep Alive it never heard of would close it for
   * silence): `maximumKeepAlive` refuses a Keep Alive above it there.
   */
  serverKeepAlive?: number;
  /** MQTT 5.0: Response Information, sent if the client asked for it [MQTT-3.1.2-28]. */
  responseInformation?: string;
  /** MQTT 5.0: another server the client may use. */
  serverReference?: string;
  /** MQTT 5.0: a Reason String. */
  reasonString?: string;
  /** MQTT 5.0: User Properties. */
  userProperties?: UserProperties;
  /** MQTT 5.0: the last authentication data (enhanced authentication). */
  authenticationData?: Uint8Array;
}

/**
 * What {@linkcode ServerSession.reject} puts in the refusing CONNACK.
 *
 * @example Usage
 * ```ts
 * import { ReasonCode } from "@mqtt/codec";
 * import type { RejectOptions } from "@mqtt/codec/session";
 * const options: RejectOptions = { reasonCode: ReasonCode.NotAuthorized };
 * ```
 */
export interface RejectOptions {
  /**
   * An MQTT 5.0 Connect Reason Code of 0x80 or above. On an MQTT 3.1.1 (or 3.1)
   * connection it becomes the nearest Connect Return Code (0x84 → 1, 0x85
   * → 2, 0x88 and 0x89 → 3, 0x86 → 4, 0x87, 0x8A and 0x8C → 5; 1 to 5 are
   * taken as they are); for the others the connection is closed without a
   * CONNACK (3.1.1 [MQTT-3.2.2-6]).
   */
  reasonCode: number;
  /** MQTT 5.0: a Reason String. */
  reasonString?: string;
  /** MQTT 5.0: User Properties. */
  userProperties?: UserProperties;
  /** MQTT 5.0: another server to use (with 0x9C or 0x9D). */
  serverReference?: string;
}

/**
 * A message for {@linkcode ServerSession.deliver}: what the broker routes
 * to this session, and which of its subscriptions matched.
 *
 * @example Usage
 * ```ts
 * import type { Delivery } from "@mqtt/codec/session";
 *
 * const delivery: Delivery = {
 *   message: {
 *     topic: "sensors/1",
 *     payload: new Uint8Array([1]),
 *     qos: 1,
 *     retain: false,
 *   },
 *   topicFilters: ["sensors/+", "sensors/#"],
 *   publisher: "sensor-1",
 * };
 * ```
 */
export interface Delivery {
  /**
   * The message, as published (a decoded PUBLISH may be passed as it is).
   * Its Message Expiry Interval counts from `now`: for a message the broker
   * held meanwhile (a retained one), give the interval left.
   */
  message: ApplicationMessage;
  /**
   * Which of this session's subscriptions the message is for: one shared
   * subscription (`$share/{ShareName}/{filter}`) for which you picked this
   * session; or the non-shared ones that match, if your index knows them.
   * Absent: every non-shared subscription of this session that matches
   * (the session looks through its own subscriptions), which suits an index
   * that gives client identifiers, such as `TopicTree.match`.
   */
  topicFilters?: readonly string[];
  /** The Client Identifier of the publisher, for No Local [MQTT-3.8.3-3]. */
  publisher?: string;
  /**
   * A retained message sent because a subscription was made (see
   * `GrantedSubscription.sendRetained`): it keeps RETAIN 1.
   */
  retained?: boolean;
}

/**
 * The state of a {@linkcode ServerSession}: `"new"` (waiting for the
 * CONNECT), `"connecting"` (CONNECT received, not yet accepted or
 * rejected), `"connected"`, `"disconnected"` (its connection closed; the
 * session state waits to be taken over or to expire) and `"closed"`
 * (nothing more will happen: rejected, taken over, or ended).
 *
 * @example Usage
 * ```ts
 * import type { ServerSessionState } from "@mqtt/codec/session";
 * const state: ServerSessionState = "connected";
 * ```
 */
export type ServerSessionState =
  | "new"
  | "connecting"
  | "connected"
  | "disconnected"
  | "closed";

/** What the client announced in its CONNECT and the limits in force. */
interface ClientLimits extends PeerLimits {
  readonly keepAlive: number;
}

/** The session state proper (section 4.1): what outlives a network connection. */
interface SessionCore {
  owner: ServerSession;
  readonly ids: PacketIdAllocator;
  readonly sender: Sender;
  readonly receiver: Receiver;
  readonly subscriptions: Subscriptions;
  /** Whether a connection was ever accepted on it (Session Present). */
  accepted: boolean;
  /** The Will of the last connection, until published or deleted. */
  will: Will | undefined;
  /** When the pending Will is due (disconnected only). */
  willAt: number | undefined;
  /** Seconds the session outlives its connection. */
  expiryInterval: number;
  /** When it expires (disconnected only). */
  expiresAt: number | undefined;
}

/**
 * The server side of one client's MQTT 5.0, 3.1.1 or 3.1 session, as a
 * deterministic state machine without I/O ("sans-I/O"): it takes packets,
 * commands and the time, and gives packets to send, events and the next
 * deadline.
 *
 * One `ServerSession` serves one network connection, from its CONNECT on,
 * and then holds the session state (section 4.1) while the client is
 * away. When the client connects again, the new connection's
 * `ServerSession` takes that state over: pass the old object as
 * `previous` to {@linkcode accept}. So every output of an object belongs to
 * one network connection, and a takeover cannot mix two connections'
 * packets; and a CONNECT is authenticated before it can disturb the
 * session it claims.
 *
 * The broker's loop per connection is the client's (see
 * {@linkcode ClientSession}): feed every packet to
 * {@linkcode handlePacket}, drain {@linkcode pollTransmit} to the socket,
 * handle {@linkcode pollEvent}, keep a timer for {@linkcode pollTimeout}.
 * Its decisions: `connect` (accept, reject, or authenticate), routing
 * `message`s to other sessions with {@linkcode deliver}, maintaining its
 * subscription index from `subscribed`, `unsubscribed` and `ended`,
 * publishing `will`s. A session whose connection is gone still has
 * deadlines (Will Delay, Session Expiry): keep polling its timeout.
 *
 * @example A CONNECT accepted, a SUBSCRIBE answered, a message delivered
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ServerSession } from "@mqtt/codec/session";
 *
 * const session = new ServerSession({ maximumQoS: 1 });
 * session.handlePacket({
 *   type: "connect",
 *   protocolVersion: 5,
 *   clientId: "c1",
 *   cleanStart: true,
 *   keepAlive: 60,
 * }, 0);
 * assertEquals(session.pollEvent()?.type, "connect");
 * session.accept({}, 0);
 * assertEquals(session.pollTransmit(), {
 *   type: "connack",
 *   sessionPresent: false,
 *   reasonCode: 0,
 *   maximumQoS: 1,
 * });
 *
 * session.handlePacket({
 *   type: "subscribe",
 *   packetId: 1,
 *   subscriptions: [{ topicFilter: "a/#", qos: 2 }],
 * }, 10);
 * assertEquals(session.pollTransmit(), {
 *   type: "suback",
 *   packetId: 1,
 *   reasonCodes: [1], // granted QoS 1, the server's maximum
 * });
 * assertEquals(session.pollEvent()?.type, "subscribed");
 *
 * const message = { topic: "a/b", payload: new Uint8Array(), qos: 2, retain: false } as const;
 * session.deliver({ message, topicFilters: ["a/#"] }, 20);
 * assertEquals(session.pollTransmit(), {
 *   type: "publish",
 *   topic: "a/b",
 *   payload: new Uint8Array(),
 *   qos: 1,
 *   retain: false,
 *   dup: false,
 *   packetId: 1,
 * });
 * ```
 */
export class ServerSession {
  readonly #options: ServerSettings;
  readonly #transmit = new Deque<Packet>();
  readonly #events = new Deque<ServerEvent>();
  #core: SessionCore;
  #state: ServerSessionState = "new";
  /** The rules of the CONNECT's version (MQTT 5.0's until it arrives). */
  #rules: VersionRules = versionRules(5);
  #connect: ConnectPacket | undefined;
  #clientId = "";
  #client: ClientLimits | undefined;
  #now = 0;
  #lastId = 0;
  #lastReceived = 0;
  /** When a CONNECT not decided by then is refused. */
  #decisionDeadline = 0;
  /** When a connection opened with no CONNECT yet is closed (`connectionOpened`). */
  #connectDeadline: number | undefined;
  /** Packets received between the CONNECT and the decision on it. */
  #early: Packet[] = [];
  /** Requests the application has not answered (manual acknowledgement). */
  readonly #pending = new PendingRequests();
  /** Enhanced authentication: an AUTH of ours waits for the client's answer. */
  #awaitingClientAuth = false;
  /** Enhanced authentication: the client's AUTH waits for our next step. */
  #authStepDue = false;
  #reauthenticating = false;
  /** Whether the client's DISCONNECT deleted the Will (reason code 0x00). */
  #willDeleted = false;

  /**
   * Makes a session for a new network connection, waiting for its CONNECT.
   *
   * @param options The server's limits and the session's behaviour.
   * @throws {MqttError} For an invalid option.
   */
  constructor(options: ServerSessionOptions = {}) {
    this.#options = serverSettings(options);
    this.#core = this.#newCore();
  }

  /**
   * Where the session is in its life: see {@linkcode ServerSessionState}.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   *
   * assertEquals(new ServerSession().state, "new");
   * ```
   */
  get state(): ServerSessionState {
    return this.#state;
  }

  /**
   * The Client Identifier, once accepted (the assigned one for an empty
   * CONNECT's); empty before.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   *
   * const session = new ServerSession();
   * session.handlePacket({
   *   type: "connect",
   *   protocolVersion: 5,
   *   clientId: "",
   *   cleanStart: true,
   *   keepAlive: 60,
   * }, 0);
   * session.accept({ assignedClientIdentifier: "auto-1" }, 0);
   * assertEquals(session.clientId, "auto-1");
   * ```
   */
  get clientId(): string {
    return this.#clientId;
  }

  /**
   * The protocol version of the connection's CONNECT (5 before it), for
   * the `PacketWriter`.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   *
   * const session = new ServerSession();
   * session.handlePacket({
   *   type: "connect",
   *   protocolVersion: 4,
   *   clientId: "c",
   *   cleanStart: true,
   *   keepAlive: 60,
   * }, 0);
   * assertEquals(session.protocolVersion, 4);
   * ```
   */
  get protocolVersion(): ProtocolVersion {
    return this.#rules.version;
  }

  /**
   * Our Maximum Packet Size, for the `PacketReader`'s `maximumPacketSize`
   * option: the reader refuses larger packets with 0x95, which
   * {@linkcode handleError} turns into a DISCONNECT.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   *
   * const session = new ServerSession({ maximumPacketSize: 65_536 });
   * assertEquals(session.maximumPacketSize, 65_536);
   * ```
   */
  get maximumPacketSize(): number {
    return this.#options.maximumPacketSize ?? DEFAULT_MAXIMUM_PACKET_SIZE;
  }

  /**
   * The sizes of the session's state: all 0 once everything is
   * acknowledged.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   *
   * assertEquals(new ServerSession().stats.inFlightMessages, 0);
   * ```
   */
  get stats(): SessionStats {
    const core = this.#core;
    return sessionStats(
      core.sender,
      core.receiver,
      core.ids,
      this.#pending.size,
      0,
    );
  }

  /**
   * The topic filters the session is subscribed to, with their granted
   * QoS (a copy).
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   *
   * assertEquals(new ServerSession().subscriptions.size, 0);
   * ```
   */
  get subscriptions(): Map<string, QoS> {
    const result = new Map<string, QoS>();
    for (const [filter, stored] of this.#core.subscriptions) {
      result.set(filter, stored.qos);
    }
    return result;
  }

  /**
   * The session state (MQTT 5.0 section 4.1) as plain data, to save it and
   * go on after the broker's process restarts with
   * {@linkcode ServerSession.restore}: the Client Identifier, the
   * subscriptions with their options, the QoS 1 and 2 messages in flight
   * to the client with their stage and Packet Identifier, the messages
   * queued for it, the QoS 2 Packet Identifiers received and not yet
   * released, when the session expires, and the Will waiting for its Will
   * Delay Interval.
   *
   * Of a connected session, the deadlines are as if its connection ended
   * at its last input (a restart ends it): the session expires its Session
   * Expiry Interval later, its Will is published its Will Delay Interval
   * later (section 3.1.2.5). What belongs to the network connection is not
   * in it, as it does not outlive the connection: Topic Alias mappings
   * [MQTT-3.3.2-7], the Keep Alive, the client's limits from its CONNECT,
   * the packets and events not yet polled, requests and messages the
   * application has not answered (`manualAcknowledgement`: the client
   * sends them again). Take it between calls, after draining
   * {@linkcode pollTransmit} and {@linkcode pollEvent}.
   *
   * The snapshot is structured-clone-able (numbers, strings, booleans,
   * arrays, plain objects and `Uint8Array`s), and `format: 1`. Its times
   * are in the milliseconds the session was given as `now`: for deadlines
   * that count the downtime, give a clock that does not restart, such as
   * `Date.now()`. It shares the messages' payloads with the session (do
   * not change them); it costs nothing until called.
   *
   * @returns The session state, a new object each call.
   * @throws {MqttError} 0x82 for a session without session state: `"new"`
   * or `"connecting"` (not accepted yet), or `"closed"` (its state ended or
   * went to the session that took it over).
   *
   * @example A broker restarts: the session, restored, is taken over
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   *
   * const connect = {
   *   type: "connect",
   *   protocolVersion: 5,
   *   clientId: "c",
   *   cleanStart: false,
   *   keepAlive: 60,
   *   sessionExpiryInterval: 3600,
   * } as const;
   * const session = new ServerSession();
   * session.handlePacket(connect, 0);
   * session.accept({}, 0);
   * session.handlePacket({
   *   type: "subscribe",
   *   packetId: 1,
   *   subscriptions: [{ topicFilter: "a/#", qos: 1 }],
   * }, 1);
   * const saved = structuredClone(session.snapshot());
   *
   * // A new process:
   * const previous = ServerSession.restore(saved);
   * const next = new ServerSession();
   * next.handlePacket(connect, 60_000);
   * next.accept({ previous }, 60_000);
   * assertEquals(next.pollTransmit(), { type: "connack", sessionPresent: true, reasonCode: 0 });
   * assertEquals([...next.subscriptions.keys()], ["a/#"]);
   * ```
   */
  snapshot(): ServerSessionSnapshot {
    const state = this.#state;
    if (state !== "connected" && state !== "disconnected") {
      throw new MqttError(
        `ServerSession.snapshot: a ${state} session holds no session state (section 4.1)`,
        ReasonCode.ProtocolError,
      );
    }
    const core = this.#core;
    let expiresAt = core.expiresAt;
    let willAt = core.willAt;
    if (state === "connected") {
      // The deadlines #close would set, were the connection to end now.
      const now = this.#now;
      const expiry = core.expiryInterval;
      expiresAt = expiry === SESSION_NEVER_EXPIRES
        ? undefined
        : now + expiry * 1000;
      const will = core.will;
      if (will !== undefined) {
        const delay = this.#rules.willDelay ? will.willDelayInterval ?? 0 : 0;
        willAt = expiry === 0 ? now : now + delay * 1000;
      }
    }
    const subscriptions: SubscriptionSnapshot[] = [];
    for (const [topicFilter, stored] of core.subscriptions) {
      const subscription: SubscriptionSnapshot = {
        topicFilter,
        qos: stored.qos,
        noLocal: stored.noLocal,
        retainAsPublished: stored.retainAsPublished,
      };
      if (stored.subscriptionIdentifier !== undefined) {
        subscription.subscriptionIdentifier = stored.subscriptionIdentifier;
      }
      subscriptions.push(subscription);
    }
    const snapshot: ServerSessionSnapshot = {
      format: SNAPSHOT_FORMAT,
      role: "server",
      protocolVersion: this.#rules.version,
      clientId: this.#clientId,
      lastPacketId: core.ids.last,
      subscriptions,
      messages: [...core.sender].map(outgoingSnapshot),
      awaitingRelease: core.receiver.awaitingReleaseIds(),
    };
    if (expiresAt !== undefined) snapshot.expiresAt = expiresAt;
    if (core.will !== undefined && willAt !== undefined) {
      const message: Will = messageSnapshot(core.will);
      if (core.will.willDelayInterval !== undefined) {
        message.willDelayInterval = core.will.willDelayInterval;
      }
      snapshot.will = { message, publishAt: willAt };
    }
    return snapshot;
  }

  /**
   * A session from a {@linkcode snapshot}, disconnected (the process that
   * held it lost the connection), waiting, as any disconnected session, for
   * its client to connect again: pass it as `previous` to
   * {@linkcode accept}, which resumes it (Session Present 1) and sends
   * again what was in flight [MQTT-4.4.0-1], or ends it for a Clean Start.
   * Deadlines that passed during the downtime run first: at `accept`, or
   * at {@linkcode handleTimeout} (keep polling {@linkcode pollTimeout}): a
   * Will whose delay passed is published, an expired session ends.
   * Messages may be delivered to it meanwhile, as to any disconnected
   * session.
   *
   * @param snapshot What {@linkcode snapshot} gave (or a clone of it).
   * @param options The server's options, as for the constructor (the
   * queue and subscription limits apply to what comes next: nothing saved
   * is dropped for them).
   * @returns The restored session, in state `"disconnected"`.
   * @throws {MqttError} For invalid options; for a snapshot that is not
   * one (0x81, naming the field: a wrong format or type, a Packet
   * Identifier out of range or used twice, an invalid message or topic
   * filter). Nothing is restored then.
   *
   * @example A Will whose delay passed while the broker was down
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   *
   * const session = ServerSession.restore({
   *   format: 1,
   *   role: "server",
   *   protocolVersion: 5,
   *   clientId: "c",
   *   expiresAt: 3_600_000,
   *   will: {
   *     message: { topic: "status/c", payload: new Uint8Array(), qos: 0, retain: false },
   *     publishAt: 10_000,
   *   },
   *   lastPacketId: 0,
   *   subscriptions: [],
   *   messages: [],
   *   awaitingRelease: [],
   * });
   * assertEquals(session.pollTimeout(), 10_000);
   * session.handleTimeout(60_000);
   * assertEquals(session.pollEvent()?.type, "will");
   * ```
   */
  static restore(
    snapshot: ServerSessionSnapshot,
    options: ServerSessionOptions = {},
  ): ServerSession {
    const session = new ServerSession(options);
    const saved = readServerSnapshot(
      snapshot,
      versionRules,
      "ServerSession.restore",
    );
    session.#rules = versionRules(saved.protocolVersion);
    session.#clientId = saved.clientId;
    session.#state = "disconnected";
    const core = session.#core;
    core.accepted = true;
    core.expiresAt = saved.expiresAt;
    core.expiryInterval = saved.expiresAt === undefined
      ? SESSION_NEVER_EXPIRES
      : 0;
    core.will = saved.will?.message;
    core.willAt = saved.will?.publishAt;
    for (const subscription of saved.subscriptions) {
      core.subscriptions.set(subscription.topicFilter, {
        qos: subscription.qos,
        noLocal: subscription.noLocal,
        retainAsPublished: subscription.retainAsPublished,
        subscriptionIdentifier: subscription.subscriptionIdentifier,
      });
    }
    core.ids.last = saved.lastPacketId;
    core.sender.restore(saved.messages);
    core.receiver.restore(saved.awaitingRelease);
    return session;
  }

  // ---------------------------------------------------------------- inputs

  /**
   * The network connection is open, no packet read yet: the client's
   * CONNECT is now due within `connectTimeout` (the deadline of
   * {@linkcode pollTimeout}); past it, {@linkcode handleTimeout} ends the
   * connection without a word, as a server should when no CONNECT comes in
   * a reasonable time (section 3.1.4). Optional: without it, the session
   * waits for the CONNECT for ever.
   *
   * @param now The time, in milliseconds.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   *
   * const session = new ServerSession({ connectTimeout: 10_000 });
   * session.connectionOpened(0);
   * assertEquals(session.pollTimeout(), 10_000);
   * session.handleTimeout(10_000); // still no CONNECT
   * assertEquals(session.pollTransmit(), undefined);
   * assertEquals(session.pollEvent()?.type, "disconnected");
   * assertEquals(session.state, "closed");
   * ```
   */
  connectionOpened(now: number): void {
    this.#now = checkNow(now, "connectionOpened");
    if (this.#state !== "new") return;
    this.#connectDeadline = now + this.#options.connectTimeout;
  }

  /**
   * A packet arrived from the client. The first must be a CONNECT (a
   * `connect` event follows) [MQTT-3.1.0-1]; a second one is a protocol
   * error [MQTT-3.1.0-2]. Packets after the connection ended are ignored.
   *
   * @param packet The packet, as a `PacketReader` (or `decode`) gives it:
   * its fields are taken as the codec checked them.
   * @param now The time, in milliseconds (any monotonic origin).
   * @throws {MqttError} When `packet` is not a packet object, or lacks a
   * field the session reads (which the codec never gives).
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   *
   * const session = new ServerSession();
   * session.handlePacket({
   *   type: "connect",
   *   protocolVersion: 5,
   *   clientId: "c",
   *   cleanStart: true,
   *   keepAlive: 60,
   * }, 0);
   * session.pollEvent(); // connect
   * session.accept({}, 0);
   * session.pollTransmit(); // the CONNACK
   *
   * session.handlePacket({ type: "pingreq" }, 1);
   * assertEquals(session.pollTransmit(), { type: "pingresp" });
   * ```
   */
  handlePacket(packet: Packet, now: number): void {
    this.#now = checkNow(now, "handlePacket");
    checkPacketShape(packet);
    const state = this.#state;
    if (state === "disconnected" || state === "closed") return;
    this.#lastReceived = now;
    try {
      if (state === "new") {
        if (packet.type !== "connect") {
          // Not MQTT, or not a client: close without a word [MQTT-3.1.0-1].
          this.#state = "connecting";
          this.#close(
            "local",
            ReasonCode.ProtocolError,
            undefined,
            new MqttError(
              `${packet.type.toUpperCase()}: the first packet must be a CONNECT [MQTT-3.1.0-1]`,
              ReasonCode.ProtocolError,
            ),
          );
          return;
        }
        this.#handleConnect(packet);
      } else if (state === "connecting") {
        this.#handleEarly(packet);
      } else {
        this.#handle(packet);
      }
    } catch (error) {
      if (!(error instanceof MqttError)) throw error;
      this.#fail(error);
    }
  }

  /**
   * The packet reader failed. For bytes that are not a valid packet, or one
   * above our Maximum Packet Size, a DISCONNECT (or, before the CONNACK, a
   * refusing CONNACK) with the error's reason code ends the connection. A
   * first packet that is not a valid CONNECT gets no answer, except two
   * whose CONNECT has a CONNACK of its own, in MQTT 3.1.1's form (the bytes
   * of 3.1's, and a refusal to a 5.0 client too; `protocolVersion` is then
   * 4): a protocol level we do not speak (0x84), return code 1
   * [MQTT-3.1.2-2]; a Client Identifier its version refuses (0x85: in 3.1.1
   * empty without Clean Session, in 3.1 not 1 to 23 characters), return
   * code 2 [MQTT-3.1.3-8]. For the connection itself failing (0x80
   * Unspecified error, as `PacketReader` reports a reset), it is
   * {@linkcode connectionLost}.
   *
   * @param error The reader's error.
   * @param now The time, in milliseconds.
   * @throws {MqttError} When `error` is not an `MqttError`.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   * import { MqttError } from "@mqtt/codec";
   *
   * const session = new ServerSession();
   * session.handlePacket({
   *   type: "connect",
   *   protocolVersion: 5,
   *   clientId: "c",
   *   cleanStart: true,
   *   keepAlive: 60,
   * }, 0);
   * session.pollEvent(); // connect
   * session.accept({}, 0);
   * session.pollTransmit(); // the CONNACK
   *
   * session.handleError(new MqttError("too large", 0x95), 1);
   * assertEquals(session.pollTransmit(), { type: "disconnect", reasonCode: 0x95 });
   * ```
   */
  handleError(error: MqttError, now: number): void {
    this.#now = checkNow(now, "handleError");
    checkReaderError(error, "handleError");
    const state = this.#state;
    if (state === "new") {
      this.#state = "connecting";
      const code = error.reasonCode;
      if (
        code === ReasonCode.UnsupportedProtocolVersion ||
        code === ReasonCode.ClientIdentifierNotValid
      ) {
        this.#rules = versionRules(4);
        this.#refuse(code, {}, error);
        return;
      }
      this.#close("local", code, undefined, error);
      return;
    }
    if (state !== "connecting" && state !== "connected") return;
    if (isConnectionFailure(error)) {
      this.#transmit.drain();
      this.#close("network", undefined, undefined, error);
      return;
    }
    this.#fail(error);
  }

  /**
   * The deadline of {@linkcode pollTimeout} has passed: a client silent for
   * 1.5 times its Keep Alive is disconnected (0x8D) [MQTT-3.1.2-22]; a
   * CONNECT undecided after `connectTimeout` is refused (0x87), and a
   * connection with no CONNECT that long after {@linkcode connectionOpened}
   * is closed; a delayed Will is published; an expired session ends.
   *
   * @param now The time, in milliseconds.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   *
   * const session = new ServerSession();
   * session.handlePacket({
   *   type: "connect",
   *   protocolVersion: 5,
   *   clientId: "c",
   *   cleanStart: true,
   *   keepAlive: 60,
   * }, 0);
   * session.pollEvent(); // connect
   * session.accept({}, 0);
   * session.pollTransmit(); // the CONNACK
   *
   * session.handleTimeout(90_000); // 1.5 times the Keep Alive of 60 s
   * assertEquals(session.pollTransmit(), { type: "disconnect", reasonCode: 0x8d });
   * ```
   */
  handleTimeout(now: number): void {
    this.#now = checkNow(now, "handleTimeout");
    const state = this.#state;
    if (state === "new") {
      const deadline = this.#connectDeadline;
      if (deadline !== undefined && now >= deadline) {
        this.#state = "connecting";
        this.#close(
          "local",
          ReasonCode.KeepAliveTimeout,
          undefined,
          new MqttError(
            `no CONNECT within connectTimeout (${this.#options.connectTimeout} ms) of the connection opening (section 3.1.4)`,
            ReasonCode.KeepAliveTimeout,
          ),
        );
      }
      return;
    }
    if (state === "connecting" && now >= this.#decisionDeadline) {
      this.#refuse(
        0x87,
        {},
        new MqttError(
          `CONNECT: not accepted within connectTimeout (${this.#options.connectTimeout} ms)`,
          0x87,
        ),
      );
      return;
    }
    if (state === "connecting" || state === "connected") {
      const deadline = this.#keepAliveDeadline();
      if (deadline !== undefined && now >= deadline) {
        const error = new MqttError(
          `no packet from the client within 1.5 times its Keep Alive of ${
            this.#keepAlive() / 1000
          } s ${rule(this.#rules, "[MQTT-3.1.2-22]", "[MQTT-3.1.2-24]")}`,
          ReasonCode.KeepAliveTimeout,
        );
        if (state === "connected" && this.#rules.serverDisconnect) {
          this.#send({
            type: "disconnect",
            reasonCode: ReasonCode.KeepAliveTimeout,
          });
        }
        this.#close("local", ReasonCode.KeepAliveTimeout, undefined, error);
      }
      return;
    }
    if (state === "disconnected") this.#runDeadlines(now);
  }

  /**
   * The network connection is gone: a `disconnected` event follows (unless
   * the session had already ended it), the Will is scheduled, and the
   * session state waits for the client or expires.
   *
   * @param now The time, in milliseconds.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   *
   * const session = new ServerSession();
   * session.handlePacket({
   *   type: "connect",
   *   protocolVersion: 5,
   *   clientId: "c",
   *   cleanStart: true,
   *   keepAlive: 60,
   * }, 0);
   * session.pollEvent(); // connect
   * session.accept({}, 0);
   * session.pollTransmit(); // the CONNACK
   *
   * session.connectionLost(1);
   * assertEquals(session.pollEvent(), { type: "disconnected", initiator: "network" });
   * assertEquals(session.pollEvent()?.type, "ended"); // Session Expiry Interval 0
   * ```
   */
  connectionLost(now: number): void {
    this.#now = checkNow(now, "connectionLost");
    if (this.#state !== "connecting" && this.#state !== "connected") {
      if (this.#state === "new") this.#state = "closed";
      return;
    }
    this.#transmit.drain();
    this.#close("network");
  }

  // -------------------------------------------------------------- commands

  /**
   * Accepts the CONNECT: takes over or ends the `previous` session of this
   * client (see {@linkcode AcceptOptions.previous}), queues the CONNACK with
   * the server's limits and Session Present [MQTT-3.2.2-2],
   * [MQTT-3.2.2-3], then what a resumed session had in flight [MQTT-4.4.0-1]
   * and queued.
   *
   * A disconnected `previous` session first catches up with `now`: its
   * Will, if its Will Delay Interval has passed, is published (a `will`
   * event of `previous`), and if it has expired it ends (`ended`), so it
   * is not resumed (Session Present 0), as if its timer had run in time.
   * Drain `previous`'s events after this call.
   *
   * A CONNACK larger than the client's Maximum Packet Size even without its
   * Reason String and User Properties (a long assigned Client Identifier,
   * say) cannot be sent [MQTT-3.1.2-24]: the CONNECT is refused with 0x95
   * instead, and `previous` is not touched.
   *
   * @param options The previous session, an assigned Client Identifier,
   * and what else the CONNACK carries.
   * @param now The time, in milliseconds.
   * @throws {MqttError} When no CONNECT waits for a decision, or for
   * invalid options.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   *
   * const session = new ServerSession();
   * session.handlePacket({
   *   type: "connect",
   *   protocolVersion: 5,
   *   clientId: "c",
   *   cleanStart: true,
   *   keepAlive: 60,
   * }, 0);
   * session.pollEvent(); // connect
   * session.accept({ reasonString: "welcome" }, 0);
   * assertEquals(session.pollTransmit(), {
   *   type: "connack",
   *   sessionPresent: false,
   *   reasonCode: 0,
   *   reasonString: "welcome",
   * });
   * assertEquals(session.state, "connected");
   * ```
   */
  accept(options: AcceptOptions, now: number): void {
    this.#now = checkNow(now, "accept");
    const where = "accept";
    checkObject(options, where, "options");
    const connect = this.#awaitingDecision(where);
    const rules = this.#rules;
    const clientId = acceptedClientId(
      connect,
      options.assignedClientIdentifier,
      where,
    );
    const previous = options.previous;
    if (previous !== undefined) {
      if (!(previous instanceof ServerSession) || previous === this) {
        throw new MqttError(
          `${where}: previous must be another ServerSession`,
          ReasonCode.ProtocolError,
        );
      }
      if (previous.#clientId !== clientId) {
        throw new MqttError(
          `${where}: previous is the session of ${
            describe(previous.#clientId)
          }, not ${describe(clientId)}`,
          ReasonCode.ProtocolError,
        );
      }
    }
    const opts = this.#options;
    const { connack, keepAlive, expiryInterval } = acceptingConnack(
      connect,
      clientId,
      options,
      opts,
      rules,
      where,
    );
    try {
      fitOrRefuse(connack, this.#clientLimits(), where, "client");
    } catch (error) {
      if (!(error instanceof MqttError)) throw error;
      this.#refuse(ReasonCode.PacketTooLarge, {}, error);
      return;
    }

    // The decision is made: from here on, the session is this client's.
    this.#clientId = clientId;
    if (previous !== undefined) {
      this.#takeOver(previous, connect.cleanStart, now);
    }
    const core = this.#core;
    // Session Present: a resumed session [MQTT-3.2.2-3], never after a Clean
    // Start [MQTT-3.2.2-2].
    const sessionPresent = !connect.cleanStart && core.accepted;
    connack.sessionPresent = rules.sessionPresentFlag && sessionPresent;
    core.accepted = true;
    core.will = connect.will;
    core.expiryInterval = expiryInterval;
    this.#willDeleted = false;
    const client: ClientLimits = {
      rules,
      maximumPacketSize: connect.maximumPacketSize ??
        DEFAULT_MAXIMUM_PACKET_SIZE,
      problemInformation: connect.requestProblemInformation ?? true,
      keepAlive: keepAlive * 1000,
    };
    this.#client = client;
    this.#state = "connected";
    this.#awaitingClientAuth = false;
    this.#authStepDue = false;
    this.#send(connack);
    this.#attach(core, connect, client, sessionPresent);
    const early = this.#early;
    this.#early = [];
    for (const packet of early) {
      if (this.#state !== "connected") break;
      try {
        this.#handle(packet);
      } catch (error) {
        if (!(error instanceof MqttError)) throw error;
        this.#fail(error);
      }
    }
  }

  /**
   * Refuses the CONNECT: a CONNACK with the reason code, then the
   * connection ends (`disconnected`). A previous session of the client is
   * not touched.
   *
   * @param options The reason code (0x80 or above) and properties.
   * @param now The time, in milliseconds.
   * @throws {MqttError} When no CONNECT waits for a decision, or for a
   * reason code a CONNACK cannot carry.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   * import { ReasonCode } from "@mqtt/codec";
   *
   * const session = new ServerSession();
   * session.handlePacket({
   *   type: "connect",
   *   protocolVersion: 5,
   *   clientId: "c",
   *   cleanStart: true,
   *   keepAlive: 60,
   * }, 0);
   * session.pollEvent(); // connect
   *
   * session.reject({ reasonCode: ReasonCode.NotAuthorized }, 0);
   * assertEquals(session.pollTransmit(), {
   *   type: "connack",
   *   sessionPresent: false,
   *   reasonCode: 0x87,
   * });
   * assertEquals(session.pollEvent()?.type, "disconnected");
   * ```
   */
  reject(options: RejectOptions, now: number): void {
    this.#now = checkNow(now, "reject");
    const where = "reject";
    checkObject(options, where, "options");
    this.#awaitingDecision(where);
    const code = options.reasonCode;
    if (!isValidReasonCode("connack", code) || code < 0x80) {
      if (this.#rules.connectReasonCodes || code < 1 || code > 5) {
        throw new MqttError(
          `${where}: ${
            describe(code)
          } is not a CONNACK reason code of 0x80 or above (section 3.2.2.2)`,
          ReasonCode.ProtocolError,
        );
      }
    }
    this.#refuse(code, options);
  }

  /**
   * A step of enhanced authentication (MQTT 5.0 section 4.12), with the
   * CONNECT's Authentication Method filled in [MQTT-4.12.0-5]: while the
   * CONNECT is being decided, 0x18 (Continue authentication) sends a
   * challenge [MQTT-4.12.0-2] (finish with {@linkcode accept} or
   * {@linkcode reject}); during a re-authentication the client started,
   * 0x18 continues it and 0x00 (Success) ends it.
   *
   * @param request The reason code, the method's data, and properties.
   * @param now The time, in milliseconds.
   * @throws {MqttError} When the CONNECT had no Authentication Method
   * [MQTT-4.12.0-6], the step is not due, or the AUTH is larger than the
   * client's Maximum Packet Size without its Reason String and User
   * Properties (0x95) [MQTT-3.1.2-24].
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   *
   * const session = new ServerSession();
   * session.handlePacket({
   *   type: "connect",
   *   protocolVersion: 5,
   *   clientId: "c",
   *   cleanStart: true,
   *   keepAlive: 60,
   *   authenticationMethod: "SCRAM-SHA-256",
   * }, 0);
   * session.pollEvent(); // connect: a first challenge
   * session.authenticate({
   *   reasonCode: 0x18,
   *   authenticationData: new TextEncoder().encode("server-first"),
   * }, 0);
   * assertEquals(session.pollTransmit()?.type, "auth");
   * ```
   */
  authenticate(
    request: Omit<AuthPacket, "type" | "authenticationMethod">,
    now: number,
  ): void {
    this.#now = checkNow(now, "authenticate");
    checkObject(request, "authenticate", "the request");
    const packet = authPacket(
      request,
      this.#connect?.authenticationMethod,
      this.#rules,
      "[MQTT-4.12.0-6]",
    );
    const code = packet.reasonCode ?? 0;
    const connecting = this.#state === "connecting";
    const reauthenticating = this.#state === "connected" &&
      this.#reauthenticating;
    const due = connecting ? !this.#awaitingClientAuth : this.#authStepDue;
    if (
      !(connecting || reauthenticating) || !due ||
      (code !== ReasonCode.ContinueAuthentication &&
        !(code === 0 && reauthenticating))
    ) {
      throw new MqttError(
        `authenticate: AUTH ${describe(code)} is not due now (section 4.12)`,
        ReasonCode.ProtocolError,
      );
    }
    const fitted = fitOrRefuse(
      packet,
      this.#clientLimits(),
      "authenticate",
      "client",
    );
    if (code === 0) this.#reauthenticating = false;
    this.#awaitingClientAuth = code === ReasonCode.ContinueAuthentication;
    this.#authStepDue = false;
    this.#transmit.push(fitted);
  }

  /**
   * Ends the connection: MQTT 5.0 sends a DISCONNECT with the reason code
   * (0x8E Session taken over, 0x8B Server shutting down, ...); MQTT 3.1.1 and 3.1
   * just closes. The Will is published (after its delay), as for any end
   * not asked for by the client. Before the CONNECT is accepted, use
   * {@linkcode reject}; this closes without a word [MQTT-3.14.0-1]. Does
   * nothing once disconnected.
   *
   * @param request The reason code, a Reason String, User Properties, a
   * Server Reference.
   * @param now The time, in milliseconds.
   * @throws {MqttError} For an invalid request, or a Session Expiry
   * Interval, which a server never sends [MQTT-3.14.2-2].
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   * import { ReasonCode } from "@mqtt/codec";
   *
   * const session = new ServerSession();
   * session.handlePacket({
   *   type: "connect",
   *   protocolVersion: 5,
   *   clientId: "c",
   *   cleanStart: true,
   *   keepAlive: 60,
   * }, 0);
   * session.pollEvent(); // connect
   * session.accept({}, 0);
   * session.pollTransmit(); // the CONNACK
   *
   * session.disconnect({ reasonCode: ReasonCode.ServerShuttingDown }, 1);
   * assertEquals(session.pollTransmit(), { type: "disconnect", reasonCode: 0x8b });
   * ```
   */
  disconnect(request: Omit<DisconnectPacket, "type">, now: number): void {
    this.#now = checkNow(now, "disconnect");
    const where = "disconnect";
    checkObject(request, where, "the request");
    const packet: DisconnectPacket = { ...request, type: "disconnect" };
    if (packet.sessionExpiryInterval !== undefined) {
      throw new MqttError(
        `${where}: a server does not send a Session Expiry Interval [MQTT-3.14.2-2]`,
        ReasonCode.ProtocolError,
      );
    }
    const state = this.#state;
    if (state === "new") {
      this.#state = "closed";
      return;
    }
    if (state !== "connecting" && state !== "connected") return;
    const rules = this.#rules;
    // Checked as MQTT 5.0 would send it: 3.1.1 sends nothing, it closes.
    checkPacket(
      packet,
      rules.serverDisconnect ? rules : versionRules(5),
      where,
    );
    if (state === "connected" && rules.serverDisconnect) this.#send(packet);
    this.#close("local", packet.reasonCode ?? ReasonCode.NormalDisconnection);
  }

  /**
   * Hands a message to this session for its client, as a broker does after
   * matching it against its subscription index. From the subscriptions
   * named in `topicFilters` (each must be held by this session and match
   * the topic), or without them from all its non-shared subscriptions that
   * match, the session decides what the client gets: one copy at the
   * highest granted QoS [MQTT-3.3.4-2], never above the message's
   * [MQTT-3.8.4-8], with the Subscription Identifiers of all of them
   * [MQTT-3.3.4-3], [MQTT-3.3.4-4]; none when No Local excludes them all
   * [MQTT-3.8.3-3]; RETAIN as published only for Retain As Published
   * [MQTT-3.3.1-12], [MQTT-3.3.1-13] (or for `retained`). Then it is
   * queued (see the queue limits) and sent within the client's Receive
   * Maximum, Topic Alias Maximum and Maximum Packet Size.
   *
   * @param delivery The message, the matching filters, the publisher.
   * @param now The time, in milliseconds: a Message Expiry Interval counts
   * from here.
   * @returns Whether the message was queued for the client. `false`: no
   * subscription of this session matches (or No Local excluded it), the client is disconnected and the message is QoS 0
   * (not queued unless `queueQoS0WhileDisconnected`), the session is
   * closed, or the queue limits refused it. Once queued, a message is
   * sent or reported by a `dropped` event.
   * @throws {MqttError} For an invalid delivery or message.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   *
   * const session = new ServerSession();
   * session.handlePacket({
   *   type: "connect",
   *   protocolVersion: 5,
   *   clientId: "c",
   *   cleanStart: true,
   *   keepAlive: 60,
   * }, 0);
   * session.pollEvent(); // connect
   * session.accept({}, 0);
   * session.pollTransmit(); // the CONNACK
   *
   * session.handlePacket({
   *   type: "subscribe",
   *   packetId: 1,
   *   subscriptions: [{ topicFilter: "sensors/#", qos: 1 }],
   * }, 1);
   * session.pollTransmit(); // the SUBACK
   * const message = {
   *   topic: "sensors/1",
   *   payload: new Uint8Array([1]),
   *   qos: 2,
   *   retain: false,
   * } as const;
   * assertEquals(session.deliver({ message }, 2), true);
   * const publish = session.pollTransmit();
   * assertEquals(publish?.type === "publish" && publish.qos, 1); // the granted QoS
   * assertEquals(session.deliver({ message: { ...message, topic: "other" } }, 2), false);
   * ```
   */
  deliver(delivery: Delivery, now: number): boolean {
    this.#now = checkNow(now, "deliver");
    checkDelivery(delivery);
    const state = this.#state;
    if (state !== "connected" && state !== "disconnected") return false;
    const { message, topicFilters } = delivery;
    const rules = this.#rules;
    const size = checkMessage(message, rules, "deliver");
    const match = matchSubscriptions(
      this.#core.subscriptions,
      message.topic,
      topicFilters,
      delivery.publisher === this.#clientId,
      rules,
    );
    if (match === undefined) return false;
    const qos = match.qos;
    const sentQoS = (message.qos < qos ? message.qos : qos) as QoS;
    if (
      sentQoS === 0 && state === "disconnected" &&
      !this.#options.queueQoS0WhileDisconnected
    ) {
      return false;
    }
    // RETAIN: 1 for a retained message sent on subscribing; else as
    // published with Retain As Published, 0 otherwise (3.1.1 has no such
    // option: always 0, 3.1.1 [MQTT-3.3.1-9]).
    const retain = delivery.retained === true ||
      (rules.subscriptionOptions && match.retainAsPublished && message.retain);
    const interval = rules.messageExpiry
      ? message.messageExpiryInterval
      : undefined;
    return this.#core.sender.add(
      0,
      message,
      sentQoS,
      retain,
      rules.properties ? match.identifiers : undefined,
      size,
      interval === undefined ? undefined : now + interval * 1000,
      now,
    );
  }

  /**
   * Answers a request reported with an `id` (option
   * `manualAcknowledgement`): a QoS 1 or 2 message (`reasonCode`), a
   * SUBSCRIBE or an UNSUBSCRIBE (`reasonCodes`, by default the ones the
   * event proposed). Message answers go out in the order the messages
   * arrived [MQTT-4.6.0-2], [MQTT-4.6.0-3].
   *
   * @param answer The id, and the reason code(s).
   * @param now The time, in milliseconds.
   * @returns Whether the id was waiting for an answer (false after its
   * connection ended).
   * @throws {MqttError} For an answer that is not an object with an `id`,
   * or reason codes or properties the acknowledgement cannot carry. (An
   * MQTT 3.1.1 or 3.1 SUBACK has one code of refusal, 0x80: any other code
   * of 0x80 or above, such as 0x87, is sent as 0x80 (3.1.1 section
   * 3.9.3).)
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   *
   * const session = new ServerSession({ manualAcknowledgement: true });
   * session.handlePacket({
   *   type: "connect",
   *   protocolVersion: 5,
   *   clientId: "c",
   *   cleanStart: true,
   *   keepAlive: 60,
   * }, 0);
   * session.pollEvent();
   * session.accept({}, 0);
   * session.pollTransmit();
   * session.handlePacket({
   *   type: "subscribe",
   *   packetId: 1,
   *   subscriptions: [{ topicFilter: "secret/#", qos: 1 }],
   * }, 1);
   * const request = session.pollEvent();
   * if (request?.type === "subscribe") {
   *   session.acknowledge({ id: request.id, reasonCodes: [0x87] }, 1); // not authorized
   * }
   * assertEquals(session.pollTransmit(), { type: "suback", packetId: 1, reasonCodes: [0x87] });
   * ```
   */
  acknowledge(answer: Acknowledgement, now: number): boolean {
    this.#now = checkNow(now, "acknowledge");
    checkAcknowledgement(answer);
    if (this.#state !== "connected") return false;
    const request = this.#pending.get(answer.id);
    if (request === undefined) return this.#core.receiver.acknowledge(answer);
    const codes = answer.reasonCodes ??
      proposeReasonCodes(
        request,
        this.#core.subscriptions,
        this.#rules,
        this.#options,
      );
    checkRequestAnswer(request, codes, answer, this.#rules);
    this.#pending.delete(answer.id);
    if (request.type === "subscribe") {
      this.#completeSubscribe(request, codes, answer);
    } else this.#completeUnsubscribe(request, codes, answer);
    return true;
  }

  // --------------------------------------------------------------- outputs

  /**
   * The next packet to write to the client, or `undefined` when there is
   * none: control packets first, then PUBLISH and PUBREL packets as the
   * client's Receive Maximum allows. Write them in the order returned.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   *
   * assertEquals(new ServerSession().pollTransmit(), undefined);
   * ```
   */
  pollTransmit(): Packet | undefined {
    const packet = this.#transmit.shift();
    if (packet !== undefined || this.#state !== "connected") return packet;
    return this.#core.sender.next(this.#now);
  }

  /**
   * The next event, or `undefined` when there is none.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   *
   * assertEquals(new ServerSession().pollEvent(), undefined);
   * ```
   */
  pollEvent(): ServerEvent | undefined {
    return this.#events.shift();
  }

  /**
   * When {@linkcode handleTimeout} is due next (absolute milliseconds), or
   * `undefined` for never: before the CONNECT, `connectTimeout` after
   * {@linkcode connectionOpened} (if called); while connected, 1.5 times the
   * Keep Alive after the last packet from the client; while its CONNECT
   * waits for a decision, that or `connectTimeout`, whichever is first;
   * while disconnected, when the Will is due or the session expires.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ServerSession } from "@mqtt/codec/session";
   *
   * const session = new ServerSession();
   * session.handlePacket({
   *   type: "connect",
   *   protocolVersion: 5,
   *   clientId: "c",
   *   cleanStart: true,
   *   keepAlive: 10,
   * }, 0);
   * session.accept({}, 0);
   * assertEquals(session.pollTimeout(), 15_000);
   * ```
   */
  pollTimeout(): number | undefined {
    const state = this.#state;
    if (state === "new") return this.#connectDeadline;
    if (state === "connecting") {
      const keepAlive = this.#keepAliveDeadline();
      return keepAlive === undefined
        ? this.#decisionDeadline
        : Math.min(keepAlive, this.#decisionDeadline);
    }
    if (state === "connected") return this.#keepAliveDeadline();
    if (state !== "disconnected") return undefined;
    const { willAt, expiresAt } = this.#core;
    if (willAt === undefined) return expiresAt;
    return expiresAt === undefined ? willAt : Math.min(willAt, expiresAt);
  }

  // ------------------------------------------------------------- internals

  #newCore(): SessionCore {
    const core: SessionCore = {
      owner: this,
      ids: new PacketIdAllocator(),
      sender: undefined as unknown as Sender,
      receiver: undefined as unknown as Receiver,
      subscriptions: new Map(),
      accepted: false,
      will: undefined,
      willAt: undefined,
      expiryInterval: 0,
      expiresAt: undefined,
    };
    const options = this.#options;
    // The session state may move to another ServerSession (a takeover):
    // its output goes to whichever owns it now.
    const emit = (event: ServerEvent) => core.owner.#events.push(event);
    (core as { sender: Sender }).sender = new Sender({
      maximumMessages: options.maximumQueuedMessages,
      maximumBytes: options.maximumQueuedBytes,
      reportCompletion: false,
      // Without reportCompletion a sender emits `dropped` events only.
      emit: emit as (event: ServerEvent | PublishedEvent) => void,
      ids: core.ids,
    });
    (core as { receiver: Receiver }).receiver = new Receiver({
      strictReceiveMaximum: options.strictReceiveMaximum,
      manualAcknowledgement: options.manualAcknowledgement,
      markReceived: true,
      emit,
      send: (packet) => core.owner.#send(packet),
      nextId: () => ++core.owner.#lastId,
    });
    return core;
  }

  /**
   * Takes over or ends `previous`, the session this client had on an
   * earlier connection [MQTT-3.1.4-3]: what fell due on it first, then its
   * connection is closed, and its state becomes this session's (Clean
   * Start 0) or ends (Clean Start 1).
   */
  #takeOver(previous: ServerSession, cleanStart: boolean, now: number): void {
    if (previous.#state === "disconnected") {
      // What fell due before now happens first (its timer may not have
      // run yet): a Will whose delay passed is published, not cancelled
      // [MQTT-3.1.3-9]; an expired session ends, not resumed (section 4.1).
      previous.#now = now;
      previous.#runDeadlines(now);
    }
    if (
      previous.#state === "connected" || previous.#state === "connecting"
    ) {
      previous.#takenOver(now);
    }
    if (cleanStart) {
      // A new session replaces the old, which ends: its Will goes now
      // (section 3.1.3.2.2: at the end of the session at the latest).
      if (previous.#state === "disconnected") previous.#end("clean-start");
      previous.#state = "closed";
    } else if (previous.#state === "disconnected") {
      // Taken over: the Will of the old connection is not sent
      // [MQTT-3.1.3-9], the session no longer expires.
      const core = previous.#core;
      previous.#core = previous.#newCore();
      previous.#state = "closed";
      core.owner = this;
      core.willAt = undefined;
      core.will = undefined;
      core.expiresAt = undefined;
      this.#core = core;
    } else {
      previous.#state = "closed";
    }
  }

  /** Sends and receives the session's messages on the accepted connection, within the client's limits. */
  #attach(
    core: SessionCore,
    connect: ConnectPacket,
    client: ClientLimits,
    sessionPresent: boolean,
  ): void {
    const rules = this.#rules;
    const opts = this.#options;
    const clientAliases = connect.topicAliasMaximum ?? 0;
    core.sender.attach({
      rules,
      sendQuota: Math.min(
        connect.receiveMaximum ?? DEFAULT_RECEIVE_MAXIMUM,
        opts.maximumInFlight,
      ),
      maximumPacketSize: client.maximumPacketSize,
      aliases: opts.useTopicAliases && clientAliases > 0
        ? new OutboundTopicAliases(clientAliases)
        : undefined,
      maximumQoS: 2,
      retainAvailable: true,
    }, sessionPresent);
    core.receiver.attach({
      rules,
      // MQTT 3.1.1 cannot tell the client a Receive Maximum: none is held
      // against it (its QoS 2 identifiers are bounded by their 65,535).
      receiveMaximum: rules.receiveMaximum
        ? opts.receiveMaximum
        : DEFAULT_RECEIVE_MAXIMUM,
      aliases: new InboundTopicAliases(
        rules.topicAliases ? opts.topicAliasMaximum : 0,
      ),
    });
  }

  /** While disconnected: the delayed Will, then the expiry, when due by `now`. */
  #runDeadlines(now: number): void {
    const core = this.#core;
    if (core.willAt !== undefined && now >= core.willAt) this.#publishWill();
    if (core.expiresAt !== undefined && now >= core.expiresAt) {
      this.#end("expired");
    }
  }

  /** What the client takes, from its CONNECT (before the CONNACK too). */
  #clientLimits(): ClientLimits {
    const client = this.#client;
    if (client !== undefined) return client;
    const connect = this.#connect;
    return {
      rules: this.#rules,
      maximumPacketSize: connect?.maximumPacketSize ??
        DEFAULT_MAXIMUM_PACKET_SIZE,
      problemInformation: connect?.requestProblemInformation ?? true,
      keepAlive: 0,
    };
  }

  #keepAlive(): number {
    const client = this.#client;
    if (client !== undefined) return client.keepAlive;
    return (this.#connect?.keepAlive ?? 0) * 1000;
  }

  #keepAliveDeadline(): number | undefined {
    const keepAlive = this.#keepAlive();
    return keepAlive === 0 ? undefined : this.#lastReceived + keepAlive * 1.5;
  }

  #awaitingDecision(where: string): ConnectPacket {
    if (this.#state !== "connecting" || this.#connect === undefined) {
      throw new MqttError(
        `${where}: no CONNECT waits for a decision (the session is ${this.#state})`,
        ReasonCode.ProtocolError,
      );
    }
    return this.#connect;
  }

  /** Queues a control packet, fitted to the client's limits once known. */
  #send(packet: Packet): void {
    queueControlPacket(this.#transmit, packet, this.#client);
  }

  #handleConnect(connect: ConnectPacket): void {
    const rules = versionRules(connect.protocolVersion);
    this.#rules = rules;
    this.#connect = connect;
    this.#state = "connecting";
    this.#decisionDeadline = this.#now + this.#options.connectTimeout;
    const refusal = connectRefusal(connect, rules, this.#options);
    if (refusal !== undefined) {
      this.#refuse(refusal, {});
      return;
    }
    this.#events.push({ type: "connect", packet: connect });
  }

  /** A packet between the CONNECT and the decision on it. */
  #handleEarly(packet: Packet): void {
    if (packet.type === "auth") return this.#handleAuth(packet);
    if (packet.type === "disconnect") {
      this.#transmit.drain();
      this.#close("peer", packet.reasonCode ?? 0, packet);
      return;
    }
    if (packet.type === "connect") {
      throw new MqttError(
        "CONNECT: a second CONNECT [MQTT-3.1.0-2]",
        ReasonCode.ProtocolError,
      );
    }
    if (this.#connect!.authenticationMethod !== undefined) {
      throw new MqttError(
        `${packet.type.toUpperCase()}: only AUTH and DISCONNECT may follow a CONNECT with an Authentication Method before the CONNACK [MQTT-3.1.2-30]`,
        ReasonCode.ProtocolError,
      );
    }
    if (this.#early.length >= EARLY_PACKETS) {
      throw new MqttError(
        `${packet.type.toUpperCase()}: more than ${EARLY_PACKETS} packets before the CONNACK`,
        ReasonCode.QuotaExceeded,
      );
    }
    this.#early.push(packet);
  }

  #handle(packet: Packet): void {
    const core = this.#core;
    switch (packet.type) {
      case "publish":
        return this.#handlePublish(packet);
      case "puback":
      case "pubrec":
      case "pubcomp": {
        const pubrel = core.sender.acknowledge(packet);
        if (pubrel !== undefined) this.#send(pubrel);
        return;
      }
      case "pubrel":
        return core.receiver.handlePubrel(packet);
      case "subscribe":
        return this.#handleSubscribe(packet);
      case "unsubscribe":
        return this.#handleUnsubscribe(packet);
      case "pingreq":
        // [MQTT-3.12.4-1]
        this.#send({ type: "pingresp" });
        return;
      case "disconnect":
        return this.#handleDisconnect(packet);
      case "auth":
        return this.#handleAuth(packet);
      case "connect":
        throw new MqttError(
          "CONNECT: a second CONNECT [MQTT-3.1.0-2]",
          ReasonCode.ProtocolError,
        );
      default:
        throw new MqttError(
          `${packet.type.toUpperCase()}: a client does not send this packet (section 2.1.2)`,
          ReasonCode.ProtocolError,
        );
    }
  }

  #handlePublish(packet: PublishPacket): void {
    const opts = this.#options;
    if (packet.subscriptionIdentifiers !== undefined) {
      throw new MqttError(
        "PUBLISH: a client does not send Subscription Identifiers [MQTT-3.3.4-6]",
        ReasonCode.ProtocolError,
      );
    }
    if (packet.qos > opts.maximumQoS) {
      throw new MqttError(
        `PUBLISH: QoS ${packet.qos} is above the Maximum QoS ${opts.maximumQoS} (section 3.2.2.3.4)`,
        0x9b,
      );
    }
    if (packet.retain && !opts.retainAvailable) {
      throw new MqttError(
        "PUBLISH: RETAIN set while Retain Available is 0 (section 3.2.2.3.5)",
        0x9a,
      );
    }
    this.#core.receiver.handlePublish(packet);
  }

  #handleSubscribe(packet: SubscribePacket): void {
    if (
      packet.subscriptionIdentifier !== undefined &&
      !this.#options.subscriptionIdentifiersAvailable
    ) {
      throw new MqttError(
        "SUBSCRIBE: Subscription Identifiers are not supported here (section 3.2.2.3.12)",
        0xa1,
      );
    }
    const codes = proposeReasonCodes(
      packet,
      this.#core.subscriptions,
      this.#rules,
      this.#options,
    );
    if (this.#options.manualAcknowledgement) {
      const id = this.#holdRequest(packet);
      this.#events.push({ type: "subscribe", id, packet, reasonCodes: codes });
      return;
    }
    this.#completeSubscribe(packet, codes, {});
  }

  /** Keeps a request for the application's answer; returns the id of its event. */
  #holdRequest(request: SubscriptionRequest): number {
    const id = this.#lastId + 1;
    this.#pending.hold(id, request, this.#rules);
    return this.#lastId = id;
  }

  /**
   * Whether an answer fits the client's Maximum Packet Size, without its
   * Reason String and User Properties if need be. If not (a SUBACK of many
   * filters to a client with a small limit), the request could never be
   * answered: the connection is closed with 0x95 instead [MQTT-3.1.2-24].
   */
  #answerFits(
    packet: SubackPacket | UnsubackPacket,
    request: SubscriptionRequest,
  ): boolean {
    try {
      const where = request.type.toUpperCase();
      fitOrRefuse(packet, this.#clientLimits(), where, "client");
      return true;
    } catch (error) {
      if (!(error instanceof MqttError)) throw error;
      this.#fail(error);
      return false;
    }
  }

  #completeSubscribe(
    packet: SubscribePacket,
    codes: number[],
    answer: Omit<Acknowledgement, "id">,
  ): void {
    const rules = this.#rules;
    const suback = answerPacket(packet, codes, answer, rules);
    if (!this.#answerFits(suback, packet)) return;
    const { granted, reasonCodes } = addSubscriptions(
      this.#core.subscriptions,
      packet,
      codes,
      rules,
      this.#options,
    );
    suback.reasonCodes = reasonCodes;
    this.#send(suback);
    this.#events.push({
      type: "subscribed",
      subscriptions: granted,
      packet,
      reasonCodes,
    });
  }

  #handleUnsubscribe(packet: UnsubscribePacket): void {
    const codes = proposeReasonCodes(
      packet,
      this.#core.subscriptions,
      this.#rules,
      this.#options,
    );
    if (this.#options.manualAcknowledgement) {
      const id = this.#holdRequest(packet);
      this.#events.push({
        type: "unsubscribe",
        id,
        packet,
        reasonCodes: codes,
      });
      return;
    }
    this.#completeUnsubscribe(packet, codes, {});
  }

  #completeUnsubscribe(
    packet: UnsubscribePacket,
    codes: number[],
    answer: Omit<Acknowledgement, "id">,
  ): void {
    const unsuback = answerPacket(packet, codes, answer, this.#rules);
    if (!this.#answerFits(unsuback, packet)) return;
    const removed = removeSubscriptions(
      this.#core.subscriptions,
      packet,
      codes,
    );
    // Even when nothing was removed [MQTT-3.10.4-5].
    this.#send(unsuback);
    this.#events.push({
      type: "unsubscribed",
      topicFilters: removed,
      packet,
      reasonCodes: unsuback.reasonCodes,
    });
  }

  #handleDisconnect(packet: DisconnectPacket): void {
    const code = packet.reasonCode ?? ReasonCode.NormalDisconnection;
    const expiry = packet.sessionExpiryInterval;
    if (expiry !== undefined) {
      const connectExpiry = this.#connect!.sessionExpiryInterval ?? 0;
      if (connectExpiry === 0 && expiry !== 0) {
        throw new MqttError(
          `DISCONNECT: Session Expiry Interval ${expiry} after a CONNECT with 0 (section 3.14.2.2.2)`,
          ReasonCode.ProtocolError,
        );
      }
      this.#core.expiryInterval = Math.min(
        expiry,
        this.#options.maximumSessionExpiryInterval,
      );
    }
    // A normal disconnection deletes the Will [MQTT-3.1.2-10]; 0x04 and the
    // others keep it (3.1.1: every DISCONNECT deletes it, [MQTT-3.1.2-10]).
    this.#willDeleted = code === ReasonCode.NormalDisconnection;
    this.#transmit.drain();
    this.#close("peer", code, packet);
  }

  #handleAuth(packet: AuthPacket): void {
    const code = checkAuth(
      packet,
      this.#connect!.authenticationMethod,
      "[MQTT-4.12.0-7]",
    );
    if (
      code === ReasonCode.ContinueAuthentication && this.#awaitingClientAuth
    ) {
      this.#awaitingClientAuth = false;
      this.#authStepDue = true;
    } else if (
      code === ReasonCode.ReAuthenticate && this.#state === "connected" &&
      !this.#reauthenticating
    ) {
      this.#reauthenticating = true;
      this.#authStepDue = true;
    } else {
      throw unexpectedAuth(code);
    }
    this.#events.push({ type: "auth", packet });
  }

  /** Before the CONNACK: a refusing CONNACK (if the version has a code for it), then close. */
  #refuse(
    code: number,
    options: Omit<RejectOptions, "reasonCode">,
    error?: MqttError,
  ): void {
    const connack = refusingConnack(code, options, this.#rules);
    if (connack !== undefined) {
      // A CONNACK may carry them whatever the client asked [MQTT-3.1.2-29];
      // even the bare CONNACK too large leaves nothing to say but to close.
      queueControlPacket(this.#transmit, connack, this.#clientLimits());
    }
    this.#close("local", code, undefined, error);
  }

  /** A violation by the client: DISCONNECT (or a refusing CONNACK) with its reason code, then close. */
  #fail(error: MqttError): void {
    const rules = this.#rules;
    if (this.#state === "connecting") {
      // No DISCONNECT before a CONNACK [MQTT-3.14.0-1]: a refusing CONNACK.
      const code = isValidReasonCode("connack", error.reasonCode) &&
          error.reasonCode >= 0x80
        ? error.reasonCode
        : ReasonCode.ProtocolError;
      this.#refuse(code, {}, error);
      return;
    }
    const code = disconnectReason(error);
    if (rules.serverDisconnect) {
      this.#send({ type: "disconnect", reasonCode: code });
    }
    this.#close("local", code, undefined, error);
  }

  /** Our connection was taken over by the client's new one [MQTT-3.1.4-3]. */
  #takenOver(now: number): void {
    this.#now = now;
    if (this.#state === "connected" && this.#rules.serverDisconnect) {
      this.#send({
        type: "disconnect",
        reasonCode: ReasonCode.SessionTakenOver,
      });
    }
    this.#close("local", ReasonCode.SessionTakenOver);
  }

  #close(
    initiator: Initiator,
    reasonCode?: number,
    packet?: DisconnectPacket,
    error?: MqttError,
  ): void {
    const wasConnected = this.#state === "connected";
    const core = this.#core;
    this.#state = wasConnected ? "disconnected" : "closed";
    this.#client = undefined;
    this.#early = [];
    this.#pending.clear();
    core.sender.detach();
    core.receiver.detach();
    this.#events.push(disconnectedEvent(initiator, reasonCode, packet, error));
    if (!wasConnected) return;
    const now = this.#now;
    // The Will (section 3.1.2.5): deleted by a normal DISCONNECT
    // [MQTT-3.1.2-10]; else published after its Will Delay Interval, or
    // when the session ends, whichever is first [MQTT-3.1.2-8].
    const rules = this.#rules;
    if (
      core.will !== undefined &&
      (this.#willDeleted ||
        (rules.everyDisconnectDeletesWill && initiator === "peer"))
    ) {
      core.will = undefined;
    }
    if (core.will !== undefined) {
      const delay = rules.willDelay ? core.will.willDelayInterval ?? 0 : 0;
      if (delay === 0 || core.expiryInterval === 0) this.#publishWill();
      else core.willAt = now + delay * 1000;
    }
    const expiry = core.expiryInterval;
    if (expiry === 0) this.#end("expired");
    else if (expiry !== SESSION_NEVER_EXPIRES) {
      core.expiresAt = now + expiry * 1000;
    }
  }

  #publishWill(): void {
    const core = this.#core;
    const will = core.will;
    core.will = undefined;
    core.willAt = undefined;
    if (will !== undefined) this.#events.push({ type: "will", message: will });
  }

  /** The session state ends: its pending Will goes, its messages are dropped. */
  #end(reason: "expired" | "clean-start"): void {
    const core = this.#core;
    if (core.willAt !== undefined) this.#publishWill();
    core.sender.end("session-ended");
    core.receiver.clear();
    const topicFilters = [...core.subscriptions.keys()];
    this.#core = this.#newCore();
    this.#state = "closed";
    this.#events.push({ type: "ended", reason, topicFilters });
  }
}

/** Checks the argument of `deliver` but its message (which `checkMessage` checks) and filters. */
function checkDelivery(delivery: Delivery): void {
  checkObject(delivery, "deliver", "the delivery");
  const { topicFilters, publisher, retained } = delivery;
  const wrong = topicFilters !== undefined && !Array.isArray(topicFilters)
    ? ["topicFilters", "an array of topic filters", topicFilters]
    : publisher !== undefined && typeof publisher !== "string"
    ? ["publisher", "a Client Identifier", publisher]
    : retained !== undefined && typeof retained !== "boolean"
    ? ["retained", "a boolean", retained]
    : undefined;
  if (wrong !== undefined) {
    throw new MqttError(
      `deliver: ${wrong[0]} must be ${wrong[1]} or absent, got ${
        describe(wrong[2])
      }`,
      ReasonCode.MalformedPacket,
    );
  }
}
