/**
 * The broker's state, independent of any connection: sessions (subscriptions,
 * messages in flight and queued), retained messages, pending Will messages,
 * and the routing of a published message to every matching session.
 *
 * @module
 */

import {
  type MessageProperties,
  type PublishPacket,
  type QoS,
  topicMatches,
  type Will,
} from "../../mod.ts";

/** A Session Expiry Interval of 0xFFFFFFFF: the session never expires (section 3.1.2.11.2). */
export const NEVER_EXPIRES = 0xffff_ffff;

/** At most this many QoS 1 and 2 messages wait for a client that is away. */
const MAX_QUEUED = 1_000;

/** The longest delay `setTimeout` can wait (about 24.8 days); longer means never here. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** An application message as the broker keeps it. */
export interface Message extends MessageProperties {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  /** Client Identifier of the publisher, for No Local. */
  publisher: string;
  /** `Date.now()` after which nobody may receive it (Message Expiry Interval, section 3.3.2.3.3). */
  expiresAt?: number;
}

/** One message on its way to one session, with the QoS and RETAIN flag this subscriber gets. */
export interface Delivery {
  message: Message;
  qos: QoS;
  retain: boolean;
  subscriptionIdentifiers: number[];
}

/** The options a subscription was made with. */
export interface SubscriptionOptions {
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
  subscriptionIdentifier?: number;
}

/** An outgoing QoS 1 or 2 message the client has not finished acknowledging. */
interface InFlight {
  delivery: Delivery;
  /** "publish": waiting for PUBACK or PUBREC; "pubrel": PUBREL sent, waiting for PUBCOMP. */
  state: "publish" | "pubrel";
}

/** What a session needs from the connection currently attached to it. */
export interface Peer {
  /** The client's Receive Maximum: how many QoS 1 and 2 messages may be in flight. */
  readonly receiveMaximum: number;
  sendPublish(
    delivery: Delivery,
    packetId: number | undefined,
    dup: boolean,
  ): void;
  sendPubrel(packetId: number): void;
  /** Closes the connection from the server side (with a DISCONNECT in MQTT 5.0). */
  kick(reasonCode: number, reasonString: string): Promise<void>;
}

/** Makes a {@linkcode Message} from a PUBLISH or a Will, starting its expiry clock now. */
export function toMessage(
  source: PublishPacket | Will,
  topic: string,
  publisher: string,
): Message {
  const message: Message = {
    topic,
    payload: source.payload,
    qos: source.qos,
    retain: source.retain,
    publisher,
  };
  if (source.payloadFormatIndicator !== undefined) {
    message.payloadFormatIndicator = source.payloadFormatIndicator;
  }
  if (source.contentType !== undefined) {
    message.contentType = source.contentType;
  }
  if (source.responseTopic !== undefined) {
    message.responseTopic = source.responseTopic;
  }
  if (source.correlationData !== undefined) {
    message.correlationData = source.correlationData;
  }
  if (source.userProperties !== undefined) {
    message.userProperties = source.userProperties;
  }
  if (source.messageExpiryInterval !== undefined) {
    message.messageExpiryInterval = source.messageExpiryInterval;
    message.expiresAt = Date.now() + source.messageExpiryInterval * 1000;
  }
  return message;
}

/** Whether a message has outlived its Message Expiry Interval. */
export function isExpired(message: Message, now = Date.now()): boolean {
  return message.expiresAt !== undefined && now > message.expiresAt;
}

/** A session: outlives its connections when Clean Start is 0 and the Session Expiry Interval allows it. */
export class Session {
  readonly clientId: string;
  /** Subscriptions by topic filter. */
  readonly subscriptions = new Map<string, SubscriptionOptions>();
  /** Seconds the session outlives its connection; {@linkcode NEVER_EXPIRES} for ever. */
  expiryInterval = 0;
  /** The connection attached now, if any. */
  connection: Peer | undefined;
  /** Outgoing QoS 1 and 2 messages by Packet Identifier, in the order sent. */
  readonly inFlight = new Map<number, InFlight>();
  /** QoS 1 and 2 messages waiting for the client (away, or at its Receive Maximum). */
  readonly queue: Delivery[] = [];
  /** Packet Identifiers of QoS 2 PUBLISHes received and not yet released by a PUBREL. */
  readonly receivedQoS2 = new Set<number>();
  /** A Will waiting for its Will Delay Interval (section 3.1.3.2.2). */
  pendingWill: { will: Will; timer: ReturnType<typeof setTimeout> } | undefined;
  expiryTimer: ReturnType<typeof setTimeout> | undefined;
  #lastPacketId = 0;

