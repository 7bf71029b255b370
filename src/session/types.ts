/**
 * The values the sessions take and give: application messages, the events
 * of `ClientSession.pollEvent` and
 * `ServerSession.pollEvent`, and answers to requests.
 *
 * @module
 */

import type { MqttError } from "../error.ts";
import type {
  AuthPacket,
  ConnackPacket,
  ConnectPacket,
  DisconnectPacket,
  MessageProperties,
  PubackPacket,
  PubcompPacket,
  PublishPacket,
  PubrecPacket,
  QoS,
  SubackPacket,
  SubscribePacket,
  Subscription,
  UnsubackPacket,
  UnsubscribePacket,
  UserProperties,
} from "../packet.ts";

/**
 * An Application Message: what a PUBLISH carries, without what belongs to
 * one transmission (Packet Identifier, DUP, Topic Alias, Subscription
 * Identifiers). A {@linkcode PublishPacket} and a `Will` are application
 * messages too, and can be passed as they are.
 *
 * The session keeps a reference to the message until it is delivered: do
 * not change it after handing it over.
 *
 * @example Usage
 * ```ts
 * import type { ApplicationMessage } from "@mqtt/codec/session";
 *
 * const message: ApplicationMessage = {
 *   topic: "sensors/1/temperature",
 *   payload: new TextEncoder().encode("21.5"),
 *   qos: 1,
 *   retain: false,
 *   contentType: "text/plain",
 * };
 * ```
 */
export interface ApplicationMessage extends MessageProperties {
  /** The Topic Name (no wildcards). */
  topic: string;
  /** The payload. */
  payload: Uint8Array;
  /** The QoS it is published with. */
  qos: QoS;
  /** Whether the server keeps it as the topic's retained message. */
  retain: boolean;
}

/**
 * Why a session gave up on a message, as a {@linkcode DroppedEvent} says:
 *
 * - `"queue-full"`: the session's queue limits were reached (see
 *   `maximumQueuedMessages`, `maximumQueuedBytes`): QoS 0 messages go
 *   first, oldest first; then the new message is refused.
 * - `"expired"`: its Message Expiry Interval passed before it could be
 *   sent [MQTT-3.3.2-5].
 * - `"too-large"`: it is larger than the peer's Maximum Packet Size
 *   [MQTT-3.1.2-25], [MQTT-3.2.2-15].
 * - `"not-supported"`: (client) it was queued before the CONNACK, which
 *   then said the server does not take its QoS [MQTT-3.2.2-11] or RETAIN
 *   [MQTT-3.2.2-14].
 * - `"session-lost"`: (client) it was in flight and the server no longer
 *   has the session (CONNACK with Session Present 0) [MQTT-3.2.2-5].
 * - `"session-ended"`: (server) the session ended (expired, or replaced by a
 *   Clean Start) with the message still undelivered.
 *
 * @example Usage
 * ```ts
 * import type { DropReason } from "@mqtt/codec/session";
 * const reason: DropReason = "queue-full";
 * ```
 */
export type DropReason =
  | "queue-full"
  | "expired"
  | "too-large"
  | "not-supported"
  | "session-lost"
  | "session-ended";

/**
 * Who ended a network connection, as a {@linkcode DisconnectedEvent} says:
 * this session (`"local"`: a DISCONNECT sent by a command or for a protocol
 * violation by the peer, a keep-alive timeout, a refused CONNECT on the
 * server), the peer (`"peer"`: a DISCONNECT received, or a CONNACK refusing
 * the client) or the network (`"network"`: `connectionLost()`).
 *
 * @example Usage
 * ```ts
 * import type { Initiator } from "@mqtt/codec/session";
 * const initiator: Initiator = "peer";
 * ```
 */
export type Initiator = "local" | "peer" | "network";

/**
 * An application message arrived from the peer. Its `topic` is resolved
 * when the peer used a Topic Alias. With `manualAcknowledgement`, a QoS 1
 * or 2 message carries an `id` to answer with `acknowledge({ id, ... })`;
 * otherwise the session has already answered it with Success.
 *
 * A QoS 2 message is reported once, even when the peer sends it again
 * [MQTT-4.3.3-10]; a QoS 1 message may be reported again after a
 * reconnection (at least once).
 *
 * @example Usage
 * ```ts
 * import type { MessageReceivedEvent } from "@mqtt/codec/session";
 *
 * function show(event: MessageReceivedEvent): string {
 *   return `${event.message.topic}: ${new TextDecoder().decode(event.message.payload)}`;
 * }
 * ```
 */
