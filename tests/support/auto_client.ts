/**
 * A test client that behaves as a client library does: it reads in the
 * background, acknowledges what it receives (PUBACK; PUBREC, then PUBCOMP on
 * PUBREL, delivering a QoS 2 message once), completes the flows of what it
 * publishes, and keeps what arrived for the test to look at — the
 * application messages, every packet, the broker's DISCONNECTs. Built on
 * {@linkcode TestClient}'s reader and writer, so the packets are checked by
 * the codec both ways.
 *
 * The black-box broker tests use it where the Eclipse Paho interoperability
 * tests use their client: the broker may interleave its packets in any
 * order the specification allows (mosquitto sends a subscriber its copy
 * before the PUBACK of the same message), which a strict `expect()` would
 * take for an error.
 *
 * `sync()` is how a test knows that the broker has done with what it was
 * sent, without sleeping: a PINGREQ on each connection given, in order, and
 * its PINGRESP. A broker answers a connection's packets in order, and sends
 * each subscriber what a PUBLISH routed to it before it reads the
 * publisher's next packet, so once the publisher's PINGRESP and then the
 * subscriber's have come back, every copy routed to the subscriber has
 * arrived.
 */

import type {
  ConnackPacket,
  DisconnectPacket,
  Packet,
  PacketType,
  PublishPacket,
  QoS,
  SubackPacket,
  Subscription,
  UnsubackPacket,
} from "../../mod.ts";
import { waitUntil, withTimeout } from "./net.ts";
import {
  type Address,
  type ConnectFields,
  type PacketOf,
  type PublishFields,
  publishPacket,
  TestClient,
} from "./test_client.ts";

/** A SUBSCRIBE's properties. */
export interface SubscribeProperties {
  subscriptionIdentifier?: number;
  userProperties?: [string, string][];
}

interface Waiter {
  resolve: (packet: Packet) => void;
  reject: (error: Error) => void;
}

export class AutoClient {
  /** The connection underneath (for raw sends). */
  readonly raw: TestClient;
  /** The CONNACK the broker answered with. */
  readonly connack: ConnackPacket;
  /** Application messages delivered: each QoS 2 message once; none while paused. */
  readonly messages: PublishPacket[] = [];
  /** Every packet received after the CONNACK, in order. */
  readonly received: Packet[] = [];
  /** The DISCONNECT packets the broker sent. */
  readonly disconnects: DisconnectPacket[] = [];
  /**
   * What the broker did that a client would not expect (an acknowledgement
   * nobody waits for, a read error other than the connection ending): a
   * test checks it is empty.
   */
  readonly surprises: string[] = [];
  /** Settles (never rejects) when the connection has ended, whoever ended it. */
  readonly closed: Promise<void>;
  #ended = false;
  #paused = false;
  /** Packet Identifiers of QoS 2 messages received and not yet released. */
  readonly #unreleased = new Set<number>();
  /** Acknowledgements awaited, by "type:packetId". */
  readonly #waiters = new Map<string, Waiter>();
  readonly #pings: Waiter[] = [];

  private constructor(raw: TestClient, connack: ConnackPacket) {
    this.raw = raw;
    this.connack = connack;
    this.closed = this.#dispatch();
  }

  /** Connects; the CONNACK is in `connack`, whatever its reason code. */
  static async connectRaw(
    address: Address,
    fields: ConnectFields = {},
  ): Promise<AutoClient> {
    const { client, connack } = await TestClient.connectRaw(address, fields);
    return new AutoClient(client, connack);
  }

  /** Connects and checks the broker accepted (CONNACK 0). */
  static async connect(
    address: Address,
    fields: ConnectFields = {},
  ): Promise<AutoClient> {
    const client = await AutoClient.connectRaw(address, fields);
    if (client.connack.reasonCode !== 0) {
      client.close();
      throw new Error(
        `CONNACK reason code 0x${client.connack.reasonCode.toString(16)}`,
      );
    }
    return client;
  }

  /** Whether the connection has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Stops acknowledging and delivering incoming messages (as Paho's `pause()`). */
  pause(): void {
    this.#paused = true;
  }

  /** SUBSCRIBE (QoS 2 for a plain filter) and its SUBACK. */
  async subscribe(
    subscriptions: string | string[] | Subscription[],
    properties: SubscribeProperties = {},
  ): Promise<SubackPacket> {
    const list: Subscription[] = typeof subscriptions === "string"
      ? [{ topicFilter: subscriptions, qos: 2 as QoS }]
      : subscriptions.map((s) =>
        typeof s === "string" ? { topicFilter: s, qos: 2 as QoS } : s
      );
    const packetId = this.raw.nextPacketId();
    const suback = this.#await("suback", packetId);
    await this.raw.send({
      type: "subscribe",
      packetId,
      subscriptions: list,
      ...properties,
    });
    return await suback;
  }

  /** UNSUBSCRIBE and its UNSUBACK. */
  async unsubscribe(topicFilters: string[]): Promise<UnsubackPacket> {
    const packetId = this.raw.nextPacketId();
    const unsuback = this.#await("unsuback", packetId);
    await this.raw.send({ type: "unsubscribe", packetId, topicFilters });
    return await unsuback;
  }