  constructor(clientId: string) {
    this.clientId = clientId;
  }

  /** Sends a message now, or queues it (QoS 1 and 2) while the client is away or busy. */
  deliver(delivery: Delivery): void {
    const connection = this.connection;
    if (delivery.qos === 0) {
      // QoS 0 messages for an absent client may be dropped (section 3.1.2.4).
      connection?.sendPublish(delivery, undefined, false);
    } else if (
      connection !== undefined && this.queue.length === 0 &&
      this.inFlight.size < connection.receiveMaximum
    ) {
      this.#send(connection, delivery);
    } else if (this.queue.length < MAX_QUEUED) {
      this.queue.push(delivery);
    }
  }

  /**
   * After a reconnect: resends every unacknowledged PUBLISH with DUP set and
   * every unanswered PUBREL, in their original order [MQTT-4.4.0-1], then
   * sends what was queued.
   */
  resume(): void {
    const connection = this.connection;
    if (connection === undefined) return;
    for (const [packetId, flight] of this.inFlight) {
      if (flight.state === "publish") {
        connection.sendPublish(flight.delivery, packetId, true);
      } else {
        connection.sendPubrel(packetId);
      }
    }
    this.pump();
  }

  /** Sends queued messages while the client's Receive Maximum allows [MQTT-3.3.4-7]. */
  pump(): void {
    const connection = this.connection;
    while (
      connection !== undefined && this.queue.length > 0 &&
      this.inFlight.size < connection.receiveMaximum
    ) {
      const delivery = this.queue.shift()!;
      // An expired message was never started on its way: drop it [MQTT-3.3.2-5].
      if (!isExpired(delivery.message)) this.#send(connection, delivery);
    }
  }

  /** PUBACK, PUBCOMP, or a failed PUBREC: the message is done with. */
  complete(packetId: number): boolean {
    const known = this.inFlight.delete(packetId);
    if (known) this.pump();
    return known;
  }

  /** PUBREC: the client has the QoS 2 message; next it gets a PUBREL. */
  released(packetId: number): boolean {
    const flight = this.inFlight.get(packetId);
    if (flight === undefined) return false;
    flight.state = "pubrel";
    return true;
  }

  #send(connection: Peer, delivery: Delivery): void {
    const packetId = this.#nextPacketId();
    this.inFlight.set(packetId, { delivery, state: "publish" });
    connection.sendPublish(delivery, packetId, false);
  }

  /** A Packet Identifier not used by any message in flight [MQTT-2.2.1-3]. */
  #nextPacketId(): number {
    do {
      this.#lastPacketId = this.#lastPacketId % 0xffff + 1;
    } while (this.inFlight.has(this.#lastPacketId));
    return this.#lastPacketId;
  }
}

/** Sessions, retained messages and routing. Connections attach to sessions. */
export class BrokerState {
  readonly sessions = new Map<string, Session>();
  /** Retained messages by topic name. */
  readonly retained = new Map<string, Message>();
  #closed = false;

  /**
   * Opens the session of a connecting client: a new one for Clean Start 1
   * (ending the old one, which publishes its pending Will), else the
   * existing one, whose pending Will and expiry are cancelled [MQTT-3.1.3-9].
   */
  openSession(
    clientId: string,
    cleanStart: boolean,
  ): { session: Session; present: boolean } {
    const existing = this.sessions.get(clientId);
    if (existing !== undefined && !cleanStart) {
      clearTimeout(existing.expiryTimer);
      existing.expiryTimer = undefined;
      if (existing.pendingWill !== undefined) {
        clearTimeout(existing.pendingWill.timer);
        existing.pendingWill = undefined;
      }
      return { session: existing, present: true };
    }
    if (existing !== undefined) this.endSession(existing);
    const session = new Session(clientId);
    this.sessions.set(clientId, session);
    return { session, present: false };
  }

