/**
 * A small MQTT client on `PacketReader` and `PacketWriter`, over TCP or
 * WebSocket, MQTT 5.0 or 3.1.1. As a program it subscribes, publishes and
 * prints what arrives:
 *
 * ```sh
 * deno run -A examples/client.ts --sub 'sensors/#'                 # print messages until Ctrl-C
 * deno run -A examples/client.ts --pub sensors/1 --message 21.5 --qos 1
 * deno run -A examples/client.ts --ws ws://127.0.0.1:8080 --mqtt 4 --sub '#' --verbose
 * ```
 *
 * Flags: `--host` (127.0.0.1), `--port` (1883), `--ws URL` (instead of TCP),
 * `--mqtt 4|5` (5), `--id CLIENT_ID`, `--sub FILTER` (repeatable), `--pub
 * TOPIC`, `--message TEXT`, `--qos 0|1|2`, `--retain`, `--count N` (exit
 * after N messages), `--verbose` (print every packet).
 *
 * As a module it exports {@linkcode Client}, used by the demo.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import {
  type ConnackPacket,
  type ConnectPacket,
  type MessageProperties,
  MqttError,
  type Packet,
  PacketReader,
  PacketWriter,
  type ProtocolVersion,
  type PublishPacket,
  type QoS,
  type SubackPacket,
  type Subscription,
  type UnsubackPacket,
  webSocketStreams,
  type Will,
} from "../mod.ts";
import { formatPacket } from "./format_packet.ts";

/** Options of {@linkcode Client.connect}. */
export interface ClientOptions {
  /** Broker host for TCP (default "127.0.0.1"). */
  host?: string;
  /** Broker port for TCP (default 1883). */
  port?: number;
  /** A `ws://` URL: connect over WebSocket instead of TCP. */
  ws?: string;
  /** 5 for MQTT 5.0 (default), 4 for MQTT 3.1.1. */
  protocolVersion?: ProtocolVersion;
  /** Client Identifier (default empty: the broker assigns one in 5.0). */
  clientId?: string;
  /** Clean Start (default true). */
  cleanStart?: boolean;
  /** Keep Alive in seconds (default 60; 0 turns it off). */
  keepAlive?: number;
  /** MQTT 5.0 Session Expiry Interval. */
  sessionExpiryInterval?: number;
  /** The Will message. */
  will?: Will;
  /** Called with every packet that crosses the wire, before it is handled or after it is written. */
  onPacket?: (direction: "in" | "out", packet: Packet) => void;
}

/** Options of {@linkcode Client.publish}. */
export interface PublishOptions extends MessageProperties {
  qos?: QoS;
  retain?: boolean;
}

/** An MQTT client connection: publish, subscribe, and read messages. */
export class Client {
  /** The broker's answer to our CONNECT. */
  readonly connack: ConnackPacket;
  /** Our Client Identifier: the one we gave, or the one the broker assigned. */
  readonly clientId: string;
  /** The application messages received, in order; ends when the connection closes. */
  readonly messages: ReadableStream<PublishPacket>;
  /** Resolves when the connection has closed. */
  readonly closed: Promise<void>;
  /** The DISCONNECT the broker sent, if it sent one. */
  serverDisconnect: Packet | undefined;

  readonly #reader: PacketReader;
  readonly #writer: PacketWriter;
  readonly #close: () => void;
  readonly #onPacket: ClientOptions["onPacket"];
  readonly #pending = new Map<number, PromiseWithResolvers<Packet>>();
  /** Packet Identifiers of QoS 2 messages received and not yet released. */
  readonly #received = new Set<number>();
  #messages!: ReadableStreamDefaultController<PublishPacket>;
  #nextId = 0;
  #ping: ReturnType<typeof setInterval> | undefined;
  #done = false;

