/**
 * The client side of an MQTT session, without I/O.
 *
 * @module
 */

import {
  DEFAULT_KEEP_ALIVE,
  DEFAULT_MAXIMUM_PACKET_SIZE,
  DEFAULT_RECEIVE_MAXIMUM,
  DEFAULT_SESSION_EXPIRY_INTERVAL,
  DEFAULT_TOPIC_ALIAS_MAXIMUM,
  MAXIMUM_TOPIC_ALIAS,
} from "../defaults.ts";
import { MqttError } from "../error.ts";
import type {
  AuthPacket,
  ConnackPacket,
  ConnectPacket,
  DisconnectPacket,
  Packet,
  ProtocolVersion,
  PublishPacket,
  SubscribePacket,
  UnsubscribePacket,
  UserProperties,
  Will,
} from "../packet.ts";
import { isSharedSubscription } from "../topic.ts";
import { authPacket, checkAuth, unexpectedAuth } from "./auth.ts";
import { type ServerLimits, serverLimits } from "./connack.ts";
import { fitOrRefuse, queueControlPacket } from "./control.ts";
import { Deque } from "./deque.ts";
import { InboundTopicAliases } from "./inbound_aliases.ts";
import { OutboundTopicAliases } from "./outbound_aliases.ts";
import { fitsWithin, publishSizeBound } from "./packet_size.ts";
import { PacketIdAllocator } from "./packet_ids.ts";
import { Receiver } from "./receiver.ts";
import { RequestTable } from "./requests.ts";
import {
  disconnectedEvent,
  disconnectReason,
  isConnectionFailure,
  sessionStats,
} from "./report.ts";
import { Sender } from "./sender.ts";
import {
  type ClientSessionSnapshot,
  outgoingSnapshot,
  readClientSnapshot,
  SNAPSHOT_FORMAT,
} from "./snapshot.ts";
import type {
  Acknowledgement,
  ApplicationMessage,
  ClientEvent,
  Initiator,
  SessionOptions,
  SessionStats,
} from "./types.ts";
import {
  checkAcknowledgement,
  checkDuration,
  checkMessage,
  checkNow,
  checkObject,
  checkPacket,
  checkPacketShape,
  checkReaderError,
  checkSessionOptions,
  describe,
} from "./validate.ts";
import {
  isKnownVersion,
  rule,
  type VersionRules,
  versionRules,
} from "./version.ts";
import { ReasonCode } from "../reason_code.ts";

/**
 * Options of a {@linkcode ClientSession}: what its CONNECT says (named as
 * the CONNECT's fields and properties), and how the session behaves (the
 * last two, and those of `SessionOptions`).
 *
 * @example A persistent MQTT 5.0 session
 * ```ts
 * import type { ClientSessionOptions } from "@mqtt/codec/session";
 *
 * const options: ClientSessionOptions = {
 *   clientId: "sensor-1",
 *   cleanStart: false,
 *   sessionExpiryInterval: 3600,
 *   receiveMaximum: 100,
 *   topicAliasMaximum: 10,
 * };
 * ```
 */
export interface ClientSessionOptions extends SessionOptions {
  /** 5 for MQTT 5.0 (the default), 4 for MQTT 3.1.1, 3 for MQTT 3.1. */
  protocolVersion?: ProtocolVersion;
  /** The Client Identifier (default empty: the server assigns one, MQTT 5.0). */
  clientId?: string;
  /** Keep Alive in seconds (default {@linkcode DEFAULT_KEEP_ALIVE}); 0 turns it off. */
  keepAlive?: number;
  /**
   * Clean Start of the first connection (default true). Later connections
   * resume the session (Clean Start 0) when it may still exist on the
   * server: a Session Expiry Interval above 0 (MQTT 5.0), or a first Clean
   * Session of 0 (MQTT 3.1.1 and 3.1).
   */
  cleanStart?: boolean;
  /** MQTT 5.0: seconds the session outlives the connection (default 0). */
  sessionExpiryInterval?: number;
  /** MQTT 5.0: how many QoS 1 and 2 messages we take at once (default 65,535). */
  receiveMaximum?: number;
  /** MQTT 5.0: the largest packet we take; pass it to the `PacketReader` too. */
  maximumPacketSize?: number;
  /** MQTT 5.0: the highest Topic Alias we take from the server (default 0). */
  topicAliasMaximum?: number;
  /** MQTT 5.0: ask for Response Information in the CONNACK. */
  requestResponseInformation?: boolean;
  /** MQTT 5.0: whether the server may send Reason Strings and User Properties on failures. */
  requestProblemInformation?: boolean;
  /** MQTT 5.0: User Properties of the CONNECT. */
  userProperties?: UserProperties;
  /** The Will Message. */
  will?: Will;
  /** The User Name. */
  username?: string;
  /** The Password. */
  password?: Uint8Array;
  /** MQTT 5.0: the enhanced authentication method (section 4.12). */
  authenticationMethod?: string;
  /** MQTT 5.0: the first authentication data of that method. */
  authenticationData?: Uint8Array;

  /** Give up on a CONNACK after this many milliseconds (default 30,000). */
  connectTimeout?: number;
  /**
   * Close the connection when a PINGREQ has had no answer (no packet at all)
   * for this many milliseconds (default: half the Keep Alive).
   */
  pingTimeout?: number;
}

/**
 * The state of a {@linkcode ClientSession}'s network connection.
 *
 * @example Usage
 * ```ts
 * import type { ClientSessionState } from "@mqtt/codec/session";
 * const state: ClientSessionState = "connected";
 * ```
 */
export type ClientSessionState = "disconnected" | "connecting" | "connected";

/**
 * The client side of an MQTT 5.0, 3.1.1 or 3.1 session as a deterministic state
 * machine without I/O ("sans-I/O"): it takes packets, commands and the time,
 * and gives packets to send, events and the next deadline. It never reads a
 * clock, sets a timer or touches a socket; the same calls in the same order
 * give the same results.
 *
 * The I/O loop around it:
 *
 * 1. On a new network connection, call {@linkcode connectionOpened}; for
 *    every packet read, {@linkcode handlePacket}; when the reader fails
 *    with an `MqttError`, {@linkcode handleError}; when the connection
 *    ends, {@linkcode connectionLost}; when the deadline of
 *    {@linkcode pollTimeout} passes, {@linkcode handleTimeout}.
 * 2. After each of those calls and each command, drain the outputs: write
 *    every packet of {@linkcode pollTransmit} in order, then handle every
 *    event of {@linkcode pollEvent} (an event handler may issue commands:
 *    drain the packets again before the next event), then set a timer for
 *    {@linkcode pollTimeout}.
 * 3. On a `disconnected` event, close the network connection once the
 *    packets are written. The session keeps its state for the next
 *    connection.
 *
 * Commands ({@linkcode publish}, {@linkcode subscribe},
 * {@linkcode unsubscribe}) may be issued at any time: while disconnected
 * they wait for the next CONNACK. Each returns an id that the event
 * answering it carries. Mistakes (an invalid topic, a QoS above the
 * server's Maximum QoS, ...) throw {@linkcode MqttError} naming the rule;
 * the peer's violations never throw: they close the connection with the
 * right reason code and a `disconnected` event.
 *
 * @example A publisher and a server in one process, packets passed by hand
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ClientSession } from "@mqtt/codec/session";
 *
 * const client = new ClientSession({ clientId: "demo", keepAlive: 30 });
 * client.connectionOpened(0);
 * assertEquals(client.pollTransmit()?.type, "connect");
 * client.handlePacket({ type: "connack", sessionPresent: false, reasonCode: 0 }, 5);
 * assertEquals(client.pollEvent()?.type, "connected");
 *
 * const id = client.publish({
 *   topic: "greetings",
 *   payload: new TextEncoder().encode("hello"),
 *   qos: 1,
 *   retain: false,
 * }, 10);
 * const publish = client.pollTransmit();
 * assertEquals(publish?.type, "publish");
 * if (publish?.type === "publish") {
 *   client.handlePacket({ type: "puback", packetId: publish.packetId! }, 20);
 * }
 * assertEquals(client.pollEvent(), {
 *   type: "published",
 *   id,
 *   reasonCode: 0,
 *   packet: { type: "puback", packetId: 1 },
 * });
 * assertEquals(client.pollTimeout(), 30_010); // a PINGREQ is due then
 * ```
 */
