/**
 * An MQTT client made of a {@linkcode ClientSession} and I/O: it dials,
 * feeds the session what it reads and the time, writes what the session
 * gives, sets a timer for the session's next deadline, and connects again
 * when the connection is lost. Every rule of the protocol (packet
 * identifiers, QoS flows and their resending, Receive Maximum, Topic
 * Aliases, Maximum Packet Size, Keep Alive, session resumption) is the
 * session's.
 *
 * @module
 */

import {
  type ConnackPacket,
  type DisconnectPacket,
  type MessageProperties,
  MqttError,
  type Packet,
  PacketReader,
  PacketWriter,
  type PublishPacket,
  type QoS,
  type SubackPacket,
  type Subscription,
  type UnsubackPacket,
  type UserProperties,
} from "../../mod.ts";
import {
  type ClientEvent,
  ClientSession,
  type ClientSessionOptions,
  type ClientSessionSnapshot,
  type DisconnectedEvent,
  type PublishedEvent,
} from "../../src/entries/session.ts";
import { reconnectDelay, shouldReconnect } from "./reconnect.ts";
import {
  type Dial,
  dialTcp,
  dialWebSocket,
  type Transport,
} from "./transport.ts";

/** How long a closing connection may take to write its last packets (ms). */
const CLOSE_GRACE = 1_000;
const UNSPECIFIED_ERROR = 0x80;

/**
 * Options of a {@linkcode Client}: where to connect and how, and the
 * session's options (its CONNECT's contents and behaviour), passed to
 * {@linkcode ClientSession} as they are.
 */
export interface ClientOptions extends ClientSessionOptions {
  /** Broker host for TCP (default "127.0.0.1"). */
  host?: string;
  /** Broker port for TCP (default 1883). */
  port?: number;
  /** A `ws://` URL: connect over WebSocket instead of TCP. */
  ws?: string;
  /** Opens the connections instead (tests); `host`, `port` and `ws` are then unused. */
  dial?: Dial;
  /** Connect again after a lost connection (default true). */
  reconnect?: boolean;
  /**
   * At most this many received messages wait in {@linkcode Client.messages}
   * (default 1,000); past it the client stops reading from the network
   * until the application reads.
   */
  messageBuffer?: number;
  /** The session's clock: milliseconds, monotonic (default `performance.now`). */
  now?: () => number;
  /** A number in [0, 1) for the back-off's jitter (default `Math.random`). */
  random?: () => number;
  /**
   * A session saved by an earlier process (`ClientSession.snapshot()`):
   * the client goes on with it (`ClientSession.restore`) instead of a new
   * one. Its times are in the milliseconds of `now`: give a clock that
   * survives the restart (`Date.now`).
   */
  restore?: ClientSessionSnapshot;
  /**
   * Write-ahead: saves the state (the session's snapshot, and whatever the
   * application keeps with it) before the packets that follow from it are
   * written, so that a process killed at any moment restarts from a state
   * the broker has seen no more than (section 4.1). Called after the
   * session's outputs are drained, once per batch of packets: the packets
   * that the session gives while a save runs wait for the next one. A save
   * that fails (rejects) stops the client with nothing more written.
   */
  save?: (session: ClientSession) => Promise<void>;
  /** Every packet, as it is read ("in") or handed to the writer ("out"). */
  onPacket?: (direction: "in" | "out", packet: Packet) => void;
  /** Every event of the session, after the client has handled it. */
  onEvent?: (event: ClientEvent) => void;
  /** A connection failed or was lost, and the client connects again after `delay` ms. */
  onRetry?: (retry: Retry) => void;
}

/** Why and when a {@linkcode Client} connects again. */
export interface Retry {
  /** Milliseconds until the next attempt. */
  delay: number;
  /** Attempts in a row that did not reach a CONNACK. */
  failures: number;
  /** How the last connection ended, if it got as far as the session. */
  event?: DisconnectedEvent;
  /** Why dialling failed, if it did. */
  error?: unknown;
}

/** Options of {@linkcode Client.publish}: QoS, RETAIN, and MQTT 5.0 properties. */
export interface PublishOptions extends MessageProperties {
  /** QoS 0 (default), 1 or 2. */
  qos?: QoS;
  /** Whether the broker retains it (default false). */
  retain?: boolean;
}

