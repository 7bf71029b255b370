/**
 * The sending side of the publish flows (sections 4.3, 4.4, 4.9): messages
 * waiting to be sent, QoS 1 and 2 messages in flight, their resending on a
 * resumed session, and the acknowledgements that complete them.
 *
 * @module
 */

import { MAXIMUM_PACKET_ID } from "../defaults.ts";
import { MqttError } from "../error.ts";
import type {
  PubackPacket,
  PubcompPacket,
  PublishPacket,
  PubrecPacket,
  PubrelPacket,
  QoS,
} from "../packet.ts";
import { Deque } from "./deque.ts";
import { IdTable } from "./id_table.ts";
import type { OutboundTopicAliases } from "./outbound_aliases.ts";
import { fitsWithin } from "./packet_size.ts";
import type { PacketIdAllocator } from "./packet_ids.ts";
import type {
  ApplicationMessage,
  DroppedEvent,
  DropReason,
  PublishedEvent,
} from "./types.ts";
import type { VersionRules } from "./version.ts";
import { ReasonCode } from "../reason_code.ts";

/** Waiting in a queue: no Packet Identifier yet. */
export const QUEUED = 0;
/** PUBLISH sent, waiting for PUBACK (QoS 1) or PUBREC (QoS 2). */
export const PUBLISHED = 1;
/** QoS 2: PUBREL sent, waiting for PUBCOMP. */
export const RELEASED = 2;

/** A message on its way to the peer, as the session keeps it. */
export interface Outgoing {
  /** Client: the id `publish()` returned; server: 0. */
  readonly id: number;
  /** The message as handed over. */
  readonly message: ApplicationMessage;
  /** The QoS it is sent with (server: at most the granted one). */
  readonly qos: QoS;
  /** The RETAIN flag it is sent with. */
  readonly retain: boolean;
  /** Server: the Subscription Identifiers of the matching subscriptions. */
  readonly subscriptionIdentifiers: number[] | undefined;
  /** Bytes counted against the byte limit. */
  readonly size: number;
  /** When its Message Expiry Interval ends (absolute ms), if it has one. */
  readonly expiresAt: number | undefined;
  /** Arrival order, to send QoS 0 and QoS 1/2 messages oldest first. */
  readonly seq: number;
  /** Its Packet Identifier while in flight (0 before). */
  packetId: number;
  /** {@linkcode QUEUED}, {@linkcode PUBLISHED} or {@linkcode RELEASED}. */
  stage: number;
  /** Whether it was sent (or resent) on the current network connection. */
  sent: boolean;
  /** The Message Expiry Interval its first transmission carried (resends repeat it). */
  expiryInterval: number | undefined;
  /** QoS 2: the reason code of its PUBREC, the receiver's verdict on the message. */
  pubrecCode?: number;
  /**
   * Its place in the order of resending: given when sent, and again when
   * its PUBREC arrives (PUBRELs go in the order of their PUBRECs).
   */
  order: number;
}

/**
 * A message of a snapshot checked and ready for a sender: an outgoing
 * message but for what the sender gives it (its place in the queues and in
 * the order of resending, and whether it was sent on this connection).
 */
export type RestoredMessage = Readonly<
  Omit<Outgoing, "seq" | "order" | "sent">
>;

/** What the sender may do on the current network connection. */
export interface SenderLimits {
  /** The protocol version of the connection. */
  readonly rules: VersionRules;
  /** At most this many QoS 1 and 2 messages in flight (the peer's Receive Maximum, or less). */
  readonly sendQuota: number;
  /** The peer's Maximum Packet Size. */
  readonly maximumPacketSize: number;
  /** The Topic Aliases to use, if the peer accepts any and aliases are wanted. */
  readonly aliases: OutboundTopicAliases | undefined;
  /** The highest QoS the peer takes (a client publishing to a server). */
  readonly maximumQoS: QoS;
  /** Whether the peer takes RETAIN (a client publishing to a server). */
  readonly retainAvailable: boolean;
}

