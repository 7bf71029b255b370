/**
 * One client of the example broker: the I/O around its `ServerSession`.
 * Bytes go into a `PacketParser`, packets into the session; what the
 * session has to send goes to a `PacketWriter`, no faster than the client
 * reads; its events go to the broker; a timer follows `pollTimeout()`. The
 * object outlives the network connection while the session waits for its
 * client (Will Delay, Session Expiry), keeping only the session and the
 * timer.
 *
 * @module
 */

import {
  MqttError,
  type Packet,
  PacketParser,
  PacketWriter,
} from "../../mod.ts";
import {
  type ApplicationMessage,
  type DropReason,
  type GrantedSubscription,
  type ServerEvent,
  ServerSession,
  type ServerSessionOptions,
} from "../../src/entries/session.ts";
import { formatPacket } from "../format_packet.ts";
import type { Transport } from "./transport.ts";

/** What a connection needs from the broker. */
export interface Host {
  /** The options of every session. */
  readonly sessionOptions: ServerSessionOptions;
  /** The largest packet before the CONNECT is accepted. */
  readonly connectPacketSize: number;
  /** Takes an event of a connection's session. */
  handle(connection: Connection, event: ServerEvent, now: number): void;
  /** The retained messages a filter matches (none expired). */
  retainedFor(filter: string): RetainedMessage[];
  /** The retained message of `topic` now, if it has one. */
  retainedOn(topic: string): RetainedMessage | undefined;
  /** Where log lines go; `verbose` logs every packet. */
  readonly log: (line: string) => void;
  readonly verbose: boolean;
  /** The time, in milliseconds, for the sessions. */
  readonly clock: () => number;
}

/** A retained message as the broker keeps it. */
export interface RetainedMessage {
  readonly message: ApplicationMessage;
  /** When it was stored (the host's `clock()`), for its Message Expiry Interval. */
  readonly storedAt: number;
  /** The bytes it counts for. */
  readonly size: number;
}

/**
 * Bytes waiting in the writer at which the connection stops: stops asking
 * its session for more packets, stops reading the client's.
 */
const WRITER_LIMIT = 64 * 1024;
/** How long one connection's packets may hold the event loop before it yields. */
const SLICE_MS = 10;
/** Retained messages delivered (or filters looked up) per turn of the event loop. */
const RETAINED_SLICE = 500;
/** Retained messages are held back while this many messages wait in the session. */
const RETAINED_QUEUE = 100;
/** How long the last packets (a DISCONNECT) may take before the connection is dropped. */
const GOODBYE_MS = 1_000;
/** The longest delay of `setTimeout` (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Turns of the event loop (letting other sockets and timers run, spreading
 * work over time) are not timers of the protocol: they use the timer
 * functions of when this module loaded, so that a test faking time
 * (`FakeTime` of `@std/testing/time`) does not stall them.
 */
const turnTimeout = globalThis.setTimeout;
const clearTurnTimeout = globalThis.clearTimeout;

/** Resolves on a later turn of the event loop. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => turnTimeout(resolve, 0));
}

/** A subscription's retained messages, sent a slice at a time. */
interface RetainedJob {
  readonly filter: string;
  found: RetainedMessage[] | undefined;
  next: number;
}

/** One network connection, then the session it leaves behind. */
export class Connection {
  /** The session: one network connection's, then the state it holds. */
  readonly session: ServerSession;
  /** Who is on the other side, for the log. */
  readonly remote: string;
  /** Routing's scratch space: the last message routed here, and its filters. */
  routed = 0;
  routedFilters: string[] = [];
  /** How many messages for the client the session dropped, by reason. */
  readonly dropped: Map<DropReason, number> = new Map();

  readonly #host: Host;
  #transport: Transport | undefined;
  #parser: PacketParser | undefined;
  #writer: PacketWriter | undefined;
  #ending = false;
  #pumping = false;
  #waitingForWriter = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  /** Subscriptions whose retained messages are due, from `#retainedAt` on. */
  #retained: RetainedJob[] = [];
  #retainedAt = 0;
  #retainedTimer: ReturnType<typeof setTimeout> | undefined;
  /** When this connection last let the event loop run. */
  #sliceStart = 0;