/** What waits for the event that answers a command. */
interface Pending {
  resolve(event: ClientEvent): void;
  reject(error: MqttError): void;
}

/** One network connection, from dialling to closed. */
interface Connection {
  readonly reader: PacketReader;
  readonly writer: PacketWriter;
  /** Resolves once closing has started. */
  readonly closing: PromiseWithResolvers<void>;
  closed: boolean;
  /** Whether a CONNACK accepted it. */
  accepted: boolean;
}

/**
 * An MQTT client on a {@linkcode ClientSession}, over TCP or WebSocket,
 * that connects again by itself (back-off from 50 ms up to 1 s) and
 * resumes its session: unacknowledged messages are sent again and QoS 2
 * messages reach the application once. Commands may be given at any time;
 * while disconnected they wait for the next connection.
 *
 * @example Publish and subscribe
 * ```ts ignore
 * const client = await Client.connect({ port: 1883, clientId: "c1" });
 * await client.subscribe("sensors/#");
 * await client.publish("sensors/1", "21.5", { qos: 1 });
 * for await (const message of client.messages) console.log(message.topic);
 * ```
 */
export class Client {
  /** The session: all of the protocol's state. */
  readonly session: ClientSession;
  /**
   * The application messages received, in order; ends when the client
   * stops. A QoS 1 message may come twice (after a reconnection), a QoS 2
   * message never.
   */
  readonly messages: ReadableStream<PublishPacket>;
  /** Resolves at the first CONNACK; rejects if the client gives up before. */
  readonly ready: Promise<ConnackPacket>;
  /**
   * Resolves when the client has stopped for good (by `disconnect()`,
   * `abort()`, or giving up), with how its last connection ended.
   */
  readonly closed: Promise<DisconnectedEvent | undefined>;
  /** The latest CONNACK accepting a connection. */
  connack: ConnackPacket | undefined;

  readonly #options: ClientOptions;
  readonly #dial: Dial;
  readonly #now: () => number;
  readonly #pending = new Map<number, Pending>();
  readonly #ready = Promise.withResolvers<ConnackPacket>();
  #messageStream!: ReadableStreamDefaultController<PublishPacket>;
  #messagesWanted = true;
  /** Resolved when the application reads messages again. */
  #room: PromiseWithResolvers<void> | undefined;
  #connection: Connection | undefined;
  #lastDisconnect: DisconnectedEvent | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pumping = false;
  #stopping = false;
  /** With `save`: the packets given by the session and not yet saved, with their connection. */
  #unsaved: [Connection, Packet][] = [];
  /** With `save`: the save (and then the writing of its packets) running. */
  #saving: Promise<void> | undefined;
  /** Wakes the reconnection loop from its back-off when the client stops. */
  #wake: (() => void) | undefined;

  /**
   * Starts the client: it connects at once, and again whenever the
   * connection is lost.
   *
   * @throws {MqttError} For an option the session refuses.
   */
  constructor(options: ClientOptions = {}) {
    const {
      host,
      port,
      ws,
      dial,
      reconnect: _reconnect,
      messageBuffer,
      now,
      random: _random,
      onPacket: _onPacket,
      onEvent: _onEvent,
      onRetry: _onRetry,
      restore,
      save: _save,
      ...sessionOptions
    } = options;
    this.session = restore === undefined
      ? new ClientSession(sessionOptions)
      : ClientSession.restore(restore, sessionOptions);
    this.#options = options;
    this.#now = now ?? (() => performance.now());
    this.#dial = dial ??
      (ws !== undefined
        ? dialWebSocket(ws, this.session.protocolVersion)
        : dialTcp(host ?? "127.0.0.1", port ?? 1883));
    this.messages = new ReadableStream<PublishPacket>({
      start: (controller) => {
        this.#messageStream = controller;
      },
      pull: () => {
        this.#room?.resolve();
        this.#room = undefined;
      },
      cancel: () => {
        this.#messagesWanted = false;
        this.#room?.resolve();
      },
    }, { highWaterMark: messageBuffer ?? 1_000 });
    // Handled here so that a client nobody awaits cannot crash the program.
    this.ready = this.#ready.promise;
    this.ready.catch(() => {});
    this.closed = this.#run();
  }