export interface MessageReceivedEvent {
  /** Discriminant. */
  type: "message";
  /** The PUBLISH as received, with its topic resolved. */
  message: PublishPacket;
  /** With `manualAcknowledgement` and QoS 1 or 2: the id to acknowledge. */
  id?: number;
}

/**
 * A message published with `ClientSession.publish` is done: QoS 0
 * sent, QoS 1 acknowledged by PUBACK, QoS 2 by PUBCOMP (or refused by a
 * PUBREC of 0x80 or above). `reasonCode` is the server's verdict: the
 * PUBACK's, or for QoS 2 the PUBREC's (0 for QoS 0); 0x80 and above mean
 * the server refused the message. Every publish ends in exactly one
 * `published` or {@linkcode DroppedEvent}.
 *
 * @example Usage
 * ```ts
 * import type { PublishedEvent } from "@mqtt/codec/session";
 *
 * function succeeded(event: PublishedEvent): boolean {
 *   return event.reasonCode < 0x80;
 * }
 * ```
 */
export interface PublishedEvent {
  /** Discriminant. */
  type: "published";
  /** The id `publish()` returned. */
  id: number;
  /** The PUBACK's reason code, or the PUBREC's for QoS 2 (0 for QoS 0). */
  reasonCode: number;
  /** The acknowledgement that completed it (none for QoS 0). */
  packet?: PubackPacket | PubrecPacket | PubcompPacket;
}

/**
 * The server answered a `ClientSession.subscribe`: one reason code
 * per subscription, in order (the granted QoS, or 0x80 and above for a
 * refusal). Or the SUBSCRIBE could not be sent: made before a CONNACK
 * whose Maximum Packet Size it exceeds, it gets 0x95 Packet too large for
 * every subscription, the `error`, and no `packet`.
 *
 * @example Usage
 * ```ts
 * import type { SubscribedEvent } from "@mqtt/codec/session";
 *
 * function allGranted(event: SubscribedEvent): boolean {
 *   return event.reasonCodes.every((code) => code < 0x80);
 * }
 * ```
 */
export interface SubscribedEvent {
  /** Discriminant. */
  type: "subscribed";
  /** The id `subscribe()` returned. */
  id: number;
  /** One per subscription, in the order requested. */
  reasonCodes: number[];
  /** The SUBACK (absent when the SUBSCRIBE was not sent). */
  packet?: SubackPacket;
  /** Why the SUBSCRIBE was not sent (0x95), when it was not. */
  error?: MqttError;
}

/**
 * The server answered a `ClientSession.unsubscribe`: one reason
 * code per topic filter in MQTT 5.0 (none in 3.1.1, which has no codes).
 * Or the UNSUBSCRIBE could not be sent, as for {@linkcode SubscribedEvent}:
 * 0x95 for every topic filter, the `error`, no `packet`.
 *
 * @example Usage
 * ```ts
 * import type { UnsubscribedEvent } from "@mqtt/codec/session";
 * const done = (event: UnsubscribedEvent) => event.id;
 * ```
 */
export interface UnsubscribedEvent {
  /** Discriminant. */
  type: "unsubscribed";
  /** The id `unsubscribe()` returned. */
  id: number;
  /** One per topic filter (MQTT 5.0); empty in MQTT 3.1.1. */
  reasonCodes: number[];
  /** The UNSUBACK (absent when the UNSUBSCRIBE was not sent). */
  packet?: UnsubackPacket;
  /** Why the UNSUBSCRIBE was not sent (0x95), when it was not. */
  error?: MqttError;
}

/**
 * The client's CONNECT was accepted: the session is connected. The limits
 * the server announced are in `connack` and applied by the session.
 * `sessionLost` is true when the client asked to resume a session (Clean
 * Start 0) and the server has none: what was in flight is dropped
 * [MQTT-3.2.2-5] and subscriptions must be made again.
 *
 * @example Usage
 * ```ts
 * import type { ConnectedEvent } from "@mqtt/codec/session";
 * const mustSubscribe = (event: ConnectedEvent) => !event.sessionPresent;
 * ```
 */
export interface ConnectedEvent {
  /** Discriminant. */
  type: "connected";
  /** Whether the server resumed an existing session. */
  sessionPresent: boolean;
  /** Whether a session the client expected to resume is gone. */
  sessionLost: boolean;
  /** The CONNACK. */
  connack: ConnackPacket;
}

/**
 * An AUTH packet of enhanced authentication (MQTT 5.0 section 4.12) arrived:
 * reason code 0x18 (Continue authentication) asks for the next step, which
 * the application computes and sends with `authenticate()`; 0x19
 * (Re-authenticate, server side) starts a re-authentication; 0x00 (client
 * side) says a re-authentication succeeded.
 *
 * @example Usage
 * ```ts
 * import type { AuthEvent } from "@mqtt/codec/session";
 * const challenge = (event: AuthEvent) => event.packet.authenticationData;
 * ```
 */