  /**
   * Publishes and completes the QoS flow: PUBACK, or PUBREC then PUBREL
   * then PUBCOMP (a PUBREC with a failure code ends it). Returns the
   * broker's acknowledgements.
   */
  async publish(fields: PublishFields): Promise<Packet[]> {
    const packet = publishPacket(fields);
    if (packet.qos === 0) {
      await this.raw.send(packet);
      return [];
    }
    const packetId = packet.packetId ??= this.raw.nextPacketId();
    if (packet.qos === 1) {
      const puback = this.#await("puback", packetId);
      await this.raw.send(packet);
      return [await puback];
    }
    const pubrec = this.#await("pubrec", packetId);
    await this.raw.send(packet);
    const received = await pubrec;
    if ((received.reasonCode ?? 0) >= 0x80) return [received];
    const pubcomp = this.#await("pubcomp", packetId);
    await this.raw.send({ type: "pubrel", packetId });
    return [received, await pubcomp];
  }

  /** PINGREQ; resolves with the milliseconds until its PINGRESP. */
  async ping(ms = 5_000): Promise<number> {
    const started = performance.now();
    const pong = new Promise<Packet>((resolve, reject) =>
      this.#pings.push({ resolve, reject })
    );
    await this.raw.send({ type: "pingreq" });
    await withTimeout(pong, "a PINGRESP", ms);
    return performance.now() - started;
  }

  /** Waits until `count` application messages have been delivered; returns them all. */
  async waitForMessages(count: number, ms = 5_000): Promise<PublishPacket[]> {
    await waitUntil(
      () => this.messages.length >= count || this.#ended,
      `${count} messages (got ${this.messages.length})`,
      ms,
    );
    if (this.messages.length < count) {
      throw new Error(
        `the connection ended after ${this.messages.length} of ${count} messages`,
      );
    }
    return this.messages;
  }

  /** Waits until the broker closes the connection. */
  async waitClosed(ms = 5_000): Promise<void> {
    await withTimeout(this.closed, "the broker to close the connection", ms);
  }

  /** DISCONNECT (with the fields given), then close the connection. */
  async disconnect(
    fields: Omit<PacketOf<"disconnect">, "type"> = {},
  ): Promise<void> {
    if (!this.#ended) {
      try {
        await this.raw.send({ type: "disconnect", ...fields });
      } catch {
        // the broker closed first
      }
    }
    this.close();
    await this.closed;
  }

  /** Drops the connection without DISCONNECT (as Paho's `terminate()`). */
  close(): void {
    this.raw.close();
  }

  /** The acknowledgement of type `type` for `packetId`, when it comes. */
  #await<T extends PacketType>(
    type: T,
    packetId: number,
  ): Promise<PacketOf<T>> {
    if (this.#ended) {
      return Promise.reject(new Error("the connection has ended"));
    }
    const promise = new Promise<PacketOf<T>>((resolve, reject) =>
      this.#waiters.set(`${type}:${packetId}`, {
        resolve: (packet) => resolve(packet as PacketOf<T>),
        reject,
      })
    );
    // Awaited by the caller once its send is done; if the send fails
    // first, the rejection must not go unhandled meanwhile.
    promise.catch(() => {});
    return promise;
  }

  /** Reads every packet until the connection ends, answering as a client library does. */
  async #dispatch(): Promise<void> {
    try {
      while (true) {
        const packet = await this.raw.reader.read();
        if (packet === undefined) break;
        this.received.push(packet);
        await this.#handle(packet);
      }
    } catch (error) {
      // A reset, or the socket closed by us, ends the connection; anything
      // else is worth a look.
      if (
        !(error instanceof Deno.errors.ConnectionReset) &&
        !(error instanceof Deno.errors.BadResource) &&
        !(error instanceof Deno.errors.Interrupted)
      ) {
        this.surprises.push(`read failed: ${error}`);
      }
    } finally {
      this.#ended = true;
      this.raw.close();
      const ended = new Error("the connection has ended");
      for (const waiter of this.#waiters.values()) waiter.reject(ended);
      this.#waiters.clear();
      for (const waiter of this.#pings.splice(0)) waiter.reject(ended);
    }
  }

  async #handle(packet: Packet): Promise<void> {
    switch (packet.type) {
      case "publish":
        return await this.#onPublish(packet);
      case "pubrel":
        if (this.#paused) return;
        this.#unreleased.delete(packet.packetId);
        return await this.#send({ type: "pubcomp", packetId: packet.packetId });
      case "pingresp":
        this.#pings.shift()?.resolve(packet);
        return;
      case "disconnect":
        this.disconnects.push(packet);
        return;
      case "puback":
      case "pubrec":
      case "pubcomp":
      case "suback":
      case "unsuback": {
        const key = `${packet.type}:${packet.packetId}`;
        const waiter = this.#waiters.get(key);
        if (waiter === undefined) {
          this.surprises.push(`${key.toUpperCase()} that nothing awaits`);
          return;
        }
        this.#waiters.delete(key);
        waiter.resolve(packet);
        return;
      }
    }
  }

  async #onPublish(packet: PublishPacket): Promise<void> {
    if (this.#paused) return;
    if (packet.qos === 0) {
      this.messages.push(packet);
    } else if (packet.qos === 1) {
      this.messages.push(packet);
      await this.#send({ type: "puback", packetId: packet.packetId! });
    } else {
      // Exactly once: a resent QoS 2 PUBLISH before its PUBREL is the same message.
      if (!this.#unreleased.has(packet.packetId!)) {
        this.#unreleased.add(packet.packetId!);
        this.messages.push(packet);
      }
      await this.#send({ type: "pubrec", packetId: packet.packetId! });
    }
  }

  async #send(packet: Packet): Promise<void> {
    try {
      await this.raw.send(packet);
    } catch {
      // The connection ended meanwhile; the read loop sees it too.
    }
  }
}

/**
 * Waits until the broker has handled everything sent so far on each
 * connection, in the order given: put publishers first and subscribers
 * last (see the module's comment).
 */
export async function sync(...clients: AutoClient[]): Promise<void> {
  for (const client of clients) await client.ping();
}