  /**
   * Starts a client and waits for its first CONNACK.
   *
   * @throws {MqttError} When the broker refuses the connection (with its
   * reason code), or, with `reconnect: false`, when the first connection
   * fails.
   */
  static async connect(options: ClientOptions = {}): Promise<Client> {
    const client = new Client(options);
    try {
      await client.ready;
    } catch (error) {
      await client.abort();
      throw error;
    }
    return client;
  }

  /** Our Client Identifier: the one given, or the one the broker assigned. */
  get clientId(): string {
    return this.session.clientId;
  }

  /**
   * Publishes a message; resolves once it is sent (QoS 0), acknowledged by
   * PUBACK (QoS 1) or by PUBREC and PUBCOMP (QoS 2), across reconnections.
   *
   * @throws {MqttError} For a message the session refuses; asynchronously,
   * when the broker refuses it (its reason code) or the session drops it.
   */
  async publish(
    topic: string,
    payload: string | Uint8Array,
    options: PublishOptions = {},
  ): Promise<PublishedEvent> {
    const { qos = 0, retain = false, ...properties } = options;
    const message = {
      topic,
      payload: typeof payload === "string"
        ? new TextEncoder().encode(payload)
        : payload,
      qos,
      retain,
      ...properties,
    };
    return await this.#command((now) =>
      this.session.publish(message, now)
    ) as PublishedEvent;
  }

  /** Subscribes (at QoS 2 for a bare topic filter); resolves with the SUBACK. */
  async subscribe(
    subscriptions: string | Subscription[],
    options: {
      subscriptionIdentifier?: number;
      userProperties?: UserProperties;
    } = {},
  ): Promise<SubackPacket> {
    const list = typeof subscriptions === "string"
      ? [{ topicFilter: subscriptions, qos: 2 as QoS }]
      : subscriptions;
    const event = await this.#command((now) =>
      this.session.subscribe({ subscriptions: list, ...options }, now)
    );
    return (event as { packet: SubackPacket }).packet;
  }

  /** Unsubscribes; resolves with the UNSUBACK. */
  async unsubscribe(topicFilters: string[]): Promise<UnsubackPacket> {
    const event = await this.#command((now) =>
      this.session.unsubscribe({ topicFilters }, now)
    );
    return (event as { packet: UnsubackPacket }).packet;
  }

  /**
   * Stops: sends what may be sent now and a DISCONNECT (0x00 unless told
   * otherwise), closes the connection and connects no more. Commands not
   * yet answered are rejected.
   */
  async disconnect(
    request: Omit<DisconnectPacket, "type"> = {},
  ): Promise<DisconnectedEvent | undefined> {
    this.#stop();
    if (this.session.state === "disconnected") this.#close(this.#connection);
    else this.#input((now) => this.session.disconnect(request, now));
    return await this.closed;
  }

  /** Stops at once: drops the connection without DISCONNECT (the broker publishes our Will). */
  async abort(): Promise<DisconnectedEvent | undefined> {
    this.#stop();
    this.#close(this.#connection, false);
    return await this.closed;
  }

  // ------------------------------------------------------------------ I/O

  /** Connects, serves the connection until it ends, and again, until the client stops. */
  async #run(): Promise<DisconnectedEvent | undefined> {
    const options = this.#options;
    const random = options.random ?? Math.random;
    let failures = 0;
    while (!this.#stopping) {
      let event: DisconnectedEvent | undefined;
      let error: unknown;
      try {
        const accepted = await this.#serve(await this.#dial());
        if (accepted) failures = 0;
        event = this.#lastDisconnect;
      } catch (dialError) {
        error = dialError;
      }
      if (this.#stopping) break;
      if (options.reconnect === false || (event && !shouldReconnect(event))) {
        this.#ready.reject(giveUp(event, error));
        break;
      }
      const delay = reconnectDelay(failures++, random());
      options.onRetry?.({ delay, failures, event, error });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
    // Closed means no save is running any more (the application may then
    // remove what was saved).
    while (this.#saving !== undefined) await this.#saving;
    this.#finish();
    return this.#lastDisconnect;
  }

  /**
   * One network connection: the session's input loop. Returns whether the
   * broker accepted it (a CONNACK of success).
   */
  async #serve(transport: Transport): Promise<boolean> {
    const session = this.session;
    // A client tells its reader the version: a CONNACK does not carry it.
    const reader = new PacketReader(transport.readable, {
      protocolVersion: session.protocolVersion,
      maximumPacketSize: session.maximumPacketSize,
    });
    const writer = new PacketWriter(transport.writable, {
      protocolVersion: session.protocolVersion,
    });
    const connection: Connection = {
      reader,
      writer,
      closing: Promise.withResolvers(),
      closed: false,
      accepted: false,
    };
    if (this.#stopping) {
      this.#close(connection, false);
      return false;
    }
    this.#connection = connection;
    this.#input((now) => session.connectionOpened(now));
    try {
      for await (const packet of reader) {
        this.#options.onPacket?.("in", packet);
        this.#input((now) => session.handlePacket(packet, now));
        if (packet.type === "publish") await this.#waitForRoom(connection);
      }
    } catch (error) {
      // A malformed packet is answered by the session; 0x80 is the
      // connection failing, which the session takes as lost.
      if (error instanceof MqttError) {
        this.#input((now) => session.handleError(error, now));
      }
    }
    this.#input((now) => session.connectionLost(now));
    this.#close(connection, false);
    this.#connection = undefined;
    return connection.accepted;
  }

  /** Holds the reading while the application has not read enough messages. */
  async #waitForRoom(connection: Connection): Promise<void> {
    const stream = this.#messageStream;
    if (!this.#messagesWanted || (stream.desiredSize ?? 1) > 0) return;
    this.#room ??= Promise.withResolvers();
    await Promise.race([this.#room.promise, connection.closing.promise]);
  }

  /** One input to the session, then its outputs. */
  #input(handle: (now: number) => void): void {
    handle(this.#now());
    this.#pump();
  }

  /**
   * The session's outputs: every packet to the writer, then each event
   * (a handler may give commands: their packets go before the next event),
   * then the timer for the next deadline.
   */
  #pump(): void {
    if (this.#pumping) return; // a command given by an event handler
    this.#pumping = true;
    const session = this.session;
    try {
      for (;;) {
        for (let packet; (packet = session.pollTransmit()) !== undefined;) {
          this.#write(packet);
        }
        const event = session.pollEvent();
        if (event === undefined) break;
        this.#handleEvent(event);
      }
    } finally {
      this.#pumping = false;
    }
    clearTimeout(this.#timer);
    const deadline = session.pollTimeout();
    if (deadline !== undefined) {
      this.#timer = setTimeout(
        () => this.#input((now) => session.handleTimeout(now)),
        Math.max(0, deadline - this.#now()),
      );
    }
  }

  #write(packet: Packet): void {
    const connection = this.#connection;
    if (connection === undefined || connection.closed) return;
    if (this.#options.save === undefined) {
      this.#send(connection, packet);
      return;
    }
    this.#unsaved.push([connection, packet]);
    this.#saving ??= this.#saveAndSend(this.#options.save);
  }

  /**
   * Write-ahead: saves, then writes the packets the saved state includes;
   * again while more came meanwhile. Group commit: one save per batch,
   * however many packets the session gave during the previous save.
   */
  async #saveAndSend(
    save: (session: ClientSession) => Promise<void>,
  ): Promise<void> {
    try {
      while (this.#unsaved.length > 0) {
        // Let the pump that gave the packets finish first: the state saved
        // then includes its events too (a message the application counted).
        await Promise.resolve();
        const batch = this.#unsaved;
        this.#unsaved = [];
        await save(this.session);
        for (const [connection, packet] of batch) {
          this.#send(connection, packet);
        }
      }
    } catch {
      // Nothing that the saved state does not include may go out.
      this.#unsaved = [];
      this.#stop();
      this.#close(this.#connection, false);
    } finally {
      this.#saving = undefined;
    }
  }

  #send(connection: Connection, packet: Packet): void {
    this.#options.onPacket?.("out", packet);
    // A write that fails is the connection failing, which the reading loop
    // reports; the session keeps what must be sent again.
    connection.writer.write(packet).catch(() => {});
  }

  #handleEvent(event: ClientEvent): void {
    switch (event.type) {
      case "connected":
        this.connack = event.connack;
        if (this.#connection !== undefined) this.#connection.accepted = true;
        this.#ready.resolve(event.connack);
        break;
      case "message":
        if (this.#messagesWanted) this.#messageStream.enqueue(event.message);
        break;
      case "published":
        if (event.reasonCode >= 0x80) {
          this.#settle(
            event.id,
            undefined,
            new MqttError(
              `PUBLISH refused by the broker: reason code 0x${
                event.reasonCode.toString(16)
              }`,
              event.reasonCode,
            ),
          );
        } else this.#settle(event.id, event);
        break;
      case "dropped":
        this.#settle(
          event.id,
          undefined,
          new MqttError(
            `PUBLISH to ${event.message.topic} dropped: ${event.reason}`,
            DROP_CODES[event.reason],
          ),
        );
        break;
      case "subscribed":
      case "unsubscribed":
        this.#settle(event.id, event);
        break;
      case "disconnected":
        this.#lastDisconnect = event;
        this.#close(this.#connection);
        break;
    }
    this.#options.onEvent?.(event);
  }

  /**
   * Closes a connection: after its last packets are written (at most
   * {@linkcode CLOSE_GRACE} ms), or at once.
   */
  #close(connection: Connection | undefined, graceful = true): void {
    if (connection === undefined || connection.closed) return;
    connection.closed = true;
    connection.closing.resolve();
    const { reader, writer } = connection;
    if (!graceful) {
      writer.abort().catch(() => {});
      reader.cancel().catch(() => {});
      return;
    }
    const cancel = () => {
      clearTimeout(timer);
      reader.cancel().catch(() => {});
    };
    const timer = setTimeout(cancel, CLOSE_GRACE);
    // The last packets (a DISCONNECT) may still be waiting for their save.
    Promise.resolve(this.#saving).then(() => writer.close()).catch(() => {})
      .finally(cancel);
  }

  // ------------------------------------------------------------- commands

  /** Runs a command of the session; resolves with the event that answers it. */
  #command(command: (now: number) => number): Promise<ClientEvent> {
    if (this.#stopping) {
      return Promise.reject(
        new MqttError("the client has stopped", UNSPECIFIED_ERROR),
      );
    }
    const pending = Promise.withResolvers<ClientEvent>();
    // Registered before the outputs are drained: a QoS 0 message is done at once.
    const id = command(this.#now());
    this.#pending.set(id, pending);
    this.#pump();
    return pending.promise;
  }

  #settle(id: number | undefined, event?: ClientEvent, error?: MqttError) {
    if (id === undefined) return;
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    if (error !== undefined) pending.reject(error);
    else pending.resolve(event!);
  }

  #stop(): void {
    this.#stopping = true;
    this.#wake?.();
  }

  /** The client has stopped: nothing more will come or be answered. */
  #finish(): void {
    clearTimeout(this.#timer);
    const error = new MqttError(
      "the client stopped before this was answered",
      UNSPECIFIED_ERROR,
    );
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    this.#ready.reject(error);
    this.#room?.resolve();
    try {
      this.#messageStream.close();
    } catch {
      // cancelled by the application
    }
  }
}

/** The reason codes of a message the session dropped, as a broker would say them. */
const DROP_CODES: Record<string, number> = {
  "queue-full": 0x97,
  "expired": UNSPECIFIED_ERROR,
  "too-large": 0x95,
  "not-supported": 0x9b,
  "session-lost": UNSPECIFIED_ERROR,
  "session-ended": UNSPECIFIED_ERROR,
};

/** Why the client gave up connecting. */
function giveUp(event?: DisconnectedEvent, error?: unknown): MqttError {
  if (event?.packet?.type === "connack") {
    return new MqttError(
      `connection refused: reason code 0x${
        event.packet.reasonCode.toString(16)
      }`,
      event.packet.reasonCode >= 0x80 ? event.packet.reasonCode : 0x80,
    );
  }
  if (event?.error !== undefined) return event.error;
  if (error instanceof MqttError) return error;
  return new MqttError(
    event === undefined
      ? `could not connect: ${error}`
      : `the connection ended (${event.initiator}, reason code 0x${
        (event.reasonCode ?? UNSPECIFIED_ERROR).toString(16)
      })`,
    event?.reasonCode ?? UNSPECIFIED_ERROR,
    { cause: error },
  );
}