export interface AuthEvent {
  /** Discriminant. */
  type: "auth";
  /** The AUTH packet. */
  packet: AuthPacket;
}

/**
 * A message the session took will not be delivered, and why. Nothing is
 * dropped without this event (client: every `publish()` ends in a
 * {@linkcode PublishedEvent} or this; server: every message `deliver()`
 * accepted is sent or ends in this).
 *
 * @example Usage
 * ```ts
 * import type { DroppedEvent } from "@mqtt/codec/session";
 * const log = (event: DroppedEvent) => `${event.message.topic}: ${event.reason}`;
 * ```
 */
export interface DroppedEvent {
  /** Discriminant. */
  type: "dropped";
  /** Why. */
  reason: DropReason;
  /** The message, as it was handed over. */
  message: ApplicationMessage;
  /** Client: the id `publish()` returned. */
  id?: number;
}

/**
 * The network connection is over: write what `pollTransmit()` still gives
 * (a DISCONNECT, a refusing CONNACK), then close the connection. The
 * session state outlives it: a `ClientSession` can be connected
 * again; a `ServerSession` waits to be taken over by the client's
 * next connection or to expire.
 *
 * @example Usage
 * ```ts
 * import type { DisconnectedEvent } from "@mqtt/codec/session";
 * const why = (event: DisconnectedEvent) => `${event.initiator}: ${event.reasonCode}`;
 * ```
 */
export interface DisconnectedEvent {
  /** Discriminant. */
  type: "disconnected";
  /** Who ended the connection. */
  initiator: Initiator;
  /**
   * The reason code sent or received (a DISCONNECT's, or a refusing
   * CONNACK's); the one the session would have sent in MQTT 3.1.1, which
   * has none on the wire; absent when the network failed.
   */
  reasonCode?: number;
  /** The DISCONNECT or refusing CONNACK received from the peer. */
  packet?: DisconnectPacket | ConnackPacket;
  /** For a violation of the protocol by the peer: what it was, and the rule. */
  error?: MqttError;
}

/**
 * (Server) A client's CONNECT arrived. Decide: `accept()`, `reject()`, or
 * (enhanced authentication) `authenticate()` with a first challenge.
 *
 * @example Usage
 * ```ts
 * import type { ConnectEvent } from "@mqtt/codec/session";
 * const who = (event: ConnectEvent) => event.packet.clientId;
 * ```
 */
export interface ConnectEvent {
  /** Discriminant. */
  type: "connect";
  /** The CONNECT. */
  packet: ConnectPacket;
}

/**
 * (Server, `manualAcknowledgement` only) A SUBSCRIBE arrived. `reasonCodes`
 * holds what the session would answer by its own rules (the granted QoS, or
 * a refusal); answer with `acknowledge({ id, reasonCodes })`, where you may
 * refuse more (0x87 Not authorized, say).
 *
 * @example Usage
 * ```ts
 * import type { SubscribeRequestEvent } from "@mqtt/codec/session";
 * const filters = (event: SubscribeRequestEvent) =>
 *   event.packet.subscriptions.map((s) => s.topicFilter);
 * ```
 */
export interface SubscribeRequestEvent {
  /** Discriminant. */
  type: "subscribe";
  /** The id to acknowledge. */
  id: number;
  /** The SUBSCRIBE. */
  packet: SubscribePacket;
  /** The answer the session proposes, one per subscription. */
  reasonCodes: number[];
}

/**
 * (Server, `manualAcknowledgement` only) An UNSUBSCRIBE arrived; answer
 * with `acknowledge({ id, reasonCodes })`.
 *
 * @example Usage
 * ```ts
 * import type { UnsubscribeRequestEvent } from "@mqtt/codec/session";
 * const filters = (event: UnsubscribeRequestEvent) => event.packet.topicFilters;
 * ```
 */
export interface UnsubscribeRequestEvent {
  /** Discriminant. */
  type: "unsubscribe";
  /** The id to acknowledge. */
  id: number;
  /** The UNSUBSCRIBE. */
  packet: UnsubscribePacket;
  /** The answer the session proposes: 0x00, or 0x11 No subscription existed. */
  reasonCodes: number[];
}

/**
 * A subscription the server session now holds, with the QoS it granted.
 *
 * @example Usage
 * ```ts
 * import type { GrantedSubscription } from "@mqtt/codec/session";
 * const retained = (s: GrantedSubscription) => s.sendRetained;
 * ```
 */