/** How a sender is set up, for the whole session. */
export interface SenderOptions {
  /** Queued plus in-flight messages are at most this many. */
  readonly maximumMessages: number;
  /** Queued plus in-flight messages hold at most this many bytes. */
  readonly maximumBytes: number;
  /** Whether completed messages are reported (client: `published` events). */
  readonly reportCompletion: boolean;
  /** Where events go. */
  readonly emit: (event: PublishedEvent | DroppedEvent) => void;
  /** The Packet Identifiers of the session (the sender's in-flight messages hold theirs). */
  readonly ids: PacketIdAllocator;
}

/**
 * Outgoing application messages. QoS 0 messages and QoS 1/2 messages wait
 * in two queues, each first in first out; the older head goes first, but a
 * QoS 0 message does not wait behind QoS 1/2 messages held back by the
 * peer's Receive Maximum (ordering is only promised per QoS,
 * [MQTT-4.6.0-5]). QoS 1 and 2 messages in flight are kept by Packet
 * Identifier in the order they were sent, a QoS 2 message moving to the end
 * when its PUBREC arrives, so that a resumed session resends PUBLISHes in
 * the order sent [MQTT-4.6.0-1] and PUBRELs in the order of their PUBRECs
 * [MQTT-4.6.0-4].
 */
export class Sender {
  readonly #options: SenderOptions;
  readonly #qos0 = new Deque<Outgoing>();
  readonly #qos12 = new Deque<Outgoing>();
  readonly #inFlight = new IdTable<Outgoing>();
  #bytes = 0;
  /**
   * No queued message expires before this (absolute ms): a lower bound,
   * as the message it was taken from may have left the queue since.
   */
  #earliestExpiry = Infinity;
  #seq = 0;
  #order = 0;
  #limits: SenderLimits | undefined;
  /** In-flight messages not yet sent again on this connection, in order. */
  #resend: Outgoing[] = [];
  #resendAt = 0;
  /** In-flight messages sent on this connection. */
  #active = 0;