  private constructor(
    reader: PacketReader,
    writer: PacketWriter,
    close: () => void,
    connack: ConnackPacket,
    clientId: string,
    options: ClientOptions,
  ) {
    this.#reader = reader;
    this.#writer = writer;
    this.#close = close;
    this.#onPacket = options.onPacket;
    this.connack = connack;
    this.clientId = clientId;
    this.messages = new ReadableStream({
      start: (controller) => {
        this.#messages = controller;
      },
    });
    const keepAlive = connack.serverKeepAlive ?? options.keepAlive ?? 60;
    if (keepAlive > 0) {
      this.#ping = setInterval(
        () => this.#send({ type: "pingreq" }).catch(() => {}),
        keepAlive * 1000,
      );
    }
    this.closed = this.#run();
  }

  /**
   * Connects, sends CONNECT and waits for CONNACK.
   *
   * @throws {MqttError} When the broker refuses the connection (with its reason code).
   */
  static async connect(options: ClientOptions = {}): Promise<Client> {
    const version = options.protocolVersion ?? 5;
    let readable: ReadableStream<Uint8Array>;
    let writable: WritableStream<Uint8Array>;
    let close: () => void;
    if (options.ws !== undefined) {
      const socket = new WebSocket(options.ws, "mqtt");
      ({ readable, writable } = webSocketStreams(socket));
      close = () => socket.close();
    } else {
      const conn = await Deno.connect({
        hostname: options.host ?? "127.0.0.1",
        port: options.port ?? 1883,
      });
      conn.setNoDelay(true);
      ({ readable, writable } = conn);
      close = () => {
        try {
          conn.close();
        } catch {
          // already closed
        }
      };
    }
    // A client must tell its reader the version: CONNACK does not carry it.
    const reader = new PacketReader(readable, { protocolVersion: version });
    const writer = new PacketWriter(writable, { protocolVersion: version });
    const connect: ConnectPacket = {
      type: "connect",
      protocolVersion: version,
      clientId: options.clientId ?? "",
      cleanStart: options.cleanStart ?? true,
      keepAlive: options.keepAlive ?? 60,
    };
    if (options.will !== undefined) connect.will = options.will;
    if (options.sessionExpiryInterval !== undefined) {
      connect.sessionExpiryInterval = options.sessionExpiryInterval;
    }
    try {
      options.onPacket?.("out", connect);
      await writer.write(connect);
      const connack = await reader.read();
      if (connack === undefined || connack.type !== "connack") {
        throw new MqttError(
          `expected CONNACK, got ${connack?.type ?? "end of stream"}`,
          0x82,
        );
      }
      options.onPacket?.("in", connack);
      if (connack.reasonCode !== 0) {
        throw new MqttError(
          `connection refused: reason code 0x${
            connack.reasonCode.toString(16)
          }`,
          version === 5 ? connack.reasonCode : 0x80,
        );
      }
      if (connack.maximumPacketSize !== undefined) {
        writer.maximumPacketSize = connack.maximumPacketSize;
      }
      const clientId = connack.assignedClientIdentifier ?? connect.clientId;
      return new Client(reader, writer, close, connack, clientId, options);
    } catch (error) {
      close();
      throw error;
    }
  }

  /**
   * Publishes a message; resolves once it is written (QoS 0), acknowledged
   * by PUBACK (QoS 1) or completed by PUBCOMP (QoS 2).
   *
   * @throws {MqttError} When the broker answers with a failure reason code.
   */
  async publish(
    topic: string,
    payload: string | Uint8Array,
    options: PublishOptions = {},
  ): Promise<void> {
    const { qos = 0, retain = false, ...properties } = options;
    const packet: PublishPacket = {
      type: "publish",
      topic,
      payload: typeof payload === "string"
        ? new TextEncoder().encode(payload)
        : payload,
      qos,
      retain,
      dup: false,
      ...properties,
    };
    if (qos === 0) return await this.#send(packet);
    packet.packetId = this.#packetId();
    const answer = await this.#request(packet);
    const reasonCode = "reasonCode" in answer ? answer.reasonCode ?? 0 : 0;
    if (reasonCode >= 0x80) {
      throw new MqttError(
        `PUBLISH to ${topic} refused: reason code 0x${reasonCode.toString(16)}`,
        reasonCode,
      );
    }
  }

  /** Subscribes; resolves with the SUBACK. */
  async subscribe(
    subscriptions: string | Subscription[],
    options: { subscriptionIdentifier?: number } = {},
  ): Promise<SubackPacket> {
    const list = typeof subscriptions === "string"
      ? [{ topicFilter: subscriptions, qos: 2 as QoS }]
      : subscriptions;
    return await this.#request({
      type: "subscribe",
      packetId: this.#packetId(),
      subscriptions: list,
      ...options,
    }) as SubackPacket;
  }

  /** Unsubscribes; resolves with the UNSUBACK. */
  async unsubscribe(topicFilters: string[]): Promise<UnsubackPacket> {
    return await this.#request({
      type: "unsubscribe",
      packetId: this.#packetId(),
      topicFilters,
    }) as UnsubackPacket;
  }

  /** Sends DISCONNECT (0x00 unless told otherwise) and closes the connection. */
  async disconnect(reasonCode = 0): Promise<void> {
    if (!this.#done) {
      await this.#send(
        this.#writer.protocolVersion === 5 && reasonCode !== 0
          ? { type: "disconnect", reasonCode }
          : { type: "disconnect" },
      ).catch(() => {});
    }
    this.#shutdown();
    await this.closed;
  }

  /** Drops the connection without DISCONNECT (the broker publishes our Will). */
  async abort(): Promise<void> {
    this.#shutdown();
    await this.closed;
  }

  async #run(): Promise<void> {
    try {
      for await (const packet of this.#reader) {
        this.#onPacket?.("in", packet);
        await this.#handle(packet);
      }
    } catch (error) {
      if (!this.#done) this.#messages.error(error);
    } finally {
      this.#shutdown();
    }
  }

  async #handle(packet: Packet): Promise<void> {
    switch (packet.type) {
      case "publish":
        if (packet.qos === 1) {
          this.#messages.enqueue(packet);
          await this.#send({ type: "puback", packetId: packet.packetId! });
        } else if (packet.qos === 2) {
          // Deliver once even if the broker resends it before PUBREL [MQTT-4.3.3-9].
          if (!this.#received.has(packet.packetId!)) {
            this.#received.add(packet.packetId!);
            this.#messages.enqueue(packet);
          }
          await this.#send({ type: "pubrec", packetId: packet.packetId! });
        } else {
          this.#messages.enqueue(packet);
        }
        return;
      case "pubrel":
        this.#received.delete(packet.packetId);
        await this.#send({ type: "pubcomp", packetId: packet.packetId });
        return;
      case "pubrec":
        if ((packet.reasonCode ?? 0) >= 0x80) return this.#answer(packet);
        await this.#send({ type: "pubrel", packetId: packet.packetId });
        return;
      case "puback":
      case "pubcomp":
      case "suback":
      case "unsuback":
        return this.#answer(packet);
      case "disconnect":
        this.serverDisconnect = packet;
        this.#shutdown();
        return;
      case "pingresp":
        return;
      default:
        throw new MqttError(
          `${packet.type.toUpperCase()} is not a packet a server sends`,
          0x82,
        );
    }
  }

  #answer(packet: Packet & { packetId: number }): void {
    const pending = this.#pending.get(packet.packetId);
    this.#pending.delete(packet.packetId);
    pending?.resolve(packet);
  }

  #request(packet: Packet & { packetId?: number }): Promise<Packet> {
    const pending = Promise.withResolvers<Packet>();
    this.#pending.set(packet.packetId!, pending);
    this.#send(packet).catch((error) => {
      this.#pending.delete(packet.packetId!);
      pending.reject(error);
    });
    return pending.promise;
  }

  async #send(packet: Packet): Promise<void> {
    if (this.#done) {
      throw new MqttError("the connection is closed", 0x80);
    }
    this.#onPacket?.("out", packet);
    await this.#writer.write(packet);
  }

  #packetId(): number {
    do {
      this.#nextId = this.#nextId % 0xffff + 1;
    } while (this.#pending.has(this.#nextId));
    return this.#nextId;
  }

  #shutdown(): void {
    if (this.#done) return;
    this.#done = true;
    clearInterval(this.#ping);
    this.#close();
    try {
      this.#messages.close();
    } catch {
      // already errored
    }
    for (const pending of this.#pending.values()) {
      pending.reject(new MqttError("the connection closed", 0x80));
    }
    this.#pending.clear();
  }
}

