/**
 * A packet-level MQTT client for tests, on `PacketReader`/`PacketWriter`
 * over `Deno.connect` (or a WebSocket): every packet is sent and checked
 * explicitly, so a test sees the exact flows on the wire.
 */

import { assertEquals } from "@std/assert";
import {
  type ConnackPacket,
  type ConnectPacket,
  type Packet,
  PacketReader,
  type PacketType,
  PacketWriter,
  type ProtocolVersion,
  type PublishPacket,
  type QoS,
  type SubackPacket,
  type Subscription,
  webSocketStreams,
} from "../../mod.ts";

import { withTimeout } from "./net.ts";

/** The packet of a given type. */
export type PacketOf<T extends PacketType> = Extract<Packet, { type: T }>;

/** Fields of a CONNECT; `protocolVersion` 5 and a clean start unless given. */
export type ConnectFields = Partial<Omit<ConnectPacket, "type">>;

/** Where to connect: a TCP port on 127.0.0.1, or a `ws://` URL. */
export type Address = number | string;

export class TestClient {
  readonly reader: PacketReader;
  readonly writer: PacketWriter;
  readonly version: ProtocolVersion;
  readonly #close: () => void;
  readonly #raw: WritableStreamDefaultWriter<Uint8Array>;
  #lastPacketId = 0;

  private constructor(
    readable: ReadableStream<Uint8Array>,
    writable: WritableStream<Uint8Array>,
    close: () => void,
    version: ProtocolVersion,
  ) {
    this.version = version;
    this.reader = new PacketReader(readable, { protocolVersion: version });
    // The packet writer goes through a sink of ours, so that a test can
    // also write raw bytes to the same connection.
    const raw = this.#raw = writable.getWriter();
    const sink = new WritableStream<Uint8Array>({
      write: (chunk) => raw.write(chunk),
      close: () => raw.close(),
      abort: (reason) => raw.abort(reason),
    });
    this.writer = new PacketWriter(sink, { protocolVersion: version });
    this.#close = close;
  }