export interface GrantedSubscription extends Subscription {
  /** The Subscription Identifier of the SUBSCRIBE that made it. */
  subscriptionIdentifier?: number;
  /** Whether no subscription with this topic filter existed before. */
  isNew: boolean;
  /**
   * Whether the application should now send the retained messages that
   * match the filter (with `deliver({ ..., retained: true })`): Retain
   * Handling 0, or 1 for a new subscription [MQTT-3.3.1-9],
   * [MQTT-3.3.1-10]; never for 2 [MQTT-3.3.1-11] or a shared subscription
   * (section 4.8.2).
   */
  sendRetained: boolean;
}

/**
 * (Server) A SUBSCRIBE was answered: these subscriptions were added or
 * replaced [MQTT-3.8.4-3]. Add them to your routing index (keyed by client
 * identifier) and send retained messages where `sendRetained` says.
 *
 * @example Usage
 * ```ts
 * import type { ServerSubscribedEvent } from "@mqtt/codec/session";
 * const filters = (event: ServerSubscribedEvent) =>
 *   event.subscriptions.map((s) => s.topicFilter);
 * ```
 */
export interface ServerSubscribedEvent {
  /** Discriminant. */
  type: "subscribed";
  /** The subscriptions now held, one per granted topic filter. */
  subscriptions: GrantedSubscription[];
  /** The SUBSCRIBE. */
  packet: SubscribePacket;
  /** The reason codes sent in the SUBACK. */
  reasonCodes: number[];
}

/**
 * (Server) Subscriptions were removed, by an UNSUBSCRIBE: take
 * `topicFilters` out of your routing index.
 *
 * @example Usage
 * ```ts
 * import type { ServerUnsubscribedEvent } from "@mqtt/codec/session";
 * const removed = (event: ServerUnsubscribedEvent) => event.topicFilters;
 * ```
 */
export interface ServerUnsubscribedEvent {
  /** Discriminant. */
  type: "unsubscribed";
  /** The topic filters that were subscribed and are not any more. */
  topicFilters: string[];
  /** The UNSUBSCRIBE. */
  packet: UnsubscribePacket;
  /** The reason codes sent in the UNSUBACK. */
  reasonCodes: number[];
}

/**
 * (Server) The client's Will Message is due: publish it as a message from
 * this client (section 3.1.3.2.2: after the Will Delay Interval, or when the
 * session ends, unless the client disconnected normally or came back in
 * time [MQTT-3.1.2-8], [MQTT-3.1.3-9]). Retain it when `message.retain` is
 * set [MQTT-3.1.2-15].
 *
 * @example Usage
 * ```ts
 * import type { WillEvent } from "@mqtt/codec/session";
 * const topic = (event: WillEvent) => event.message.topic;
 * ```
 */
export interface WillEvent {
  /** Discriminant. */
  type: "will";
  /** The Will Message. */
  message: ApplicationMessage;
}

/**
 * (Server) The session state is gone: take `topicFilters` out of your
 * routing index, and forget the session if your registry still holds this
 * object. `"expired"`: the Session Expiry Interval passed after its last
 * connection closed (at once for an interval of 0) [MQTT-4.1.0-2];
 * `"clean-start"`: the client connected again with Clean Start 1 and a new
 * session replaces it [MQTT-3.1.2-4].
 *
 * @example Usage
 * ```ts
 * import type { SessionEndedEvent } from "@mqtt/codec/session";
 * const filters = (event: SessionEndedEvent) => event.topicFilters;
 * ```
 */
export interface SessionEndedEvent {
  /** Discriminant. */
  type: "ended";
  /** Why. */
  reason: "expired" | "clean-start";
  /** The topic filters it was subscribed to. */
  topicFilters: string[];
}

/**
 * What `ClientSession.pollEvent` returns.
 *
 * @example Usage
 * ```ts
 * import type { ClientEvent } from "@mqtt/codec/session";
 *
 * function describe(event: ClientEvent): string {
 *   return event.type === "message" ? event.message.topic : event.type;
 * }
 * ```
 */
export type ClientEvent =
  | ConnectedEvent
  | MessageReceivedEvent
  | PublishedEvent
  | SubscribedEvent
  | UnsubscribedEvent
  | AuthEvent
  | DroppedEvent
  | DisconnectedEvent;

/**
 * What `ServerSession.pollEvent` returns.
 *
 * @example Usage
 * ```ts
 * import type { ServerEvent } from "@mqtt/codec/session";
 *
 * function describe(event: ServerEvent): string {
 *   return event.type === "message" ? event.message.topic : event.type;
 * }
 * ```
 */
