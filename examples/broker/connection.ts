/**
 * One client connection of the example broker: reads packets with a
 * `PacketReader`, answers with a `PacketWriter`, and applies the protocol
 * (CONNECT, QoS flows, subscriptions, topic aliases, keep-alive, Will)
 * to the shared {@linkcode BrokerState}.
 *
 * @module
 */

import {
  type ConnackPacket,
  type ConnectPacket,
  type DisconnectPacket,
  isSharedSubscription,
  isValidReasonCode,
  isValidTopicFilter,
  MqttError,
  type Packet,
  PacketReader,
  PacketWriter,
  type ProtocolVersion,
  type PublishPacket,
  ReasonCode,
  type SubscribePacket,
  type UnsubscribePacket,
  type Will,
} from "../../mod.ts";
import { formatPacket } from "../format_packet.ts";
import {
  type BrokerState,
  type Delivery,
  NEVER_EXPIRES,
  type Peer,
  type Session,
  type SubscriptionOptions,
  toMessage,
} from "./state.ts";

/** A byte stream pair with a way to drop it: a TCP connection or a WebSocket. */
export interface Transport {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
  /** Closes the underlying connection; may be called more than once. */
  close(): void;
  /** Who is on the other side, for the log. */
  remote: string;
}

/** How the connection reports what happens. */
export interface ConnectionOptions {
  log: (line: string) => void;
  /** Log every packet, both directions. */
  verbose: boolean;
}

/** Topic Alias Maximum announced in CONNACK: aliases 1–10 are accepted from clients. */
export const TOPIC_ALIAS_MAXIMUM = 10;
/** Receive Maximum announced in CONNACK: QoS 2 messages a client may have unreleased at once. */
export const RECEIVE_MAXIMUM = 100;
/** A client that sends no CONNECT within this time is dropped. */
const CONNECT_TIMEOUT_MS = 10_000;
/** How long a DISCONNECT sent by the server may take before the connection is dropped anyway. */
const GOODBYE_TIMEOUT_MS = 1_000;

/** MQTT 3.1.1 CONNACK return codes for the MQTT 5 reason codes used to refuse a connection. */
const RETURN_CODES_311: Record<number, number> = {
  [ReasonCode.UnsupportedProtocolVersion]: 1,
  [ReasonCode.ClientIdentifierNotValid]: 2,
  [ReasonCode.ServerUnavailable]: 3,
  [ReasonCode.BadUserNameOrPassword]: 4,
  [ReasonCode.NotAuthorized]: 5,
  [ReasonCode.BadAuthenticationMethod]: 5,
};

type Outcome = "sent" | "too large" | "failed";

/** One network connection, from CONNECT to close. */
export class Connection implements Peer {
  readonly #state: BrokerState;
  readonly #transport: Transport;
  readonly #options: ConnectionOptions;
  readonly #reader: PacketReader;
  readonly #writer: PacketWriter;
  #version: ProtocolVersion = 5;
  #session: Session | undefined;
  #label: string;
  /** The Will of this connection, until a DISCONNECT 0x00 discards it. */
  #will: Will | undefined;
  /** Topic Aliases the client set on this connection [MQTT-3.3.2-7]. */
  readonly #aliases = new Map<number, string>();
  #keepAliveMs = 0;
  #keepAliveTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  receiveMaximum = 65_535;

  constructor(
    state: BrokerState,
    transport: Transport,
    options: ConnectionOptions,
  ) {
    this.#state = state;
    this.#transport = transport;
    this.#options = options;
    this.#label = transport.remote;
    this.#reader = new PacketReader(transport.readable);
    this.#writer = new PacketWriter(transport.writable);
  }