  /**
   * The connection of a session has gone. A Will is published after its
   * delay, or when the session ends, whichever comes first (section
   * 3.1.2.5); the session ends after its Session Expiry Interval.
   */
  detach(session: Session, will: Will | undefined): void {
    session.connection = undefined;
    if (will !== undefined) {
      const delay = Math.min(
        will.willDelayInterval ?? 0,
        session.expiryInterval,
      );
      if (delay === 0) {
        this.publish(toMessage(will, will.topic, session.clientId));
      } else {
        const timer = setTimeout(() => {
          session.pendingWill = undefined;
          this.publish(toMessage(will, will.topic, session.clientId));
        }, Math.min(delay * 1000, MAX_TIMER_MS));
        session.pendingWill = { will, timer };
      }
    }
    if (session.expiryInterval === 0) {
      this.endSession(session);
    } else if (session.expiryInterval * 1000 < MAX_TIMER_MS) {
      session.expiryTimer = setTimeout(
        () => this.endSession(session),
        session.expiryInterval * 1000,
      );
    }
  }

  /** Ends a session: its pending Will is published now, its state forgotten. */
  endSession(session: Session): void {
    clearTimeout(session.expiryTimer);
    session.expiryTimer = undefined;
    const pending = session.pendingWill;
    if (pending !== undefined) {
      clearTimeout(pending.timer);
      session.pendingWill = undefined;
      this.publish(
        toMessage(pending.will, pending.will.topic, session.clientId),
      );
    }
    if (this.sessions.get(session.clientId) === session) {
      this.sessions.delete(session.clientId);
    }
  }

  /**
   * Stores or clears the retained message of the topic, then delivers the
   * message once to every session with a matching subscription.
   *
   * @returns How many sessions it went to.
   */
  publish(message: Message): number {
    if (this.#closed) return 0;
    if (message.retain) {
      // An empty retained message clears the topic and is not stored [MQTT-3.3.1-6] [MQTT-3.3.1-7].
      if (message.payload.length === 0) this.retained.delete(message.topic);
      else this.retained.set(message.topic, message);
    }
    let count = 0;
    for (const session of this.sessions.values()) {
      const delivery = match(session, message);
      if (delivery !== undefined) {
        session.deliver(delivery);
        count++;
      }
    }
    return count;
  }

  /** Sends the retained messages that match a new subscription, RETAIN set [MQTT-3.3.1-9]. */
  sendRetained(
    session: Session,
    filter: string,
    options: SubscriptionOptions,
  ): void {
    const now = Date.now();
    for (const [topic, message] of this.retained) {
      if (isExpired(message, now)) {
        this.retained.delete(topic);
        continue;
      }
      if (!topicMatches(filter, topic)) continue;
      session.deliver({
        message,
        qos: Math.min(message.qos, options.qos) as QoS,
        retain: true,
        subscriptionIdentifiers: options.subscriptionIdentifier === undefined
          ? []
          : [options.subscriptionIdentifier],
      });
    }
  }

  /** Stops every timer; nothing is published any more. */
  close(): void {
    this.#closed = true;
    for (const session of this.sessions.values()) {
      clearTimeout(session.expiryTimer);
      if (session.pendingWill !== undefined) {
        clearTimeout(session.pendingWill.timer);
      }
    }
    this.sessions.clear();
  }
}

/**
 * How a message reaches a session whose subscriptions overlap: one copy, at
 * the highest QoS of all matching subscriptions [MQTT-3.3.4-2], carrying the
 * Subscription Identifiers of all of them [MQTT-3.3.4-4]. Subscriptions with
 * No Local do not match the publisher's own messages [MQTT-3.8.3-3]. RETAIN
 * is kept only for a subscription with Retain As Published [MQTT-3.3.1-12],
 * and never in MQTT 3.1.1 (which has no such option).
 */
function match(session: Session, message: Message): Delivery | undefined {
  let qos = -1;
  let retainAsPublished = false;
  const subscriptionIdentifiers: number[] = [];
  for (const [filter, options] of session.subscriptions) {
    if (!topicMatches(filter, message.topic)) continue;
    if (options.noLocal && message.publisher === session.clientId) continue;
    qos = Math.max(qos, options.qos);
    retainAsPublished ||= options.retainAsPublished;
    if (options.subscriptionIdentifier !== undefined) {
      subscriptionIdentifiers.push(options.subscriptionIdentifier);
    }
  }
  if (qos === -1) return undefined;
  return {
    message,
    qos: Math.min(qos, message.qos) as QoS,
    retain: message.retain && retainAsPublished,
    subscriptionIdentifiers,
  };
}