export class ClientSession {
  readonly #rules: VersionRules;
  readonly #connectTemplate: ConnectPacket;
  readonly #options: Readonly<{
    receiveMaximum: number;
    maximumPacketSize: number | undefined;
    topicAliasMaximum: number;
    useTopicAliases: boolean;
    maximumInFlight: number;
    connectTimeout: number;
    pingTimeout: number | undefined;
    authenticationMethod: string | undefined;
    resumeOnReconnect: boolean;
  }>;
  readonly #transmit = new Deque<Packet>();
  readonly #events = new Deque<ClientEvent>();
  readonly #ids = new PacketIdAllocator();
  readonly #sender: Sender;
  readonly #receiver: Receiver;
  /** Every SUBSCRIBE and UNSUBSCRIBE not yet answered. */
  readonly #requests: RequestTable;

  #clientId: string;
  #sessionExpiryInterval: number;
  /** The Session Expiry Interval of the last CONNECT (section 3.14.2.2.2). */
  #connectSessionExpiry: number;
  #cleanStartNext: boolean;
  /** Whether the last CONNECT asked to resume a session (Clean Start 0). */
  #resumeRequested = false;
  #state: ClientSessionState = "disconnected";
  #now = 0;
  #lastId = 0;
  #server: ServerLimits | undefined;
  /** The Keep Alive in force, in milliseconds (0: none). */
  #keepAlive = 0;
  #lastSent = 0;
  #lastReceived = 0;
  #pingSentAt: number | undefined;
  #connectDeadline = 0;
  /** Enhanced authentication: whether a re-authentication is under way. */
  #reauthenticating = false;
  /** Whether the server's last AUTH asked for our next step. */
  #authStepDue = false;

  /**
   * Makes a session, disconnected. Its CONNECT is checked here: an option
   * the codec would refuse throws now, not at the first connection.
   *
   * @param options The CONNECT's contents and the session's behaviour.
   * @throws {MqttError} For an invalid option, or one the protocol version
   * cannot carry.
   */
  constructor(options: ClientSessionOptions = {}) {
    const where = "ClientSession";
    checkObject(options, where, "options");
    const version = options.protocolVersion ?? 5;
    if (!isKnownVersion(version)) {
      throw new MqttError(
        `${where}: protocolVersion must be 3 (MQTT 3.1), 4 (MQTT 3.1.1) or 5 (MQTT 5.0), got ${
          describe(version)
        }`,
        0x84,
      );
    }
    const rules = versionRules(version);
    this.#rules = rules;
    const connect: ConnectPacket = {
      type: "connect",
      protocolVersion: version,
      clientId: options.clientId ?? "",
      cleanStart: options.cleanStart ?? true,
      keepAlive: options.keepAlive ?? DEFAULT_KEEP_ALIVE,
    };
    for (
      const key of [
        "username",
        "password",
        "will",
        "sessionExpiryInterval",
        "receiveMaximum",
        "maximumPacketSize",
        "topicAliasMaximum",
        "requestResponseInformation",
        "requestProblemInformation",
        "userProperties",
        "authenticationMethod",
        "authenticationData",
      ] as const
    ) {
      if (options[key] !== undefined) {
        (connect as unknown as Record<string, unknown>)[key] = options[key];
      }
    }
    // The codec checks every field and property, and that 3.1.1 and 3.1
    // carry none.
    checkPacket(connect, rules, where);
    const shared = checkSessionOptions(options, where, {
      maximumInFlight: rules.defaultInFlight,
      maximumQueuedMessages: Infinity,
      maximumQueuedBytes: Infinity,
    });
    this.#options = {
      receiveMaximum: options.receiveMaximum ?? DEFAULT_RECEIVE_MAXIMUM,
      maximumPacketSize: options.maximumPacketSize,
      topicAliasMaximum: options.topicAliasMaximum ??
        DEFAULT_TOPIC_ALIAS_MAXIMUM,
      useTopicAliases: shared.useTopicAliases,
      maximumInFlight: shared.maximumInFlight,
      connectTimeout: checkDuration(
        options.connectTimeout,
        where,
        "connectTimeout",
      ) ?? 30_000,
      pingTimeout: checkDuration(options.pingTimeout, where, "pingTimeout"),
      authenticationMethod: options.authenticationMethod,
      resumeOnReconnect: rules.sessionExpiry
        ? (options.sessionExpiryInterval ?? 0) > 0
        : !connect.cleanStart,
    };
    this.#connectTemplate = connect;
    this.#clientId = connect.clientId;
    this.#sessionExpiryInterval = options.sessionExpiryInterval ??
      DEFAULT_SESSION_EXPIRY_INTERVAL;
    this.#connectSessionExpiry = this.#sessionExpiryInterval;
    this.#cleanStartNext = connect.cleanStart;
    const emit = (event: ClientEvent) => this.#events.push(event);
    this.#sender = new Sender({
      maximumMessages: shared.maximumQueuedMessages,
      maximumBytes: shared.maximumQueuedBytes,
      reportCompletion: true,
      emit,
      ids: this.#ids,
    });
    this.#requests = new RequestTable({
      rules,
      ids: this.#ids,
      transmit: (packet) => this.#transmit.push(packet),
      emit,
    });
    this.#receiver = new Receiver({
      strictReceiveMaximum: shared.strictReceiveMaximum,
      manualAcknowledgement: shared.manualAcknowledgement,
      markReceived: false, // a client routes nothing on
      emit,
      send: (packet) => this.#send(packet),
      nextId: () => ++this.#lastId,
    });
  }

  /**
   * The state of the network connection: `"disconnected"`, `"connecting"`
   * (CONNECT sent, no CONNACK yet) or `"connected"`.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ClientSession } from "@mqtt/codec/session";
   *
   * const session = new ClientSession();
   * assertEquals(session.state, "disconnected");
   * session.connectionOpened(0);
   * assertEquals(session.state, "connecting");
   * ```
   */
  get state(): ClientSessionState {
    return this.#state;
  }

  /**
   * The Client Identifier: the one given, or the one the server assigned
   * (used from then on, so that the session can be resumed).
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ClientSession } from "@mqtt/codec/session";
   *
   * const session = new ClientSession();
   * session.connectionOpened(0);
   * session.handlePacket({
   *   type: "connack",
   *   sessionPresent: false,
   *   reasonCode: 0,
   *   assignedClientIdentifier: "auto-1",
   * }, 1);
   * assertEquals(session.clientId, "auto-1");
   * ```
   */
  get clientId(): string {
    return this.#clientId;
  }

  /**
   * The protocol version, for the `PacketReader` and `PacketWriter`.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ClientSession } from "@mqtt/codec/session";
   *
   * assertEquals(new ClientSession({ protocolVersion: 4 }).protocolVersion, 4);
   * ```
   */
  get protocolVersion(): ProtocolVersion {
    return this.#rules.version;
  }

  /**
   * The Maximum Packet Size we announced, for the `PacketReader`'s
   * `maximumPacketSize` option: the reader refuses larger packets with
   * 0x95, which {@linkcode handleError} turns into a DISCONNECT.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ClientSession } from "@mqtt/codec/session";
   *
   * const session = new ClientSession({ maximumPacketSize: 65_536 });
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
   * import { ClientSession } from "@mqtt/codec/session";
   *
   * const session = new ClientSession();
   * session.publish({
   *   topic: "a",
   *   payload: new Uint8Array(),
   *   qos: 1,
   *   retain: false,
   * }, 0);
   * assertEquals(session.stats.queuedMessages, 1); // until connected
   * ```
   */
  get stats(): SessionStats {
    return sessionStats(
      this.#sender,
      this.#receiver,
      this.#ids,
      0,
      this.#requests.size,
    );
  }

  /**
   * The session state (MQTT 5.0 section 4.1) as plain data, to save it and
   * go on after the process restarts with {@linkcode ClientSession.restore}:
   * the Client Identifier, the Session Expiry Interval, whether the next
   * CONNECT resumes, the QoS 1 and 2 messages in flight with their stage
   * and Packet Identifier, the messages queued, the QoS 2 Packet
   * Identifiers received and not yet released, the SUBSCRIBE and
   * UNSUBSCRIBE requests not yet answered, and the last ids given.
   *
   * What belongs to the network connection is not in it, as it does not
   * outlive the connection: Topic Alias mappings [MQTT-3.3.2-7], the Keep
   * Alive timer, the server's limits from its CONNACK, the packets and
   * events not yet polled, messages received and not yet acknowledged
   * (with `manualAcknowledgement`: the server sends them again). Take it
   * between calls, after draining {@linkcode pollTransmit} and
   * {@linkcode pollEvent}, in any state.
   *
   * The snapshot is structured-clone-able (numbers, strings, booleans,
   * arrays, plain objects and `Uint8Array`s: for `structuredClone`,
   * IndexedDB, Deno KV, or JSON with an encoding of the bytes of your
   * choice), and `format: 1`. Its times (a message's expiry) are in the
   * milliseconds the session was given as `now`: to count the downtime
   * across a restart, give a clock that does not restart, such as
   * `Date.now()`. It shares the messages' payloads with the session (do
   * not change them); it costs nothing until called.
   *
   * @returns The session state, a new object each call.
   *
   * @example Saved while a QoS 1 message is in flight, resent after a restart
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ClientSession } from "@mqtt/codec/session";
   *
   * const options = { clientId: "c", sessionExpiryInterval: 3600 };
   * const session = new ClientSession(options);
   * session.connectionOpened(0);
   * session.pollTransmit(); // the CONNECT
   * session.handlePacket({ type: "connack", sessionPresent: false, reasonCode: 0 }, 1);
   * session.pollEvent(); // connected
   * session.publish({ topic: "a", payload: new Uint8Array([1]), qos: 1, retain: false }, 2);
   * session.pollTransmit(); // the PUBLISH, never acknowledged: the process ends
   *
   * const saved = structuredClone(session.snapshot());
   * const restored = ClientSession.restore(saved, options);
   * restored.connectionOpened(3);
   * assertEquals(restored.pollTransmit()?.type, "connect"); // Clean Start 0
   * restored.handlePacket({ type: "connack", sessionPresent: true, reasonCode: 0 }, 4);
   * const resent = restored.pollTransmit();
   * assertEquals(resent?.type === "publish" && resent.dup, true);
   * ```
   */
  snapshot(): ClientSessionSnapshot {
    return {
      format: SNAPSHOT_FORMAT,
      role: "client",
      protocolVersion: this.#rules.version,
      clientId: this.#clientId,
      sessionExpiryInterval: this.#sessionExpiryInterval,
      connectSessionExpiryInterval: this.#connectSessionExpiry,
      resume: !this.#cleanStartNext,
      lastEventId: this.#lastId,
      lastPacketId: this.#ids.last,
      messages: [...this.#sender].map(outgoingSnapshot),
      awaitingRelease: this.#receiver.awaitingReleaseIds(),
      requests: this.#requests.snapshot(),
    };
  }

  /**
   * A session from a {@linkcode snapshot}, disconnected (the process that
   * held it lost its connection): the next {@linkcode connectionOpened}
   * resumes it (Clean Start 0, if it was resumable), and once the server
   * says Session Present, what was in flight goes again, in order
   * [MQTT-4.4.0-1]: PUBLISHes with DUP, PUBRELs as they were; a QoS 2
   * message received before is not delivered again [MQTT-4.3.3-10]. The
   * ids of its events go on from the snapshot's.
   *
   * @param snapshot What {@linkcode snapshot} gave (or a clone of it).
   * @param options The options, as for the constructor: the same as the
   * saved session's, or changed (its behaviour and its next CONNECT's
   * contents, but the Client Identifier and Session Expiry Interval are
   * the snapshot's). The queue limits apply to messages published next:
   * none saved is dropped for them.
   * @returns The restored session.
   * @throws {MqttError} For invalid options; for a snapshot that is not
   * one (0x81, naming the field: a wrong format or type, a Packet
   * Identifier out of range or used twice, an invalid message), or one of
   * another protocol version than the options' (0x84). Nothing is
   * restored then.
   *
   * @example Restored from JSON, with its bytes as arrays of numbers
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ClientSession } from "@mqtt/codec/session";
   *
   * const session = new ClientSession({ clientId: "c", cleanStart: false });
   * session.publish({ topic: "a", payload: new Uint8Array([1, 2]), qos: 2, retain: false }, 0);
   *
   * const json = JSON.stringify(session.snapshot(), (_key, value) =>
   *   value instanceof Uint8Array ? { bytes: [...value] } : value);
   * const saved = JSON.parse(json, (_key, value) =>
   *   value?.bytes === undefined ? value : new Uint8Array(value.bytes));
   * const restored = ClientSession.restore(saved, { clientId: "c", cleanStart: false });
   * assertEquals(restored.stats.queuedMessages, 1);
   * ```
   */
  static restore(
    snapshot: ClientSessionSnapshot,
    options: ClientSessionOptions = {},
  ): ClientSession {
    const where = "ClientSession.restore";
    const session = new ClientSession(options);
    const rules = session.#rules;
    const saved = readClientSnapshot(snapshot, rules, where);
    try {
      checkPacket(
        { ...session.#connectTemplate, clientId: saved.clientId },
        rules,
        where,
      );
    } catch (error) {
      if (!(error instanceof MqttError)) throw error;
      throw new MqttError(
        `${where}: snapshot.clientId: ${error.message}`,
        error.reasonCode,
      );
    }
    session.#clientId = saved.clientId;
    session.#sessionExpiryInterval = saved.sessionExpiryInterval;
    session.#connectSessionExpiry = saved.connectSessionExpiryInterval;
    session.#cleanStartNext = !saved.resume;
    session.#lastId = saved.lastEventId;
    session.#ids.last = saved.lastPacketId;
    session.#sender.restore(saved.messages);
    session.#receiver.restore(saved.awaitingRelease);
    session.#requests.restore(saved.requests);
    return session;
  }

  // ---------------------------------------------------------------- inputs

  /**
   * A network connection to the server is open: the CONNECT is queued.
   * Clean Start is the option's on the first connection; later it is 0
   * when the session may still exist on the server, so that it resumes.
   *
   * @param now The time, in milliseconds (any monotonic origin).
   * @throws {MqttError} When a connection is already open.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ClientSession } from "@mqtt/codec/session";
   *
   * const session = new ClientSession({ clientId: "c", sessionExpiryInterval: 60 });
   * session.connectionOpened(0);
   * const connect = session.pollTransmit();
   * assertEquals(connect?.type === "connect" && connect.cleanStart, true);
   * ```
   */
  connectionOpened(now: number): void {
    this.#now = checkNow(now, "connectionOpened");
    if (this.#state !== "disconnected") {
      throw new MqttError(
        `connectionOpened: the session is ${this.#state}; call connectionLost() first`,
        ReasonCode.ProtocolError,
      );
    }
    const cleanStart = this.#cleanStartNext;
    if (cleanStart) {
      // A Clean Start discards the session on both sides [MQTT-3.1.2-4].
      this.#sender.discardInFlight();
      this.#receiver.clear();
    }
    this.#transmit.drain();
    const connect: ConnectPacket = { ...this.#connectTemplate, cleanStart };
    connect.clientId = this.#clientId;
    if (this.#rules.sessionExpiry) {
      if (this.#sessionExpiryInterval !== 0) {
        connect.sessionExpiryInterval = this.#sessionExpiryInterval;
      } else delete connect.sessionExpiryInterval;
    }
    this.#connectSessionExpiry = this.#sessionExpiryInterval;
    this.#resumeRequested = !cleanStart;
    this.#state = "connecting";
    this.#server = undefined;
    this.#reauthenticating = false;
    this.#authStepDue = false;
    this.#lastSent = now;
    this.#lastReceived = now;
    this.#pingSentAt = undefined;
    this.#connectDeadline = now + this.#options.connectTimeout;
    this.#transmit.push(connect);
  }

  /**
   * A packet arrived from the server. Packets after the connection ended
   * are ignored.
   *
   * @param packet The packet, as a `PacketReader` (or `decode`) gives it:
   * its fields are taken as the codec checked them.
   * @param now The time, in milliseconds.
   * @throws {MqttError} When `packet` is not a packet object, or lacks a
   * field the session reads (which the codec never gives).
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ClientSession } from "@mqtt/codec/session";
   *
   * const session = new ClientSession({ clientId: "c" });
   * session.connectionOpened(0);
   * session.pollTransmit(); // the CONNECT
   * session.handlePacket({ type: "connack", sessionPresent: false, reasonCode: 0 }, 1);
   * session.pollEvent(); // connected
   *
   * session.handlePacket({
   *   type: "publish",
   *   topic: "a",
   *   payload: new Uint8Array(),
   *   qos: 1,
   *   retain: false,
   *   dup: false,
   *   packetId: 3,
   * }, 2);
   * assertEquals(session.pollTransmit(), { type: "puback", packetId: 3 });
   * assertEquals(session.pollEvent()?.type, "message");
   * ```
   */
  handlePacket(packet: Packet, now: number): void {
    this.#now = checkNow(now, "handlePacket");
    checkPacketShape(packet);
    if (this.#state === "disconnected") return;
    this.#lastReceived = now;
    try {
      this.#handle(packet);
    } catch (error) {
      if (!(error instanceof MqttError)) throw error;
      this.#fail(error);
    }
  }

  /**
   * The packet reader failed. For bytes that are not a valid packet, or one
   * above our Maximum Packet Size, a DISCONNECT with the error's reason code
   * (MQTT 5.0) ends the connection. For the connection itself failing (0x80
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
   * import { ClientSession } from "@mqtt/codec/session";
   * import { MqttError } from "@mqtt/codec";
   *
   * const session = new ClientSession({ clientId: "c" });
   * session.connectionOpened(0);
   * session.pollTransmit(); // the CONNECT
   * session.handlePacket({ type: "connack", sessionPresent: false, reasonCode: 0 }, 1);
   * session.pollEvent(); // connected
   *
   * session.handleError(new MqttError("a malformed packet", 0x81), 2);
   * assertEquals(session.pollTransmit(), { type: "disconnect", reasonCode: 0x81 });
   * assertEquals(session.pollEvent()?.type, "disconnected");
   * ```
   */
  handleError(error: MqttError, now: number): void {
    this.#now = checkNow(now, "handleError");
    checkReaderError(error, "handleError");
    if (this.#state === "disconnected") return;
    if (isConnectionFailure(error)) {
      this.#transmit.drain();
      this.#close("network", undefined, undefined, error);
      return;
    }
    this.#fail(error);
  }

  /**
   * The deadline of {@linkcode pollTimeout} has passed: a PINGREQ is due,
   * the server has not answered one (the connection is closed with 0x8D
   * Keep Alive timeout), or no CONNACK came within `connectTimeout`.
   *
   * @param now The time, in milliseconds.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ClientSession } from "@mqtt/codec/session";
   *
   * const session = new ClientSession({ clientId: "c", keepAlive: 10 });
   * session.connectionOpened(0);
   * session.pollTransmit(); // the CONNECT
   * session.handlePacket({ type: "connack", sessionPresent: false, reasonCode: 0 }, 1);
   * session.pollEvent(); // connected
   *
   * session.handleTimeout(session.pollTimeout()!); // 10 s without a packet
   * assertEquals(session.pollTransmit(), { type: "pingreq" });
   * ```
   */
  handleTimeout(now: number): void {
    this.#now = checkNow(now, "handleTimeout");
    if (this.#state === "connecting") {
      if (now >= this.#connectDeadline) {
        this.#close(
          "local",
          ReasonCode.UnspecifiedError,
          undefined,
          new MqttError(
            `no CONNACK within connectTimeout (${this.#options.connectTimeout} ms)`,
            ReasonCode.UnspecifiedError,
          ),
        );
      }
      return;
    }
    if (this.#state !== "connected" || this.#keepAlive === 0) return;
    const pingDeadline = this.#pingDeadline();
    if (pingDeadline !== undefined && now >= pingDeadline) {
      // "If a Client does not receive a PINGRESP packet within a reasonable
      // amount of time after it has sent a PINGREQ, it SHOULD close the
      // Network Connection" (section 3.1.2.10).
      this.#close(
        "local",
        ReasonCode.KeepAliveTimeout,
        undefined,
        new MqttError(
          `no answer to PINGREQ within ${this.#pingTimeout()} ms`,
          ReasonCode.KeepAliveTimeout,
        ),
      );
      return;
    }
    if (this.#pingSentAt === undefined && now >= this.#pingDue()) {
      this.#pingSentAt = now;
      this.#transmit.push({ type: "pingreq" });
    }
  }

  /**
   * The network connection is gone. A `disconnected` event follows unless
   * the session had already ended it. The session state stays for the next
   * {@linkcode connectionOpened}: unacknowledged messages are sent again if
   * the server resumes the session.
   *
   * @param now The time, in milliseconds.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ClientSession } from "@mqtt/codec/session";
   *
   * const session = new ClientSession({ clientId: "c" });
   * session.connectionOpened(0);
   * session.pollTransmit(); // the CONNECT
   * session.handlePacket({ type: "connack", sessionPresent: false, reasonCode: 0 }, 1);
   * session.pollEvent(); // connected
   *
   * session.connectionLost(2);
   * assertEquals(session.pollEvent(), { type: "disconnected", initiator: "network" });
   * assertEquals(session.state, "disconnected");
   * ```
   */
  connectionLost(now: number): void {
    this.#now = checkNow(now, "connectionLost");
    if (this.#state === "disconnected") return;
    this.#transmit.drain();
    this.#close("network");
  }

  // -------------------------------------------------------------- commands

  /**
   * Publishes an application message. It is sent at once if it can be,
   * else queued: while disconnected, or while the server's Receive Maximum
   * is reached [MQTT-3.3.4-7]. Ends in a `published` or `dropped` event
   * with the id returned.
   *
   * @param message The message; the session keeps it until it is done.
   * @param now The time, in milliseconds: a Message Expiry Interval counts
   * from here.
   * @returns The id of this publication.
   * @throws {MqttError} For an invalid message; when connected, for a QoS
   * above the server's Maximum QoS (0x9B) [MQTT-3.2.2-11], RETAIN when the
   * server has none (0x9A) [MQTT-3.2.2-14], or a message too large for the
   * server (0x95) [MQTT-3.2.2-15].
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ClientSession } from "@mqtt/codec/session";
   *
   * const session = new ClientSession({ clientId: "c" });
   * session.connectionOpened(0);
   * session.pollTransmit(); // the CONNECT
   * session.handlePacket({ type: "connack", sessionPresent: false, reasonCode: 0 }, 1);
   * session.pollEvent(); // connected
   *
   * const id = session.publish({
   *   topic: "sensors/1",
   *   payload: new TextEncoder().encode("21.5"),
   *   qos: 0,
   *   retain: false,
   * }, 2);
   * assertEquals(session.pollTransmit()?.type, "publish");
   * assertEquals(session.pollEvent(), { type: "published", id, reasonCode: 0 });
   * ```
   */
  publish(message: ApplicationMessage, now: number): number {
    this.#now = checkNow(now, "publish");
    const where = "publish";
    const size = checkMessage(message, this.#rules, "publish");
    const server = this.#server;
    if (server !== undefined) {
      if (message.qos > server.maximumQoS) {
        throw new MqttError(
          `${where}: QoS ${message.qos} is above the server's Maximum QoS ${server.maximumQoS} [MQTT-3.2.2-11]`,
          0x9b,
        );
      }
      if (message.retain && !server.retainAvailable) {
        throw new MqttError(
          `${where}: the server does not support retained messages [MQTT-3.2.2-14]`,
          0x9a,
        );
      }
      // A message has the fields of a PUBLISH that count (a Packet
      // Identifier for QoS > 0): the bound needs no copy.
      const version = this.#rules.version;
      if (
        server.maximumPacketSize < DEFAULT_MAXIMUM_PACKET_SIZE &&
        publishSizeBound(message as PublishPacket) >
          server.maximumPacketSize &&
        !fitsWithin(
          {
            ...message,
            type: "publish",
            dup: false,
            packetId: message.qos > 0 ? 1 : undefined,
          },
          server.maximumPacketSize,
          version,
        )
      ) {
        throw new MqttError(
          `${where}: the message is larger than the server's Maximum Packet Size of ${server.maximumPacketSize} bytes [MQTT-3.2.2-15]`,
          0x95,
        );
      }
    }
    const id = ++this.#lastId;
    const interval = message.messageExpiryInterval;
    const queued = this.#sender.add(
      id,
      message,
      message.qos,
      message.retain,
      undefined,
      size,
      interval === undefined ? undefined : now + interval * 1000,
      now,
    );
    if (!queued) {
      this.#events.push({ type: "dropped", reason: "queue-full", message, id });
    }
    return id;
  }

  /**
   * Subscribes: a SUBSCRIBE now, or after the next CONNACK (or, while all
   * 65,535 Packet Identifiers are in use, when one is free). Answered by a
   * `subscribed` event with the id returned. A SUBSCRIBE unanswered when
   * the connection ends is sent again on the next one; one that a later
   * CONNACK's Maximum Packet Size leaves too large is answered by a
   * `subscribed` event with 0x95 for every filter and the `error`.
   *
   * @param request The subscriptions and the SUBSCRIBE's properties.
   * @param now The time, in milliseconds.
   * @returns The id of this request.
   * @throws {MqttError} For an invalid request; when connected, for a
   * shared subscription (0x9E), a wildcard (0xA2) or a Subscription
   * Identifier (0xA1) the server said it does not support, or a SUBSCRIBE
   * larger than its Maximum Packet Size (0x95) [MQTT-3.2.2-15].
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ClientSession } from "@mqtt/codec/session";
   * import type { SubackPacket } from "@mqtt/codec";
   *
   * const session = new ClientSession({ clientId: "c" });
   * session.connectionOpened(0);
   * session.pollTransmit(); // the CONNECT
   * session.handlePacket({ type: "connack", sessionPresent: false, reasonCode: 0 }, 1);
   * session.pollEvent(); // connected
   *
   * const id = session.subscribe({
   *   subscriptions: [{ topicFilter: "sensors/#", qos: 1 }],
   * }, 2);
   * const subscribe = session.pollTransmit();
   * if (subscribe?.type === "subscribe") {
   *   const suback: SubackPacket = { type: "suback", packetId: subscribe.packetId, reasonCodes: [1] };
   *   session.handlePacket(suback, 3);
   *   assertEquals(session.pollEvent(), { type: "subscribed", id, reasonCodes: [1], packet: suback });
   * }
   * ```
   */
  subscribe(
    request: Omit<SubscribePacket, "type" | "packetId">,
    now: number,
  ): number {
    this.#now = checkNow(now, "subscribe");
    const where = "subscribe";
    checkObject(request, where, "the request");
    const packet: SubscribePacket = {
      ...request,
      type: "subscribe",
      packetId: 1,
    };
    checkPacket(packet, this.#rules, where);
    const server = this.#server;
    if (server !== undefined) {
      if (
        request.subscriptionIdentifier !== undefined &&
        !server.subscriptionIdentifiersAvailable
      ) {
        throw new MqttError(
          `${where}: the server does not support Subscription Identifiers (section 3.2.2.3.12)`,
          0xa1,
        );
      }
      for (const { topicFilter } of request.subscriptions) {
        if (
          this.#rules.sharedSubscriptions &&
          isSharedSubscription(topicFilter) &&
          !server.sharedSubscriptionAvailable
        ) {
          throw new MqttError(
            `${where}: the server does not support shared subscriptions such as ${
              describe(topicFilter)
            } (section 3.2.2.3.13)`,
            0x9e,
          );
        }
        if (
          /[+#]/.test(topicFilter) && !server.wildcardSubscriptionAvailable
        ) {
          throw new MqttError(
            `${where}: the server does not support wildcard subscriptions such as ${
              describe(topicFilter)
            } (section 3.2.2.3.11)`,
            0xa2,
          );
        }
      }
    }
    return this.#request(packet, where);
  }

  /**
   * Unsubscribes: an UNSUBSCRIBE now, or after the next CONNACK (or when
   * a Packet Identifier is free, as for {@linkcode subscribe}). Answered
   * by an `unsubscribed` event with the id returned (0x95 and the `error`
   * for one a later CONNACK leaves too large).
   *
   * @param request The topic filters and the UNSUBSCRIBE's properties.
   * @param now The time, in milliseconds.
   * @returns The id of this request.
   * @throws {MqttError} For an invalid request; when connected, for an
   * UNSUBSCRIBE larger than the server's Maximum Packet Size (0x95)
   * [MQTT-3.2.2-15].
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ClientSession } from "@mqtt/codec/session";
   * import type { UnsubackPacket } from "@mqtt/codec";
   *
   * const session = new ClientSession({ clientId: "c" });
   * session.connectionOpened(0);
   * session.pollTransmit(); // the CONNECT
   * session.handlePacket({ type: "connack", sessionPresent: false, reasonCode: 0 }, 1);
   * session.pollEvent(); // connected
   *
   * const id = session.unsubscribe({ topicFilters: ["sensors/#"] }, 2);
   * const unsubscribe = session.pollTransmit();
   * if (unsubscribe?.type === "unsubscribe") {
   *   const unsuback: UnsubackPacket = { type: "unsuback", packetId: unsubscribe.packetId, reasonCodes: [0] };
   *   session.handlePacket(unsuback, 3);
   *   assertEquals(session.pollEvent()?.type === "unsubscribed" && id, id);
   * }
   * ```
   */
  unsubscribe(
    request: Omit<UnsubscribePacket, "type" | "packetId">,
    now: number,
  ): number {
    this.#now = checkNow(now, "unsubscribe");
    checkObject(request, "unsubscribe", "the request");
    const packet: UnsubscribePacket = {
      ...request,
      type: "unsubscribe",
      packetId: 1,
    };
    checkPacket(packet, this.#rules, "unsubscribe");
    return this.#request(packet, "unsubscribe");
  }

  /**
   * Ends the connection: sends, in order, what can be sent now (messages
   * within the server's Receive Maximum included), then a DISCONNECT, and
   * emits `disconnected`. Queued and unacknowledged messages stay in the
   * session. Does nothing while disconnected.
   *
   * @param request MQTT 5.0: the reason code (0x00 by default; 0x04 asks
   * for the Will to be published), a new Session Expiry Interval, a Reason
   * String, User Properties.
   * @param now The time, in milliseconds.
   * @throws {MqttError} For an invalid request, or a non-zero Session
   * Expiry Interval after a CONNECT with 0 (section 3.14.2.2.2: the
   * CONNECT's, whatever the CONNACK said).
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ClientSession } from "@mqtt/codec/session";
   *
   * const session = new ClientSession({ clientId: "c" });
   * session.connectionOpened(0);
   * session.pollTransmit(); // the CONNECT
   * session.handlePacket({ type: "connack", sessionPresent: false, reasonCode: 0 }, 1);
   * session.pollEvent(); // connected
   *
   * session.disconnect({ reasonCode: 0x04 }, 2); // publish my Will, please
   * assertEquals(session.pollTransmit(), { type: "disconnect", reasonCode: 0x04 });
   * assertEquals(session.pollEvent()?.type, "disconnected");
   * ```
   */
  disconnect(request: Omit<DisconnectPacket, "type">, now: number): void {
    this.#now = checkNow(now, "disconnect");
    const where = "disconnect";
    checkObject(request, where, "the request");
    const packet: DisconnectPacket = { ...request, type: "disconnect" };
    checkPacket(packet, this.#rules, where);
    if (packet.serverReference !== undefined) {
      throw new MqttError(
        `${where}: a Server Reference is for servers to send (section 3.14.2.2.5)`,
        ReasonCode.ProtocolError,
      );
    }
    const expiry = packet.sessionExpiryInterval;
    // The rule is on the CONNECT's value, not the CONNACK's: a server may
    // have set it to 0 on a CONNECT of 60, and a DISCONNECT may then still
    // ask for 30 (section 3.14.2.2.2).
    if (
      expiry !== undefined && expiry !== 0 && this.#connectSessionExpiry === 0
    ) {
      throw new MqttError(
        `${where}: the Session Expiry Interval was 0 in the CONNECT, so it cannot become ${expiry} (section 3.14.2.2.2)`,
        ReasonCode.ProtocolError,
      );
    }
    if (this.#state === "disconnected") return;
    if (expiry !== undefined) this.#setSessionExpiry(expiry);
    if (this.#state === "connected") {
      this.#requests.assignIdentifiers(this.#server);
      for (let next; (next = this.#sender.next(now)) !== undefined;) {
        this.#transmit.push(next);
      }
    }
    this.#send(this.#rules.reasonCodes ? packet : { type: "disconnect" });
    this.#close("local", packet.reasonCode ?? 0);
  }

  /**
   * A step of enhanced authentication (MQTT 5.0 section 4.12), with the
   * CONNECT's Authentication Method filled in [MQTT-4.12.0-5]: 0x18
   * (Continue authentication) answers the server's AUTH; 0x19
   * (Re-authenticate) starts a re-authentication once connected
   * [MQTT-4.12.1-1].
   *
   * @param request The reason code, the method's data, and properties.
   * @param now The time, in milliseconds.
   * @throws {MqttError} Without an Authentication Method [MQTT-4.12.0-7],
   * when the step is not due, or (connected) for an AUTH larger than the
   * server's Maximum Packet Size without its Reason String and User
   * Properties (0x95) [MQTT-3.2.2-15].
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ClientSession } from "@mqtt/codec/session";
   *
   * const session = new ClientSession({ clientId: "c", authenticationMethod: "SCRAM-SHA-256" });
   * session.connectionOpened(0);
   * session.pollTransmit(); // the CONNECT
   * session.handlePacket({
   *   type: "auth",
   *   reasonCode: 0x18,
   *   authenticationMethod: "SCRAM-SHA-256",
   *   authenticationData: new TextEncoder().encode("server-first"),
   * }, 1);
   * session.pollEvent(); // auth: compute the answer to the challenge
   * session.authenticate({
   *   reasonCode: 0x18,
   *   authenticationData: new TextEncoder().encode("client-final"),
   * }, 2);
   * assertEquals(session.pollTransmit()?.type, "auth");
   * ```
   */
  authenticate(
    request: Omit<AuthPacket, "type" | "authenticationMethod">,
    now: number,
  ): void {
    this.#now = checkNow(now, "authenticate");
    const where = "authenticate";
    checkObject(request, where, "the request");
    const packet = authPacket(
      request,
      this.#options.authenticationMethod,
      this.#rules,
      "[MQTT-4.12.0-7]",
    );
    const code = packet.reasonCode ?? 0;
    if (code === ReasonCode.ContinueAuthentication) {
      if (!this.#authStepDue) {
        throw new MqttError(
          `${where}: Continue authentication (0x18) answers an AUTH from the server, and none is waiting [MQTT-4.12.0-3]`,
          ReasonCode.ProtocolError,
        );
      }
    } else if (code === ReasonCode.ReAuthenticate) {
      if (this.#state !== "connected" || this.#reauthenticating) {
        throw new MqttError(
          `${where}: Re-authenticate (0x19) needs a connected session without a re-authentication under way [MQTT-4.12.1-1]`,
          ReasonCode.ProtocolError,
        );
      }
    } else {
      throw new MqttError(
        `${where}: a client sends AUTH with 0x18 or 0x19, got ${
          describe(code)
        } (section 4.12)`,
        ReasonCode.ProtocolError,
      );
    }
    const server = this.#server;
    const fitted = server === undefined
      ? packet
      : fitOrRefuse(packet, server, where, "server");
    if (code === ReasonCode.ContinueAuthentication) this.#authStepDue = false;
    else this.#reauthenticating = true;
    this.#transmit.push(fitted);
  }

  /**
   * Answers a QoS 1 or 2 message reported with an `id` (option
   * `manualAcknowledgement`). Answers go out in the order the messages
   * arrived.
   *
   * @param answer The id, and the reason code (0x00 by default).
   * @param now The time, in milliseconds.
   * @returns Whether the id was waiting for an answer (false after the
   * connection it arrived on ended: the server sends the message again).
   * @throws {MqttError} For an answer that is not an object with an `id`,
   * or a reason code a PUBACK or PUBREC cannot carry.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ClientSession } from "@mqtt/codec/session";
   *
   * const session = new ClientSession({ clientId: "c", manualAcknowledgement: true });
   * session.connectionOpened(0);
   * session.pollTransmit();
   * session.handlePacket({ type: "connack", sessionPresent: false, reasonCode: 0 }, 1);
   * session.pollEvent();
   * session.handlePacket({
   *   type: "publish",
   *   topic: "jobs/1",
   *   payload: new Uint8Array(),
   *   qos: 1,
   *   retain: false,
   *   dup: false,
   *   packetId: 5,
   * }, 2);
   * const event = session.pollEvent();
   * assertEquals(session.pollTransmit(), undefined); // not answered yet
   * if (event?.type === "message") session.acknowledge({ id: event.id! }, 3);
   * assertEquals(session.pollTransmit(), { type: "puback", packetId: 5 });
   * ```
   */
  acknowledge(answer: Acknowledgement, now: number): boolean {
    this.#now = checkNow(now, "acknowledge");
    checkAcknowledgement(answer);
    if (this.#state !== "connected") return false;
    return this.#receiver.acknowledge(answer);
  }

  // --------------------------------------------------------------- outputs

  /**
   * The next packet to write, or `undefined` when there is none: control
   * packets first (acknowledgements, SUBSCRIBE, PINGREQ, DISCONNECT, ...),
   * then PUBLISH and PUBREL packets as the server's Receive Maximum allows.
   * Write them in the order returned.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ClientSession } from "@mqtt/codec/session";
   *
   * const session = new ClientSession();
   * session.connectionOpened(0);
   * assertEquals(session.pollTransmit()?.type, "connect");
   * assertEquals(session.pollTransmit(), undefined);
   * ```
   */
  pollTransmit(): Packet | undefined {
    if (this.#requests.waiting > 0 && this.#state === "connected") {
      this.#requests.assignIdentifiers(this.#server);
    }
    let packet = this.#transmit.shift();
    if (packet === undefined && this.#state === "connected") {
      packet = this.#sender.next(this.#now);
    }
    if (packet !== undefined) this.#lastSent = this.#now;
    return packet;
  }

  /**
   * The next event, or `undefined` when there is none.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ClientSession } from "@mqtt/codec/session";
   *
   * const session = new ClientSession();
   * session.connectionOpened(0);
   * session.connectionLost(1);
   * assertEquals(session.pollEvent()?.type, "disconnected");
   * ```
   */
  pollEvent(): ClientEvent | undefined {
    return this.#events.shift();
  }

  /**
   * When {@linkcode handleTimeout} is due next (absolute milliseconds), or
   * `undefined` for never: the CONNACK's deadline while connecting; while
   * connected, when a PINGREQ is due (Keep Alive after the last packet sent
   * or received, whichever is older: a silent server is noticed even while
   * we publish) or when its answer is overdue.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ClientSession } from "@mqtt/codec/session";
   *
   * const session = new ClientSession({ connectTimeout: 5_000 });
   * session.connectionOpened(1_000);
   * assertEquals(session.pollTimeout(), 6_000);
   * ```
   */
  pollTimeout(): number | undefined {
    if (this.#state === "connecting") return this.#connectDeadline;
    if (this.#state !== "connected" || this.#keepAlive === 0) return undefined;
    return this.#pingDeadline() ?? this.#pingDue();
  }

  // ------------------------------------------------------------- internals

  #pingTimeout(): number {
    return this.#options.pingTimeout ?? Math.max(1, this.#keepAlive / 2);
  }

  #pingDue(): number {
    return Math.min(this.#lastSent, this.#lastReceived) + this.#keepAlive;
  }

  #pingDeadline(): number | undefined {
    const sentAt = this.#pingSentAt;
    if (sentAt === undefined) return undefined;
    return Math.max(sentAt, this.#lastReceived) + this.#pingTimeout();
  }

  #setSessionExpiry(seconds: number): void {
    this.#sessionExpiryInterval = seconds;
    this.#cleanStartNext =
      !(this.#rules.sessionExpiry
        ? seconds > 0
        : this.#options.resumeOnReconnect);
  }

  #request(packet: SubscribePacket | UnsubscribePacket, where: string): number {
    const server = this.#server;
    if (server !== undefined) fitOrRefuse(packet, server, where, "server");
    const id = ++this.#lastId;
    this.#requests.add(id, packet, server);
    return id;
  }

  /** Queues a control packet, fitted to the server's limits. */
  #send(packet: Packet): void {
    queueControlPacket(this.#transmit, packet, this.#server);
  }

  #handle(packet: Packet): void {
    if (this.#state === "connecting") {
      // The server sends CONNACK before anything but AUTH [MQTT-3.2.0-1].
      if (packet.type === "connack") return this.#handleConnack(packet);
      if (packet.type === "auth") return this.#handleAuth(packet);
      if (packet.type === "disconnect") return this.#handleDisconnect(packet);
      throw new MqttError(
        `${packet.type.toUpperCase()}: received before the CONNACK [MQTT-3.2.0-1]`,
        ReasonCode.ProtocolError,
      );
    }
    switch (packet.type) {
      case "publish":
        return this.#receiver.handlePublish(packet);
      case "puback":
      case "pubrec":
      case "pubcomp": {
        const pubrel = this.#sender.acknowledge(packet);
        if (pubrel !== undefined) this.#send(pubrel);
        return;
      }
      case "pubrel":
        return this.#receiver.handlePubrel(packet);
      case "suback":
      case "unsuback":
        return this.#requests.answer(packet);
      case "pingresp":
        this.#pingSentAt = undefined;
        return;
      case "auth":
        return this.#handleAuth(packet);
      case "disconnect":
        return this.#handleDisconnect(packet);
      case "connack":
        throw new MqttError(
          "CONNACK: a second CONNACK on one connection [MQTT-3.2.0-2]",
          ReasonCode.ProtocolError,
        );
      default:
        throw new MqttError(
          `${packet.type.toUpperCase()}: a server does not send this packet (section 2.1.2)`,
          ReasonCode.ProtocolError,
        );
    }
  }

  #handleConnack(connack: ConnackPacket): void {
    const rules = this.#rules;
    const refused = rules.connectReasonCodes
      ? connack.reasonCode >= 0x80
      : connack.reasonCode !== 0;
    if (refused) {
      this.#close("peer", connack.reasonCode, connack);
      return;
    }
    const method = this.#options.authenticationMethod;
    if (connack.authenticationMethod !== method) {
      throw new MqttError(
        method === undefined
          ? "CONNACK: an Authentication Method, but the CONNECT had none [MQTT-4.12.0-6]"
          : `CONNACK: the Authentication Method must be ${
            describe(method)
          } as in the CONNECT [MQTT-4.12.0-5]`,
        ReasonCode.ProtocolError,
      );
    }
    // MQTT 3.1 has no Session Present: a resumed session is assumed.
    const sessionPresent = rules.sessionPresentFlag
      ? connack.sessionPresent
      : this.#resumeRequested;
    if (sessionPresent && !this.#resumeRequested) {
      throw new MqttError(
        `CONNACK: Session Present after a Clean Start ${
          rule(rules, "[MQTT-3.2.2-2]", "[MQTT-3.2.2-1]")
        }`,
        ReasonCode.ProtocolError,
      );
    }
    const sessionLost = this.#resumeRequested && !sessionPresent;
    if (!sessionPresent) {
      // The server has no session: ours is discarded [MQTT-3.2.2-5].
      this.#sender.discardInFlight();
      this.#receiver.clear();
    }
    if (connack.assignedClientIdentifier !== undefined) {
      this.#clientId = connack.assignedClientIdentifier;
    }
    if (connack.sessionExpiryInterval !== undefined) {
      this.#setSessionExpiry(connack.sessionExpiryInterval);
    } else {
      this.#setSessionExpiry(this.#sessionExpiryInterval);
    }
    const keepAlive = connack.serverKeepAlive ??
      this.#connectTemplate.keepAlive;
    // The server's Keep Alive replaces ours [MQTT-3.1.2-21].
    this.#keepAlive = keepAlive * 1000;
    const server = serverLimits(connack, rules);
    this.#server = server;
    this.#state = "connected";
    this.#authStepDue = false;
    const options = this.#options;
    this.#sender.attach({
      rules,
      sendQuota: Math.min(server.receiveMaximum, options.maximumInFlight),
      maximumPacketSize: server.maximumPacketSize,
      aliases: options.useTopicAliases && server.topicAliasMaximum > 0
        ? new OutboundTopicAliases(
          Math.min(server.topicAliasMaximum, MAXIMUM_TOPIC_ALIAS),
        )
        : undefined,
      maximumQoS: server.maximumQoS,
      retainAvailable: server.retainAvailable,
    }, sessionPresent);
    this.#receiver.attach({
      rules,
      receiveMaximum: options.receiveMaximum,
      aliases: new InboundTopicAliases(options.topicAliasMaximum),
    });
    this.#events.push({
      type: "connected",
      sessionPresent,
      sessionLost,
      connack,
    });
    this.#requests.resend(server);
  }

  #handleAuth(packet: AuthPacket): void {
    const code = checkAuth(
      packet,
      this.#options.authenticationMethod,
      "[MQTT-4.12.0-6]",
    );
    const underWay = this.#state === "connecting" || this.#reauthenticating;
    if (code === ReasonCode.ContinueAuthentication && underWay) {
      this.#authStepDue = true;
    } else if (code === 0 && this.#reauthenticating) {
      this.#reauthenticating = false;
      this.#authStepDue = false;
    } else {
      throw unexpectedAuth(code);
    }
    this.#events.push({ type: "auth", packet });
  }

  #handleDisconnect(packet: DisconnectPacket): void {
    this.#transmit.drain();
    this.#close("peer", packet.reasonCode ?? 0, packet);
  }

  /** A violation by the server: DISCONNECT with its reason code (MQTT 5.0), then close. */
  #fail(error: MqttError): void {
    const code = disconnectReason(error);
    if (this.#rules.reasonCodes) {
      this.#transmit.push({ type: "disconnect", reasonCode: code });
    }
    this.#close("local", code, undefined, error);
  }

  #close(
    initiator: Initiator,
    reasonCode?: number,
    packet?: DisconnectPacket | ConnackPacket,
    error?: MqttError,
  ): void {
    this.#state = "disconnected";
    this.#server = undefined;
    this.#sender.detach();
    this.#receiver.detach();
    this.#events.push(disconnectedEvent(initiator, reasonCode, packet, error));
  }
}
