/**
 * The fast MQTT 5.0 client the whole-stack bench drives both brokers with:
 * PacketReader and PacketWriter over `Deno.connect`, one read loop that
 * answers as it goes (PUBACK, PUBREC/PUBCOMP, PUBREL), and writes paced by
 * `writer.ready` instead of awaited one by one, so that packets leave in
 * batches. Nothing else: no reconnection, no session kept.
 *
 * @module
 */

import {
  type ConnackPacket,
  type ConnectPacket,
  type Packet,
  PacketReader,
  PacketWriter,
  type PublishPacket,
  type QoS,
} from "../mod.ts";

/** What a {@linkcode BenchClient} needs in its CONNECT besides a client id. */
export type BenchConnect = Partial<Omit<ConnectPacket, "type" | "clientId">>;

export class BenchClient {
  readonly connack: ConnackPacket;
  /** Application messages received. */
  received = 0;
  readonly #conn: Deno.TcpConn;
  readonly #reader: PacketReader;
  readonly #writer: PacketWriter;
  /** Resolved when a QoS 1 or 2 publication is complete, by Packet Identifier. */
  readonly #inFlight = new Map<number, () => void>();
  readonly #waiters: { count: number; resolve: () => void }[] = [];
  #onPacket: ((packet: Packet) => void) | undefined;
  #lastPacketId = 0;
  #failure: unknown;
  readonly #done: Promise<void>;

  private constructor(
    conn: Deno.TcpConn,
    reader: PacketReader,
    writer: PacketWriter,
    connack: ConnackPacket,
  ) {
    this.#conn = conn;
    this.#reader = reader;
    this.#writer = writer;
    this.connack = connack;
    this.#done = this.#readLoop();
  }

  /** Connects with MQTT 5.0; fails unless the CONNACK says Success. */
  static async connect(
    port: number,
    clientId: string,
    fields: BenchConnect = {},
  ): Promise<BenchClient> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    const reader = new PacketReader(conn.readable);
    const writer = new PacketWriter(conn.writable);
    await writer.write({
      type: "connect",
      protocolVersion: 5,
      clientId,
      cleanStart: true,
      keepAlive: 0,
      ...fields,
    });
    const connack = await reader.read();
    if (connack?.type !== "connack" || connack.reasonCode !== 0) {
      conn.close();
      throw new Error(`${clientId}: not connected: ${JSON.stringify(connack)}`);
    }
    return new BenchClient(conn, reader, writer, connack);
  }

  /** The broker's Receive Maximum: how many QoS 1 and 2 messages we may have in flight. */
  get sendQuota(): number {
    return this.connack.receiveMaximum ?? 65_535;
  }

  /** SUBSCRIBE to one filter; resolves at its SUBACK. */
  async subscribe(topicFilter: string, qos: QoS): Promise<void> {
    const packetId = this.#nextPacketId();
    const suback = new Promise<void>((resolve) =>
      this.#onPacket = (packet) => {
        if (packet.type === "suback" && packet.packetId === packetId) {
          this.#onPacket = undefined;
          resolve();
        }
      }
    );
    await this.#writer.write({
      type: "subscribe",
      packetId,
      subscriptions: [{ topicFilter, qos }],
    });
    await suback;
  }

  /**
   * Publishes `count` messages, keeping at most `window` QoS 1 or 2
   * publications in flight; `pace` may hold the next one back (a QoS 0
   * publisher waiting for its subscriber). Resolves when every publication
   * is complete (QoS 0: written).
   */
  async publish(
    count: number,
    template: Omit<PublishPacket, "type" | "qos" | "dup" | "packetId">,
    qos: QoS,
    window: number,
    pace?: (sent: number) => Promise<void> | undefined,
  ): Promise<void> {
    let slots = window;
    let freed: (() => void) | undefined;
    for (let i = 0; i < count; i++) {
      await pace?.(i);
      const packet: PublishPacket = {
        type: "publish",
        ...template,
        qos,
        dup: false,
      };
      if (qos > 0) {
        while (slots === 0) await new Promise<void>((r) => freed = r);
        slots--;
        const packetId = packet.packetId = this.#nextPacketId();
        this.#inFlight.set(packetId, () => {
          slots++;
          freed?.();
          freed = undefined;
        });
      }
      await this.#writer.ready;
      this.#write(packet);
    }
    while (slots < window && qos > 0) {
      await new Promise<void>((r) => freed = r);
    }
    await this.#writer.ready;
  }

  /** Resolves once `count` application messages have been received in all. */
  receivedAtLeast(count: number): Promise<void> {
    if (this.received >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  /** DISCONNECT, then close; resolves when the read loop has ended. */
  async close(): Promise<void> {
    try {
      await this.#writer.write({ type: "disconnect" });
      await this.#writer.close();
    } catch {
      // already closed
    }
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    await this.#done;
    if (this.#failure !== undefined) throw this.#failure;
  }

  #nextPacketId(): number {
    do {
      this.#lastPacketId = this.#lastPacketId % 0xffff + 1;
    } while (this.#inFlight.has(this.#lastPacketId));
    return this.#lastPacketId;
  }

  #write(packet: Packet): void {
    this.#writer.write(packet).catch((error) => this.#failure ??= error);
  }

  async #readLoop(): Promise<void> {
    try {
      for await (const packet of this.#reader) {
        switch (packet.type) {
          case "publish":
            if (packet.qos === 1) {
              this.#write({ type: "puback", packetId: packet.packetId! });
            } else if (packet.qos === 2) {
              this.#write({ type: "pubrec", packetId: packet.packetId! });
            }
            this.received++;
            while (
              this.#waiters.length > 0 &&
              this.received >= this.#waiters[0].count
            ) {
              this.#waiters.shift()!.resolve();
            }
            break;
          case "pubrel":
            this.#write({ type: "pubcomp", packetId: packet.packetId });
            break;
          case "pubrec":
            this.#write({ type: "pubrel", packetId: packet.packetId });
            break;
          case "puback":
          case "pubcomp": {
            const complete = this.#inFlight.get(packet.packetId);
            this.#inFlight.delete(packet.packetId);
            complete?.();
            break;
          }
          default:
            this.#onPacket?.(packet);
        }
      }
    } catch (error) {
      if (
        !(error instanceof Deno.errors.BadResource) &&
        !(error instanceof Deno.errors.Interrupted) &&
        !(error instanceof Deno.errors.ConnectionReset)
      ) {
        this.#failure ??= error;
      }
    }
  }
}