export type ServerEvent =
  | ConnectEvent
  | MessageReceivedEvent
  | SubscribeRequestEvent
  | ServerSubscribedEvent
  | UnsubscribeRequestEvent
  | ServerUnsubscribedEvent
  | AuthEvent
  | WillEvent
  | DroppedEvent
  | DisconnectedEvent
  | SessionEndedEvent;

/**
 * The answer to a request the session reported with an `id` under
 * `manualAcknowledgement`: a QoS 1 or 2 message (`reasonCode`: 0x00, or a
 * refusal such as 0x87 Not authorized; 0x10 No matching subscribers is a
 * success), or a SUBSCRIBE or UNSUBSCRIBE (`reasonCodes`, one per filter;
 * by default the ones the event proposed).
 *
 * @example Usage
 * ```ts
 * import type { Acknowledgement } from "@mqtt/codec/session";
 * const refuse: Acknowledgement = { id: 3, reasonCode: 0x87 };
 * ```
 */
export interface Acknowledgement {
  /** The `id` of the event answered. */
  id: number;
  /** For a message: the reason code of the PUBACK or PUBREC (default 0x00). */
  reasonCode?: number;
  /** For a SUBSCRIBE or UNSUBSCRIBE: one reason code per topic filter. */
  reasonCodes?: number[];
  /** MQTT 5.0: a human readable reason (left out when it would not fit the peer's Maximum Packet Size). */
  reasonString?: string;
  /** MQTT 5.0: user properties for the acknowledgement (same rule). */
  userProperties?: UserProperties;
}

/**
 * The sizes of a session's state, for monitoring and for applying
 * back-pressure. Once every message is acknowledged and every request
 * answered, all are 0.
 *
 * @example Usage
 * ```ts
 * import type { SessionStats } from "@mqtt/codec/session";
 * const idle = (stats: SessionStats) =>
 *   stats.queuedMessages + stats.inFlightMessages === 0;
 * ```
 */
export interface SessionStats {
  /** Messages waiting to be sent. */
  queuedMessages: number;
  /** QoS 1 and 2 messages sent and not yet acknowledged. */
  inFlightMessages: number;
  /** Bytes held by queued and in-flight messages (payload, topic, properties). */
  messageBytes: number;
  /** QoS 2 messages received and delivered, waiting for their PUBREL. */
  awaitingRelease: number;
  /** Requests reported with an `id` and not yet acknowledged (manual acknowledgement). */
  unanswered: number;
  /** Client: SUBSCRIBE and UNSUBSCRIBE packets waiting for their answer. */
  pendingRequests: number;
  /** Packet Identifiers in use. */
  packetIdentifiers: number;
}

/**
 * How a session behaves, for clients and servers alike
 * (`ClientSessionOptions` and `ServerSessionOptions` add the rest).
 *
 * @example Usage
 * ```ts
 * import type { SessionOptions } from "@mqtt/codec/session";
 * const options: SessionOptions = { maximumInFlight: 10, strictReceiveMaximum: false };
 * ```
 */
export interface SessionOptions {
  /**
   * Answer QoS 1 and 2 messages (and, on a server, SUBSCRIBE and
   * UNSUBSCRIBE) with `acknowledge()` instead of at once (default false). A
   * message then holds a slot of our Receive Maximum until the application
   * has dealt with it, and may be refused (a server's 0x87 Not authorized).
   */
  manualAcknowledgement?: boolean;
  /**
   * Count a QoS 2 message against our Receive Maximum until its PUBCOMP, as
   * the specification says (default true). `false` counts it only until its
   * PUBREC, which tolerates peers that free the slot there (mosquitto 2.0.11
   * does) instead of closing with 0x93; the identifiers waiting for a
   * PUBREL are then bounded only by their number, 65,535.
   */
  strictReceiveMaximum?: boolean;
  /** Send Topic Aliases to a peer that takes them (default true). */
  useTopicAliases?: boolean;
  /**
   * At most this many QoS 1 and 2 messages in flight, whatever the peer's
   * Receive Maximum (default: server 100; client 65,535, or 20 in MQTT 3.1.1,
   * which cannot learn the server's limit: mosquitto's default
   * `max_inflight_messages`, to which it holds a 3.1.1 client's QoS 2
   * messages, closing the connection past it).
   */
  maximumInFlight?: number;
  /**
   * At most this many messages queued or in flight (default: client
   * Infinity, server 1,000); past it, see `DropReason` `"queue-full"`.
   */
  maximumQueuedMessages?: number;
  /** At most this many bytes of messages queued or in flight (default: client Infinity, server 16 MiB). */
  maximumQueuedBytes?: number;
}