  /** Opens the network connection only: nothing is sent. */
  static async open(
    address: Address,
    version: ProtocolVersion = 5,
  ): Promise<TestClient> {
    if (typeof address === "string") {
      const socket = new WebSocket(address, "mqtt");
      const { readable, writable } = webSocketStreams(socket);
      return new TestClient(readable, writable, () => {
        if (socket.readyState <= WebSocket.OPEN) socket.close();
      }, version);
    }
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: address });
    return new TestClient(conn.readable, conn.writable, () => {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }, version);
  }

  /** Connects and returns the client and the broker's CONNACK (whatever its reason code). */
  static async connectRaw(
    address: Address,
    fields: ConnectFields = {},
  ): Promise<{ client: TestClient; connack: ConnackPacket }> {
    const connect: ConnectPacket = {
      type: "connect",
      protocolVersion: 5,
      clientId: "",
      cleanStart: true,
      keepAlive: 0,
      ...fields,
    };
    const client = await TestClient.open(address, connect.protocolVersion);
    try {
      await client.send(connect);
      const connack = await client.expect("connack");
      return { client, connack };
    } catch (error) {
      client.close();
      throw error;
    }
  }

  /** Connects and checks that the broker accepted. */
  static async connect(
    address: Address,
    fields: ConnectFields = {},
  ): Promise<TestClient> {
    const { client, connack } = await TestClient.connectRaw(address, fields);
    assertEquals(connack.reasonCode, 0, "CONNACK reason code");
    return client;
  }

  send(packet: Packet): Promise<void> {
    return this.writer.write(packet);
  }

  /** Writes raw bytes, around the writer's checks (for malformed input). */
  sendBytes(bytes: Uint8Array): Promise<void> {
    return this.#raw.write(bytes);
  }

  /** The next packet; fails on timeout or at the end of the stream. */
  async next(ms = 5_000): Promise<Packet> {
    const packet = await withTimeout(this.reader.read(), "a packet", ms);
    if (packet === undefined) throw new Error("the connection was closed");
    return packet;
  }

  /** The next packet, or `undefined` when the broker closes the connection. */
  async nextOrEnd(ms = 5_000): Promise<Packet | undefined> {
    try {
      return await withTimeout(this.reader.read(), "a packet or the end", ms);
    } catch (error) {
      // A reset connection counts as closed.
      if (error instanceof Deno.errors.ConnectionReset) return undefined;
      throw error;
    }
  }

  /** The next packet, which must be of type `type`. */
  async expect<T extends PacketType>(
    type: T,
    ms?: number,
  ): Promise<PacketOf<T>> {
    const packet = await this.next(ms);
    assertEquals(packet.type, type, `expected ${type}, got ${packet.type}`);
    return packet as PacketOf<T>;
  }

  /** Reads until the broker closes the connection; returns what came before. */
  async untilClosed(ms = 5_000): Promise<Packet[]> {
    const packets: Packet[] = [];
    while (true) {
      const packet = await this.nextOrEnd(ms);
      if (packet === undefined) return packets;
      packets.push(packet);
    }
  }

  nextPacketId(): number {
    this.#lastPacketId = this.#lastPacketId % 0xffff + 1;
    return this.#lastPacketId;
  }

  /** SUBSCRIBE and its SUBACK. */
  async subscribe(
    subscriptions: string | Subscription[],
    extra: { subscriptionIdentifier?: number } = {},
  ): Promise<SubackPacket> {
    const list = typeof subscriptions === "string"
      ? [{ topicFilter: subscriptions, qos: 2 as QoS }]
      : subscriptions;
    const packetId = this.nextPacketId();
    await this.send({
      type: "subscribe",
      packetId,
      subscriptions: list,
      ...extra,
    });
    const suback = await this.expect("suback");
    assertEquals(suback.packetId, packetId);
    return suback;
  }

  /**
   * Publishes and completes the QoS flow, checking each answer: PUBACK, or
   * PUBREC then PUBREL then PUBCOMP. Returns the broker's acknowledgements.
   */
  async publish(fields: PublishFields): Promise<Packet[]> {
    const packet = publishPacket(fields);
    if (packet.qos > 0) packet.packetId ??= this.nextPacketId();
    await this.send(packet);
    if (packet.qos === 0) return [];
    if (packet.qos === 1) {
      const puback = await this.expect("puback");
      assertEquals(puback.packetId, packet.packetId);
      return [puback];
    }
    const pubrec = await this.expect("pubrec");
    assertEquals(pubrec.packetId, packet.packetId);
    await this.send({ type: "pubrel", packetId: packet.packetId! });
    const pubcomp = await this.expect("pubcomp");
    assertEquals(pubcomp.packetId, packet.packetId);
    return [pubrec, pubcomp];
  }

  /** Receives one PUBLISH and acknowledges it completely (PUBACK, or PUBREC/PUBREL/PUBCOMP). */
  async receive(ms?: number): Promise<PublishPacket> {
    const publish = await this.expect("publish", ms);
    if (publish.qos === 1) {
      await this.send({ type: "puback", packetId: publish.packetId! });
    } else if (publish.qos === 2) {
      await this.send({ type: "pubrec", packetId: publish.packetId! });
      const pubrel = await this.expect("pubrel");
      assertEquals(pubrel.packetId, publish.packetId);
      await this.send({ type: "pubcomp", packetId: publish.packetId! });
    }
    return publish;
  }

  /** DISCONNECT (Normal disconnection unless told otherwise), then close. */
  async disconnect(fields: Omit<PacketOf<"disconnect">, "type"> = {}) {
    await this.send({ type: "disconnect", ...fields });
    this.close();
  }

  /** Drops the connection without DISCONNECT. */
  close(): void {
    this.#close();
  }
}

/** What a PUBLISH needs besides its topic; the rest has defaults. */
export type PublishFields = Partial<Omit<PublishPacket, "type">> & {
  topic: string;
};

/** A PUBLISH of the fields given: QoS 0, empty payload, no flags unless told. */
export function publishPacket(fields: PublishFields): PublishPacket {
  return {
    type: "publish",
    payload: new Uint8Array(),
    qos: 0,
    retain: false,
    dup: false,
    ...fields,
  };
}

/** Text as bytes. */
export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Bytes as text. */
export function text(payload: Uint8Array): string {
  return new TextDecoder().decode(payload);
}