async function main(): Promise<void> {
  const flags = parseArgs(Deno.args, {
    string: [
      "host",
      "port",
      "ws",
      "mqtt",
      "id",
      "sub",
      "pub",
      "message",
      "qos",
      "count",
    ],
    boolean: ["retain", "verbose", "help"],
    collect: ["sub"],
    default: { host: "127.0.0.1", port: "1883", mqtt: "5", qos: "0" },
  });
  if (flags.help || (flags.sub.length === 0 && flags.pub === undefined)) {
    console.log(
      "usage: deno run -A examples/client.ts [--host H] [--port P | --ws URL] [--mqtt 4|5] [--id ID]\n" +
        "         [--sub FILTER]... [--pub TOPIC --message TEXT] [--qos 0|1|2] [--retain] [--count N] [--verbose]",
    );
    Deno.exit(flags.help ? 0 : 2);
  }
  const version = Number(flags.mqtt);
  const qos = Number(flags.qos);
  if ((version !== 4 && version !== 5) || ![0, 1, 2].includes(qos)) {
    console.error("--mqtt must be 4 or 5 and --qos 0, 1 or 2");
    Deno.exit(2);
  }
  const client = await Client.connect({
    host: flags.host,
    port: Number(flags.port),
    ws: flags.ws,
    protocolVersion: version,
    clientId: flags.id,
    onPacket: flags.verbose
      ? (direction, packet) =>
        console.log(
          `${direction === "in" ? "<-" : "->"} ${
            formatPacket(packet, version)
          }`,
        )
      : undefined,
  });
  // A 3.1.1 broker does not tell the identifier it assigned to an empty one.
  console.log(
    `connected${client.clientId === "" ? "" : ` as ${client.clientId}`}`,
  );
  for (const filter of flags.sub) {
    const suback = await client.subscribe([{
      topicFilter: filter,
      qos: qos as QoS,
    }]);
    console.log(`subscribed to ${filter}: ${suback.reasonCodes.join(", ")}`);
  }
  if (flags.pub !== undefined) {
    await client.publish(flags.pub, flags.message ?? "", {
      qos: qos as QoS,
      retain: flags.retain,
    });
    console.log(`published to ${flags.pub}`);
  }
  if (flags.sub.length === 0) return await client.disconnect();

  Deno.addSignalListener("SIGINT", () => client.disconnect());
  const count = flags.count === undefined ? Infinity : Number(flags.count);
  let received = 0;
  for await (const message of client.messages) {
    // With --verbose every packet is printed already.
    if (!flags.verbose) console.log(formatPacket(message, version));
    if (++received >= count) break;
  }
  await client.disconnect();
}

if (import.meta.main) await main();