  /** Serves the connection until it closes; never rejects. */
  async run(): Promise<void> {
    try {
      const connect = await this.#readConnect();
      if (connect === undefined || !await this.#accept(connect)) return;
      // Not `for await`: leaving that loop on an error would cancel the
      // stream, which closes a Deno.Conn before the DISCONNECT is sent.
      while (!this.#closed) {
        const packet = await this.#reader.read();
        if (packet === undefined) break; // closed without DISCONNECT
        this.#logPacket("<-", packet);
        this.#startKeepAlive();
        await this.#handle(packet);
      }
    } catch (error) {
      if (this.#closed) return;
      if (error instanceof MqttError) {
        // The client broke the protocol: say why (MQTT 5.0), then close;
        // the Will is published (section 3.1.2.5).
        const code = isValidReasonCode("disconnect", error.reasonCode)
          ? error.reasonCode
          : ReasonCode.UnspecifiedError;
        await this.kick(code, error.message);
      } else {
        this.#options.log(`${this.#label}: connection lost: ${error}`);
      }
    } finally {
      this.#finish();
    }
  }

  /**
   * Closes the connection from the server side: DISCONNECT with a reason
   * code in MQTT 5.0 (3.1.1 has no server DISCONNECT), then the network
   * connection. The Will, if any, is published.
   */
  async kick(reasonCode: number, reasonString: string): Promise<void> {
    if (this.#closed) return;
    this.#options.log(
      `${this.#label}: disconnecting: 0x${
        reasonCode.toString(16)
      } ${reasonString}`,
    );
    if (this.#session !== undefined && this.#version === 5) {
      const disconnect: DisconnectPacket = {
        type: "disconnect",
        reasonCode,
        reasonString: reasonString.slice(0, 200),
      };
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.#write(disconnect),
        new Promise((resolve) => {
          timer = setTimeout(resolve, GOODBYE_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
    }
    this.#finish();
  }

  sendPublish(
    delivery: Delivery,
    packetId: number | undefined,
    dup: boolean,
  ): void {
    const packet = this.#toPublish(delivery, packetId, dup);
    this.#write(packet).then((outcome) => {
      // A message too large for the client is dropped as if delivered [MQTT-3.1.2-25].
      if (outcome === "too large" && packetId !== undefined) {
        this.#session?.complete(packetId);
      }
    });
  }

  sendPubrel(packetId: number): void {
    this.#write({ type: "pubrel", packetId });
  }

  /** The first packet must be a CONNECT [MQTT-3.1.0-1]; anything else closes the connection. */
  async #readConnect(): Promise<ConnectPacket | undefined> {
    const timer = setTimeout(() => {
      this.#options.log(`${this.#label}: no CONNECT in time`);
      this.#finish();
    }, CONNECT_TIMEOUT_MS);
    try {
      const packet = await this.#reader.read();
      if (packet !== undefined) this.#logPacket("<-", packet);
      if (packet?.type === "connect") return packet;
      if (packet !== undefined) {
        this.#options.log(`${this.#label}: first packet is not CONNECT`);
      }
      return undefined;
    } catch (error) {
      // Two CONNECT errors have a CONNACK of their own, both in the 3.1.1
      // form (the same bytes as 3.1's): a protocol level we do not speak
      // gets return code 1 [MQTT-3.1.2-2], which every version understands;
      // a Client Identifier the version refuses (empty with Clean Session 0
      // in 3.1.1, not 1 to 23 characters in 3.1) gets return code 2
      // [MQTT-3.1.3-8].
      const returnCode = error instanceof MqttError
        ? RETURN_CODES_311[error.reasonCode]
        : undefined;
      if (returnCode === 1 || returnCode === 2) {
        this.#writer.protocolVersion = 4;
        await this.#write({
          type: "connack",
          sessionPresent: false,
          reasonCode: returnCode,
        });
      }
      this.#options.log(`${this.#label}: bad CONNECT: ${error}`);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Checks the CONNECT, opens the session, sends CONNACK; `false` when refused. */
  async #accept(connect: ConnectPacket): Promise<boolean> {
    const v5 = connect.protocolVersion === 5;
    this.#version = connect.protocolVersion;
    this.#writer.protocolVersion = connect.protocolVersion;
    if (connect.authenticationMethod !== undefined) {
      return await this.#refuse(
        ReasonCode.BadAuthenticationMethod,
        "extended authentication is not supported",
      );
    }
    let clientId = connect.clientId;
    let assigned: string | undefined;
    if (clientId === "") {
      // (MQTT 3.1.1 with Clean Session 0 was refused by the decoder already.)
      clientId = assigned = `auto-${crypto.randomUUID()}`;
    }
    this.#label = clientId;

    // A client id already connected: the old connection is taken over [MQTT-3.1.4-3].
    const existing = this.#state.sessions.get(clientId)?.connection;
    if (existing !== undefined) {
      await existing.kick(ReasonCode.SessionTakenOver, "session taken over");
    }
    if (this.#closed) return false;

    const { session, present } = this.#state.openSession(
      clientId,
      connect.cleanStart,
    );
    this.#session = session;
    session.expiryInterval = v5
      ? connect.sessionExpiryInterval ?? 0
      : connect.cleanStart
      ? 0
      : NEVER_EXPIRES;
    this.#will = connect.will;
    this.receiveMaximum = connect.receiveMaximum ?? 65_535;
    if (connect.maximumPacketSize !== undefined) {
      this.#writer.maximumPacketSize = connect.maximumPacketSize;
    }
    this.#keepAliveMs = connect.keepAlive * 1000;

    const connack: ConnackPacket = {
      type: "connack",
      // MQTT 3.1 has no Session Present (3.1 section 3.2)
      sessionPresent: present && connect.protocolVersion !== 3,
      reasonCode: ReasonCode.Success,
    };
    if (v5) {
      if (assigned !== undefined) connack.assignedClientIdentifier = assigned;
      connack.topicAliasMaximum = TOPIC_ALIAS_MAXIMUM;
      connack.receiveMaximum = RECEIVE_MAXIMUM;
      connack.sharedSubscriptionAvailable = false;
    }
    // CONNACK is queued before anything the session resends or receives.
    const sent = this.#write(connack);
    session.connection = this;
    session.resume();
    this.#startKeepAlive();
    this.#options.log(
      `${clientId}: connected (MQTT ${
        ["3.1", "3.1.1", "5.0"][connect.protocolVersion - 3]
      }, ${
        present ? "session resumed" : "new session"
      }) from ${this.#transport.remote}`,
    );
    return await sent === "sent";
  }

  /** Refuses a CONNECT with a CONNACK reason code [MQTT-3.2.2-6], then closes. */
  async #refuse(reasonCode: number, reasonString: string): Promise<false> {
    this.#options.log(`${this.#label}: refused: ${reasonString}`);
    const connack: ConnackPacket = this.#version === 5
      ? { type: "connack", sessionPresent: false, reasonCode, reasonString }
      : {
        type: "connack",
        sessionPresent: false,
        reasonCode: RETURN_CODES_311[reasonCode] ?? 3,
      };
    await this.#write(connack);
    return false;
  }

  async #handle(packet: Packet): Promise<void> {
    const session = this.#session!;
    switch (packet.type) {
      case "publish":
        return await this.#onPublish(packet);
      case "puback":
        session.complete(packet.packetId);
        return;
      case "pubrec":
        if ((packet.reasonCode ?? 0) >= 0x80) {
          session.complete(packet.packetId); // the client refused the message
        } else if (session.released(packet.packetId)) {
          await this.#write({ type: "pubrel", packetId: packet.packetId });
        } else {
          await this.#write({
            type: "pubrel",
            packetId: packet.packetId,
            ...this.#v5Code(ReasonCode.PacketIdentifierNotFound),
          });
        }
        return;
      case "pubrel": {
        const known = session.receivedQoS2.delete(packet.packetId);
        await this.#write({
          type: "pubcomp",
          packetId: packet.packetId,
          ...(known ? {} : this.#v5Code(ReasonCode.PacketIdentifierNotFound)),
        });
        return;
      }
      case "pubcomp":
        session.complete(packet.packetId);
        return;
      case "subscribe":
        return await this.#onSubscribe(packet);
      case "unsubscribe":
        return await this.#onUnsubscribe(packet);
      case "pingreq":
        await this.#write({ type: "pingresp" });
        return;
      case "disconnect":
        return this.#onDisconnect(packet);
      case "auth":
        throw new MqttError(
          "AUTH without an Authentication Method in CONNECT [MQTT-4.12.0-1]",
          ReasonCode.ProtocolError,
        );
      default:
        // A second CONNECT [MQTT-3.1.0-2], or a packet only a server sends.
        throw new MqttError(
          `${packet.type.toUpperCase()} is not a packet a client sends here`,
          ReasonCode.ProtocolError,
        );
    }
  }

  async #onPublish(packet: PublishPacket): Promise<void> {
    const session = this.#session!;
    let topic = packet.topic;
    const alias = packet.topicAlias;
    if (alias !== undefined) {
      if (alias === 0 || alias > TOPIC_ALIAS_MAXIMUM) {
        throw new MqttError(
          `PUBLISH: Topic Alias ${alias} is outside 1..${TOPIC_ALIAS_MAXIMUM} [MQTT-3.3.2-9]`,
          ReasonCode.TopicAliasInvalid,
        );
      }
      if (topic === "") {
        const known = this.#aliases.get(alias);
        if (known === undefined) {
          throw new MqttError(
            `PUBLISH: Topic Alias ${alias} was never set on this connection`,
            ReasonCode.ProtocolError,
          );
        }
        topic = known;
      } else {
        this.#aliases.set(alias, topic);
      }
    }
    const packetId = packet.packetId!;
    if (packet.qos === 2 && session.receivedQoS2.has(packetId)) {
      // A resent QoS 2 PUBLISH already went onward: answer, do not deliver twice [MQTT-4.3.3-9].
      await this.#write({ type: "pubrec", packetId });
      return;
    }
    if (packet.qos === 2 && session.receivedQoS2.size >= RECEIVE_MAXIMUM) {
      throw new MqttError(
        `more than ${RECEIVE_MAXIMUM} QoS 2 messages unreleased [MQTT-3.3.4-9]`,
        ReasonCode.ReceiveMaximumExceeded,
      );
    }
    const matched = this.#state.publish(
      toMessage(packet, topic, session.clientId),
    );
    const noMatch = matched === 0
      ? this.#v5Code(ReasonCode.NoMatchingSubscribers)
      : {};
    if (packet.qos === 1) {
      await this.#write({ type: "puback", packetId, ...noMatch });
    } else if (packet.qos === 2) {
      session.receivedQoS2.add(packetId);
      await this.#write({ type: "pubrec", packetId, ...noMatch });
    }
  }

  async #onSubscribe(packet: SubscribePacket): Promise<void> {
    const session = this.#session!;
    const v5 = this.#version === 5;
    const reasonCodes: number[] = [];
    const retained: [string, SubscriptionOptions][] = [];
    for (const subscription of packet.subscriptions) {
      const filter = subscription.topicFilter;
      // MQTT 3.1 has neither shared subscriptions nor a failure code in
      // SUBACK (3.1 section 3.9): there "$share/..." is a filter like any other
      if (isSharedSubscription(filter) && this.#version !== 3) {
        reasonCodes.push(
          v5 ? ReasonCode.SharedSubscriptionsNotSupported : 0x80,
        );
        continue;
      }
      if (!isValidTopicFilter(filter)) {
        reasonCodes.push(v5 ? ReasonCode.TopicFilterInvalid : 0x80);
        continue;
      }
      const existed = session.subscriptions.has(filter);
      const options: SubscriptionOptions = {
        qos: subscription.qos,
        noLocal: subscription.noLocal ?? false,
        retainAsPublished: subscription.retainAsPublished ?? false,
        retainHandling: subscription.retainHandling ?? 0,
      };
      if (packet.subscriptionIdentifier !== undefined) {
        options.subscriptionIdentifier = packet.subscriptionIdentifier;
      }
      // A subscription to the same filter replaces the old one [MQTT-3.8.4-3].
      session.subscriptions.set(filter, options);
      reasonCodes.push(subscription.qos);
      // Retain Handling: 0 always, 1 only for a new subscription, 2 never [MQTT-3.3.1-9..11].
      if (
        options.retainHandling === 0 ||
        (options.retainHandling === 1 && !existed)
      ) {
        retained.push([filter, options]);
      }
    }
    await this.#write({
      type: "suback",
      packetId: packet.packetId,
      reasonCodes,
    });
    for (const [filter, options] of retained) {
      this.#state.sendRetained(session, filter, options);
    }
  }

  async #onUnsubscribe(packet: UnsubscribePacket): Promise<void> {
    const session = this.#session!;
    const reasonCodes = packet.topicFilters.map((filter) =>
      session.subscriptions.delete(filter)
        ? ReasonCode.Success
        : ReasonCode.NoSubscriptionExisted
    );
    await this.#write({
      type: "unsuback",
      packetId: packet.packetId,
      reasonCodes: this.#version === 5 ? reasonCodes : [],
    });
  }

  #onDisconnect(packet: DisconnectPacket): void {
    const session = this.#session!;
    if (packet.sessionExpiryInterval !== undefined) {
      if (session.expiryInterval === 0 && packet.sessionExpiryInterval !== 0) {
        throw new MqttError(
          "DISCONNECT: Session Expiry Interval set after CONNECT gave 0 [MQTT-3.14.2-2]",
          ReasonCode.ProtocolError,
        );
      }
      session.expiryInterval = packet.sessionExpiryInterval;
    }
    // Normal disconnection discards the Will [MQTT-3.14.4-3]; any other
    // reason, such as 0x04 Disconnect with Will Message, publishes it.
    if ((packet.reasonCode ?? 0) === ReasonCode.NormalDisconnection) {
      this.#will = undefined;
    }
    this.#finish();
  }

  /** Drops a client silent for 1.5 times its Keep Alive [MQTT-3.1.2-22]. */
  #startKeepAlive(): void {
    if (this.#keepAliveMs === 0 || this.#closed) return;
    clearTimeout(this.#keepAliveTimer);
    this.#keepAliveTimer = setTimeout(() => {
      this.kick(ReasonCode.KeepAliveTimeout, "keep alive timeout");
    }, this.#keepAliveMs * 1.5);
  }

  /** Closes the network connection and hands the session back to the state, with the Will. */
  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#keepAliveTimer);
    this.#transport.close();
    const session = this.#session;
    if (session !== undefined && session.connection === this) {
      this.#options.log(`${this.#label}: disconnected`);
      this.#state.detach(session, this.#will);
    }
  }

  /** Writes a packet; never rejects. */
  async #write(packet: Packet): Promise<Outcome> {
    if (this.#closed) return "failed";
    this.#logPacket("->", packet);
    try {
      await this.#writer.write(packet);
      return "sent";
    } catch (error) {
      if (
        error instanceof MqttError &&
        error.reasonCode === ReasonCode.PacketTooLarge
      ) {
        this.#options.log(`${this.#label}: not sent: ${error.message}`);
        return "too large";
      }
      if (!this.#closed) {
        this.#options.log(`${this.#label}: write failed: ${error}`);
        this.#finish();
      }
      return "failed";
    }
  }

  /** The PUBLISH for one delivery, in this connection's protocol version. */
  #toPublish(
    delivery: Delivery,
    packetId: number | undefined,
    dup: boolean,
  ): PublishPacket {
    const { message } = delivery;
    const packet: PublishPacket = {
      type: "publish",
      topic: message.topic,
      payload: message.payload,
      qos: delivery.qos,
      retain: delivery.retain,
      dup,
    };
    if (packetId !== undefined) packet.packetId = packetId;
    // MQTT 3.1 and 3.1.1 have no properties: their subscribers get topic and payload.
    if (this.#version !== 5) return packet;
    if (message.payloadFormatIndicator !== undefined) {
      packet.payloadFormatIndicator = message.payloadFormatIndicator;
    }
    if (message.expiresAt !== undefined) {
      // What is left of the lifetime [MQTT-3.3.2-6].
      packet.messageExpiryInterval = Math.max(
        0,
        Math.ceil((message.expiresAt - Date.now()) / 1000),
      );
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
    if (delivery.subscriptionIdentifiers.length > 0) {
      packet.subscriptionIdentifiers = delivery.subscriptionIdentifiers;
    }
    return packet;
  }

  /** `{ reasonCode }` in MQTT 5.0; nothing in 3.1.1, whose acknowledgements carry no reason code. */
  #v5Code(reasonCode: number): { reasonCode?: number } {
    return this.#version === 5 ? { reasonCode } : {};
  }

  #logPacket(direction: "<-" | "->", packet: Packet): void {
    if (!this.#options.verbose) return;
    this.#options.log(
      `${this.#label} ${direction} ${formatPacket(packet, this.#version)}`,
    );
  }
}