  constructor(options: SenderOptions) {
    this.#options = options;
    options.ids.track(this.#inFlight);
  }

  /** How many messages wait to be sent. */
  get queued(): number {
    return this.#qos0.length + this.#qos12.length;
  }

  /** How many QoS 1 and 2 messages are in flight. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** The bytes held by queued and in-flight messages. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Queues a message, to be sent with `qos` and `retain`. Past a limit,
   * queued messages that have expired are dropped first (they would never
   * be sent, section 3.3.2.3.3), then queued QoS 0 messages oldest first;
   * if that is not enough the message is refused (`false`), and the caller
   * reports it.
   *
   * @param id The id events report it with (0 for none).
   * @param size The bytes it counts for against the byte limit.
   * @param expiresAt When its Message Expiry Interval ends, if it has one.
   * @param now The time, for the messages that expired while queued.
   */
  add(
    id: number,
    message: ApplicationMessage,
    qos: QoS,
    retain: boolean,
    subscriptionIdentifiers: number[] | undefined,
    size: number,
    expiresAt: number | undefined,
    now: number,
  ): boolean {
    return this.#enqueue({
      id,
      message,
      qos,
      retain,
      subscriptionIdentifiers,
      size,
      expiresAt,
      seq: ++this.#seq,
      packetId: 0,
      stage: QUEUED,
      sent: false,
      expiryInterval: undefined,
      order: 0,
    }, now);
  }

  #enqueue(entry: Outgoing, now: number): boolean {
    if (this.#isFull(entry.size)) {
      this.#dropExpired(now);
      while (this.#isFull(entry.size)) {
        const oldest = this.#qos0.shift();
        if (oldest === undefined) return false;
        this.#discard(oldest, "queue-full");
      }
    }
    this.#push(entry);
    return true;
  }

  /** Puts an entry at the back of its queue. */
  #push(entry: Outgoing): void {
    this.#bytes += entry.size;
    const expiresAt = entry.expiresAt;
    if (expiresAt !== undefined && expiresAt < this.#earliestExpiry) {
      this.#earliestExpiry = expiresAt;
    }
    (entry.qos === 0 ? this.#qos0 : this.#qos12).push(entry);
  }

  /** Whether one more message of `size` bytes is past a queue limit. */
  #isFull(size: number): boolean {
    const options = this.#options;
    return this.queued + this.#inFlight.size + 1 > options.maximumMessages ||
      this.#bytes + size > options.maximumBytes;
  }

  /**
   * Drops the queued messages that expired by `now` [MQTT-3.3.2-5], in
   * arrival order. A sweep of the queues, so only when one may have
   * expired: it leaves {@linkcode #earliestExpiry} exact, and after the
   * time.
   */
  #dropExpired(now: number): void {
    if (now < this.#earliestExpiry) return;
    let earliest = Infinity;
    const expired = (entry: Outgoing) => {
      const at = entry.expiresAt;
      if (at === undefined) return false;
      if (now >= at) return true;
      if (at < earliest) earliest = at;
      return false;
    };
    const dropped = merge(
      this.#qos0.removeWhere(expired),
      this.#qos12.removeWhere(expired),
    );
    this.#earliestExpiry = earliest;
    for (const entry of dropped) {
      this.#discard(entry, "expired");
    }
  }

  /**
   * A network connection starts. With `resume`, what is in flight is sent
   * again first, in order [MQTT-4.4.0-1]; without, it is discarded (see
   * {@linkcode discardInFlight}).
   */
  attach(limits: SenderLimits, resume: boolean): void {
    this.#limits = limits;
    this.#active = 0;
    this.#resendAt = 0;
    if (resume) {
      this.#resend = this.#inOrder();
      for (const entry of this.#resend) entry.sent = false;
    } else {
      this.#resend = [];
      this.discardInFlight();
    }
  }

  /** The network connection is gone: nothing is sent until the next {@linkcode attach}. */
  detach(): void {
    this.#limits = undefined;
    this.#resend = [];
    this.#active = 0;
    for (const entry of this.#inFlight.values()) entry.sent = false;
  }

  /**
   * Forgets the messages in flight, as a client must when the server has
   * lost the session [MQTT-3.2.2-5]: a QoS 2 message whose PUBREC arrived
   * was received by the server and is reported complete; the others are
   * dropped as `"session-lost"`.
   */
  discardInFlight(): void {
    const inFlight = this.#inOrder();
    this.#inFlight.clear();
    for (const entry of inFlight) {
      this.#bytes -= entry.size;
      this.#forget(entry, "session-lost");
    }
  }

  /**
   * Forgets every message, queued or in flight (the session ended): each is
   * dropped with `reason`, except QoS 2 messages past their PUBREC, which
   * the peer has (as in {@linkcode discardInFlight}).
   */
  end(reason: DropReason): void {
    const inFlight = this.#inOrder();
    const queued = merge(this.#qos0.drain(), this.#qos12.drain());
    this.#inFlight.clear();
    this.#resend = [];
    this.#bytes = 0;
    this.#earliestExpiry = Infinity;
    for (const entry of inFlight) this.#forget(entry, reason);
    for (const entry of queued) this.#drop(entry, reason);
  }

  /**
   * An in-flight message the session gives up on: a QoS 2 message whose
   * PUBREC arrived was received by the peer [MQTT-4.3.3-3] and is
   * complete, with the PUBREC's verdict; any other is dropped.
   */
  #forget(entry: Outgoing, reason: DropReason): void {
    if (entry.stage === RELEASED) {
      this.#complete(entry, entry.pubrecCode ?? 0, undefined);
    } else this.#drop(entry, reason);
  }

  /**
   * Takes back the messages of a snapshot, into a sender that holds none:
   * those in flight in the order of resending, the queued ones in order.
   * The queue limits are not applied: nothing saved is lost (they apply to
   * the messages added next).
   */
  restore(messages: readonly RestoredMessage[]): void {
    for (const saved of messages) {
      const entry: Outgoing = {
        id: saved.id,
        message: saved.message,
        qos: saved.qos,
        retain: saved.retain,
        subscriptionIdentifiers: saved.subscriptionIdentifiers,
        size: saved.size,
        expiresAt: saved.expiresAt,
        seq: ++this.#seq,
        packetId: saved.packetId,
        stage: saved.stage,
        sent: false,
        expiryInterval: saved.expiryInterval,
        order: 0,
      };
      if (saved.pubrecCode !== undefined) entry.pubrecCode = saved.pubrecCode;
      if (entry.stage === QUEUED) {
        this.#push(entry);
      } else {
        this.#bytes += entry.size;
        entry.order = ++this.#order;
        this.#inFlight.set(entry.packetId, entry);
      }
    }
  }

  /** The messages in flight and queued, in order (for taking a session over). */
  *[Symbol.iterator](): IterableIterator<Outgoing> {
    yield* this.#inOrder();
    yield* merge([...this.#qos0], [...this.#qos12]);
  }

  /**
   * The next PUBLISH or PUBREL to send now, or `undefined`: resends first,
   * then the older of the two queue heads, a QoS 1/2 message only while
   * fewer than the send quota are in flight [MQTT-4.9.0-2], [MQTT-3.3.4-7],
   * [MQTT-3.3.4-9], and while a Packet Identifier is free (the session's
   * SUBSCRIBE and UNSUBSCRIBE hold some too): it waits for one
   * [MQTT-2.2.1-3]. A message that expired while it waited is dropped
   * [MQTT-3.3.2-5]; one larger than the peer's Maximum Packet Size is
   * dropped and counts as sent [MQTT-3.1.2-25].
   */
  next(now: number): PublishPacket | PubrelPacket | undefined {
    const limits = this.#limits;
    if (limits === undefined) return undefined;
    const resend = this.#resend;
    while (this.#resendAt < resend.length) {
      if (this.#active >= limits.sendQuota) return undefined;
      const entry = resend[this.#resendAt++];
      if (this.#inFlight.get(entry.packetId) !== entry) continue; // completed meanwhile
      entry.sent = true;
      this.#active++;
      if (entry.stage === RELEASED) {
        return { type: "pubrel", packetId: entry.packetId };
      }
      // A resent PUBLISH has DUP set [MQTT-3.3.1-1].
      const packet = this.#publish(entry, limits, true, now);
      if (packet !== undefined) return packet;
      // Too large for this connection's peer: discarded as if sent
      // [MQTT-3.1.2-25].
      this.#inFlight.delete(entry.packetId);
      this.#active--;
      this.#discard(entry, "too-large");
    }
    for (;;) {
      const first = this.#qos0.peek();
      let second = this.#active < limits.sendQuota
        ? this.#qos12.peek()
        : undefined;
      if (
        second !== undefined && this.#options.ids.size >= MAXIMUM_PACKET_ID
      ) {
        second = undefined; // waits for a free identifier
      }
      let entry: Outgoing;
      if (
        first !== undefined && (second === undefined || first.seq < second.seq)
      ) {
        entry = this.#qos0.shift()!;
      } else if (second !== undefined) {
        entry = this.#qos12.shift()!;
      } else {
        return undefined;
      }
      if (entry.expiresAt !== undefined && now >= entry.expiresAt) {
        this.#discard(entry, "expired");
        continue;
      }
      if (
        entry.qos > limits.maximumQoS ||
        (entry.retain && !limits.retainAvailable)
      ) {
        this.#discard(entry, "not-supported");
        continue;
      }
      const packet = this.#publish(entry, limits, false, now);
      if (packet === undefined) {
        this.#discard(entry, "too-large");
        continue;
      }
      if (entry.qos === 0) {
        this.#bytes -= entry.size;
        this.#complete(entry, 0, undefined);
      }
      return packet;
    }
  }

  /**
   * Builds the PUBLISH of an entry, or returns `undefined` when it does not
   * fit the peer's Maximum Packet Size. A QoS 1/2 entry sent the first
   * time (not `dup`, a resend) gets its Packet Identifier here and goes in
   * flight.
   */
  #publish(
    entry: Outgoing,
    limits: SenderLimits,
    dup: boolean,
    now: number,
  ): PublishPacket | undefined {
    const message = entry.message;
    const packet: PublishPacket = {
      type: "publish",
      topic: message.topic,
      payload: message.payload,
      qos: entry.qos,
      retain: entry.retain,
      dup,
    };
    if (limits.rules.properties) {
      if (message.payloadFormatIndicator !== undefined) {
        packet.payloadFormatIndicator = message.payloadFormatIndicator;
      }
      if (entry.expiresAt !== undefined) {
        // The interval left, counted down while the message waited
        // [MQTT-3.3.2-6]; at least 1, as it has not expired.
        entry.expiryInterval ??= Math.max(
          1,
          Math.ceil((entry.expiresAt - now) / 1000),
        );
        packet.messageExpiryInterval = entry.expiryInterval;
      }
      if (message.contentType !== undefined) {
        packet.contentType = message.contentType;
      }
      if (message.responseTopic !== undefined) {
        packet.responseTopic = message.responseTopic;
      }
      if (message.correlationData !== undefined) {
        packet.correlationData = message.correlationData;
      }
      if (message.userProperties !== undefined) {
        packet.userProperties = message.userProperties;
      }
      if (entry.subscriptionIdentifiers !== undefined) {
        packet.subscriptionIdentifiers = entry.subscriptionIdentifiers;
      }
    }
    if (entry.qos > 0) packet.packetId = 1; // a placeholder of the right size
    const aliases = limits.aliases;
    const alias = aliases === undefined ? 0 : aliases.aliasFor(message.topic);
    if (alias < 0) {
      packet.topic = "";
      packet.topicAlias = -alias;
    } else if (alias > 0) {
      packet.topicAlias = alias;
    }
    const version = limits.rules.version;
    if (!fitsWithin(packet, limits.maximumPacketSize, version)) {
      if (alias <= 0) return undefined;
      // Without the new alias it is 3 bytes smaller.
      delete packet.topicAlias;
      if (!fitsWithin(packet, limits.maximumPacketSize, version)) {
        return undefined;
      }
    } else if (alias > 0) {
      aliases!.assign(message.topic, alias);
    }
    if (entry.qos > 0) {
      if (!dup) {
        const id = this.#options.ids.allocate();
        if (id === undefined) {
          // Cannot happen: next() takes a QoS 1/2 message only with an
          // identifier free.
          throw new Error("Sender: no free Packet Identifier");
        }
        entry.packetId = id;
        entry.stage = PUBLISHED;
        entry.sent = true;
        entry.order = ++this.#order;
        this.#inFlight.set(id, entry);
        this.#active++;
      }
      packet.packetId = entry.packetId;
    }
    return packet;
  }

  /**
   * A PUBACK, PUBREC or PUBCOMP from the peer. Returns the PUBREL to send
   * for a PUBREC (also for one of an unknown identifier, with 0x92 in MQTT
   * 5.0), else `undefined`. An acknowledgement of an identifier not in
   * flight is ignored (it may belong to an exchange a lost session ended).
   *
   * @throws {MqttError} 0x82 Protocol Error for an acknowledgement of the
   * wrong kind for the message in flight (a PUBACK for QoS 2, a PUBCOMP
   * before the PUBREC, ...).
   */
  acknowledge(
    packet: PubackPacket | PubrecPacket | PubcompPacket,
  ): PubrelPacket | undefined {
    const entry = this.#inFlight.get(packet.packetId);
    const reasonCode = packet.reasonCode ?? 0;
    switch (packet.type) {
      case "puback":
        if (entry === undefined) return undefined;
        if (entry.qos !== 1) throw wrongAck(packet, entry);
        this.#finish(entry, reasonCode, packet);
        return undefined;
      case "pubrec":
        if (entry === undefined) {
          const rules = this.#limits?.rules;
          return rules?.reasonCodes
            ? {
              type: "pubrel",
              packetId: packet.packetId,
              reasonCode: ReasonCode.PacketIdentifierNotFound,
            }
            : { type: "pubrel", packetId: packet.packetId };
        }
        if (entry.qos !== 2) throw wrongAck(packet, entry);
        if (reasonCode >= 0x80) {
          // A refused message is done and not sent again [MQTT-4.4.0-2].
          this.#finish(entry, reasonCode, packet);
          return undefined;
        }
        if (entry.stage === PUBLISHED) {
          entry.stage = RELEASED;
          entry.pubrecCode = reasonCode;
          // PUBRELs go in the order of their PUBRECs [MQTT-4.6.0-4].
          entry.order = ++this.#order;
        }
        // [MQTT-4.3.3-4]: a PUBREL with the same identifier; the PUBLISH is
        // never sent again after it [MQTT-4.3.3-6].
        return { type: "pubrel", packetId: entry.packetId };
      case "pubcomp":
        if (entry === undefined) return undefined;
        if (entry.stage !== RELEASED) throw wrongAck(packet, entry);
        // The PUBREC judged the message; a PUBCOMP's 0x92 only says the
        // identifier was already released, as after a lost PUBCOMP
        // (section 3.7.2.1).
        this.#finish(entry, entry.pubrecCode ?? 0, packet);
        return undefined;
    }
  }

  /** An in-flight message is complete: its identifier and quota slot are free. */
  #finish(
    entry: Outgoing,
    reasonCode: number,
    packet: PubackPacket | PubrecPacket | PubcompPacket,
  ): void {
    this.#inFlight.delete(entry.packetId);
    if (entry.sent) this.#active--;
    this.#bytes -= entry.size;
    this.#complete(entry, reasonCode, packet);
  }

  #complete(
    entry: Outgoing,
    reasonCode: number,
    packet: PubackPacket | PubrecPacket | PubcompPacket | undefined,
  ): void {
    if (!this.#options.reportCompletion) return;
    const event: PublishedEvent = {
      type: "published",
      id: entry.id,
      reasonCode,
    };
    if (packet !== undefined) event.packet = packet;
    this.#options.emit(event);
  }

  /** Drops a message the sender holds: its bytes no longer count. */
  #discard(entry: Outgoing, reason: DropReason): void {
    this.#bytes -= entry.size;
    this.#drop(entry, reason);
  }

  #drop(entry: Outgoing, reason: DropReason): void {
    const event: DroppedEvent = {
      type: "dropped",
      reason,
      message: entry.message,
    };
    if (entry.id !== 0) event.id = entry.id;
    this.#options.emit(event);
  }

  /** The messages in flight in the order of resending. */
  #inOrder(): Outgoing[] {
    return this.#inFlight.values().sort((a, b) => a.order - b.order);
  }
}

/** Two queues' entries in arrival order. */
function merge(a: Outgoing[], b: Outgoing[]): Outgoing[] {
  return [...a, ...b].sort((x, y) => x.seq - y.seq);
}

function wrongAck(
  packet: PubackPacket | PubrecPacket | PubcompPacket,
  entry: Outgoing,
): MqttError {
  const expected = entry.qos === 1
    ? "PUBACK"
    : entry.stage === RELEASED
    ? "PUBCOMP"
    : "PUBREC";
  return new MqttError(
    `${packet.type.toUpperCase()}: Packet Identifier ${packet.packetId} belongs to a QoS ${entry.qos} message waiting for a ${expected} (section 4.3)`,
    ReasonCode.ProtocolError,
  );
}