  constructor(host: Host, transport: Transport) {
    this.#host = host;
    this.#transport = transport;
    this.remote = transport.remote;
    this.#sliceStart = performance.now();
    this.session = new ServerSession(host.sessionOptions);
    this.#parser = new PacketParser({
      maximumPacketSize: host.connectPacketSize,
      // What the broker keeps (queued, retained) must not pin read buffers.
      copyPayloads: true,
    });
    this.#writer = new PacketWriter(transport.writable);
  }

  /** The client's name for the log: its client id once known. */
  get label(): string {
    return this.session.clientId || this.remote;
  }

  /**
   * Serves the connection: reads until the client or the session ends it.
   * Never rejects.
   */
  async run(): Promise<void> {
    this.session.connectionOpened(this.#host.clock());
    this.pump();
    while (!this.#ending) {
      let chunk: Uint8Array | null;
      try {
        chunk = await this.#transport!.read();
      } catch {
        chunk = null; // a reset, or closed under the read
      }
      if (this.#ending) break;
      if (chunk === null) {
        this.#lost();
        break;
      }
      this.#parser!.push(chunk);
      try {
        await this.#consume();
      } catch (error) {
        // A bug, not the client's doing: said, and the connection dropped.
        this.#host.log(`${this.label}: internal error: ${error}`);
        this.#lost();
        break;
      }
      await this.#yieldIfLong();
    }
  }

  /**
   * Lets the other connections have their turn once this one has held the
   * event loop for `SLICE_MS`: a read that finds bytes waiting resolves
   * at once, without the event loop polling the other sockets, so a client
   * that sends without pause would otherwise keep every other one waiting.
   */
  async #yieldIfLong(): Promise<void> {
    if (performance.now() - this.#sliceStart < SLICE_MS) return;
    await nextTurn();
    this.#sliceStart = performance.now();
  }

  /** The CONNECT was accepted: the client may send packets up to the broker's maximum. */
  accepted(maximumPacketSize: number): void {
    if (this.#parser !== undefined) {
      this.#parser.maximumPacketSize = maximumPacketSize;
    }
  }

  /**
   * Writes what the session has to send and hands its events to the
   * broker, until there is neither; then sets the timer. Call it after
   * every input and every command (a `deliver()` from another connection
   * too). Reentrant calls return at once: the loop running picks up what
   * they added.
   */
  pump(now: number = this.#host.clock()): void {
    if (this.#pumping) return;
    this.#pumping = true;
    let sliced = false;
    try {
      while (true) {
        this.#flush();
        const event = this.session.pollEvent();
        if (event !== undefined) {
          this.#host.handle(this, event, now);
        } else if (
          !sliced && this.#retainedDue() && this.#retainedTimer === undefined
        ) {
          // One slice of retained messages now (all of them, when few),
          // the rest on later turns.
          sliced = true;
          this.#sendRetainedSlice();
        } else break;
      }
    } finally {
      this.#pumping = false;
    }
    if (this.#retainedDue()) this.#scheduleRetained();
    this.#schedule(now);
  }

  /** Queues the retained messages of a new subscription (`sendRetained`). */
  sendRetained(subscription: GrantedSubscription): void {
    this.#retained.push({
      filter: subscription.topicFilter,
      found: undefined,
      next: 0,
    });
  }

  /**
   * The session ended the connection (its `disconnected` event): the last
   * packets it has (a DISCONNECT, a refusing CONNACK) are written, then the
   * connection is closed. The object stays as the session's keeper.
   */
  end(): void {
    if (this.#ending) return;
    this.#ending = true;
    this.#retained = [];
    this.#retainedAt = 0;
    clearTurnTimeout(this.#retainedTimer);
    const writer = this.#writer;
    const transport = this.#transport;
    this.#parser = undefined;
    this.#writer = undefined;
    this.#transport = undefined;
    if (writer === undefined || transport === undefined) return;
    for (let packet; (packet = this.session.pollTransmit()) !== undefined;) {
      if (this.#host.verbose) this.#logPacket("->", packet);
      writer.write(packet).catch(() => {});
    }
    // Everything written so far goes out, unless the client does not read.
    let timer: ReturnType<typeof setTimeout> | undefined;
    Promise.race([
      writer.close().catch(() => {}),
      new Promise((resolve) => timer = setTimeout(resolve, GOODBYE_MS)),
    ]).then(() => {
      clearTimeout(timer);
      transport.close();
    });
  }

  /** Stops the timers; the broker is closing. */
  stop(): void {
    clearTimeout(this.#timer);
    clearTurnTimeout(this.#retainedTimer);
    this.#timerAt = Infinity;
  }

  /** Handles the packets the parser has, as long as the client reads what it is sent. */
  async #consume(): Promise<void> {
    const session = this.session;
    let count = 0;
    while (!this.#ending) {
      const writer = this.#writer!;
      if (writer.bufferedBytes >= WRITER_LIMIT) {
        // The client does not read: nor do we, until it does.
        try {
          await writer.ready;
        } catch {
          return; // the connection failed: the read says so
        }
        this.pump();
        continue;
      }
      let packet: Packet | undefined;
      try {
        packet = this.#parser!.next();
      } catch (error) {
        if (!(error instanceof MqttError)) throw error;
        const now = this.#host.clock();
        session.handleError(error, now);
        this.pump(now);
        return;
      }
      if (packet === undefined) return;
      if (this.#host.verbose) this.#logPacket("<-", packet);
      const now = this.#host.clock();
      session.handlePacket(packet, now);
      this.pump(now);
      // Many packets in one chunk (a WebSocket message can be megabytes):
      // the other connections get their turn.
      if ((++count & 255) === 0) await this.#yieldIfLong();
    }
  }

  /** The connection is gone without a word from the session. */
  #lost(): void {
    const now = this.#host.clock();
    this.session.connectionLost(now);
    this.pump(now);
    this.end();
  }

  /**
   * Writes packets while the writer holds less than `WRITER_LIMIT`: past it
   * the rest waits in the session, whose queue limits bound it, and is
   * written when the client has read.
   */
  #flush(): void {
    const writer = this.#writer;
    if (writer === undefined) return;
    const session = this.session;
    // The version of the client's CONNECT (or of the CONNACK refusing it).
    if (writer.protocolVersion !== session.protocolVersion) {
      writer.protocolVersion = session.protocolVersion;
    }
    while (writer.bufferedBytes < WRITER_LIMIT) {
      const packet = session.pollTransmit();
      if (packet === undefined) return;
      if (this.#host.verbose) this.#logPacket("->", packet);
      writer.write(packet).catch(this.#writeFailed);
    }
    if (!this.#waitingForWriter) {
      this.#waitingForWriter = true;
      writer.ready.then(() => {
        this.#waitingForWriter = false;
        this.pump();
      }, this.#writeFailed);
    }
  }

  /** A write failed: the connection is gone (its read ends too). */
  readonly #writeFailed = (): void => {
    this.#transport?.close();
  };

  /** Sets the timer for the session's next deadline, unless one set fires earlier. */
  #schedule(now: number): void {
    const deadline = this.session.pollTimeout();
    if (deadline === undefined) {
      if (this.#timer !== undefined) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#timerAt = Infinity;
      }
      return;
    }
    // A timer that fires first finds the deadline moved and sets another.
    if (this.#timerAt <= deadline) return;
    clearTimeout(this.#timer);
    this.#timerAt = deadline;
    this.#timer = setTimeout(
      this.#wake,
      Math.min(Math.max(0, deadline - now), MAX_TIMER_MS),
    );
  }

  readonly #wake = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = this.#host.clock();
    this.session.handleTimeout(now);
    this.pump(now);
  };

  #scheduleRetained(): void {
    if (this.#retainedTimer !== undefined || !this.#hasRoom()) return;
    this.#retainedTimer = turnTimeout(() => {
      this.#retainedTimer = undefined;
      this.pump();
    }, 0);
  }

  /** Whether the session takes more retained messages now: the client reads, its queue is short. */
  #hasRoom(): boolean {
    const writer = this.#writer;
    return writer !== undefined && writer.bufferedBytes < WRITER_LIMIT &&
      this.session.stats.queuedMessages < RETAINED_QUEUE;
  }

  /**
   * Delivers retained messages (and looks up filters) up to a slice, while
   * the session has room: a SUBSCRIBE of 20,000 filters over 100,000
   * retained messages is spread over many turns of the event loop, and a
   * client that does not read gets no more than it reads.
   */
  #sendRetainedSlice(): void {
    const host = this.#host;
    const session = this.session;
    const jobs = this.#retained;
    let budget = RETAINED_SLICE;
    while (this.#retainedAt < jobs.length && budget > 0) {
      const job = jobs[this.#retainedAt];
      if (job.found === undefined) {
        job.found = host.retainedFor(job.filter);
        budget--;
      }
      const found = job.found;
      while (job.next < found.length && budget > 0) {
        if (!this.#hasRoom()) return;
        // Looked up again: a topic's retained message replaced since the
        // lookup goes out as it is now (it may have come live too, as the
        // subscription was made first); one cleared since goes not at all.
        const entry = host.retainedOn(found[job.next++].message.topic);
        budget--;
        if (entry === undefined) continue;
        const now = host.clock();
        const message = withExpiryLeft(entry, now);
        if (message === undefined) continue; // expired
        session.deliver({
          message,
          topicFilters: [job.filter],
          retained: true,
        }, now);
        this.#flush();
      }
      if (job.next >= found.length) this.#retainedAt++;
    }
    if (this.#retainedAt === jobs.length) {
      this.#retained = [];
      this.#retainedAt = 0;
    }
  }

  /** Whether retained messages wait to be sent. */
  #retainedDue(): boolean {
    return this.#retainedAt < this.#retained.length;
  }

  #logPacket(direction: "<-" | "->", packet: Packet): void {
    this.#host.log(
      `${this.label} ${direction} ${
        formatPacket(packet, this.session.protocolVersion)
      }`,
    );
  }
}

/**
 * A retained message with the Message Expiry Interval it has left (section
 * 3.3.2.3.3: the receiver gets what remains), or `undefined` once expired.
 */
function withExpiryLeft(
  entry: RetainedMessage,
  now: number,
): ApplicationMessage | undefined {
  const { message } = entry;
  const interval = message.messageExpiryInterval;
  if (interval === undefined) return message;
  const left = interval - (now - entry.storedAt) / 1000;
  if (left <= 0) return undefined;
  return { ...message, messageExpiryInterval: Math.ceil(left) };
}
