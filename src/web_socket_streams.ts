/**
 * {@linkcode webSocketStreams}: MQTT over WebSocket (section 6), a
 * WebSocket's binary messages as a pair of byte streams for
 * {@linkcode PacketReader} and {@linkcode PacketWriter}.
 *
 * @module
 */

import { describeError } from "./_common.ts";
import {
  answerTo,
  binary,
  CloseCode,
  closedError,
  closeTrying,
  type Closing,
  closingAfter,
  deferred,
  nameOf,
  notOpened,
  SentPackets,
  subprotocolError,
  SUBPROTOCOLS,
  textMessageError,
} from "./_web_socket.ts";
import { MqttError } from "./error.ts";
import { ReasonCode } from "./reason_code.ts";

// The ready states, without needing a global WebSocket (a socket may come
// from a library, such as "ws" on Node).
const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;

/** The default of {@linkcode WebSocketStreamsOptions.highWaterMark}: 1 MiB. */
const HIGH_WATER_MARK = 1_048_576;

/**
 * What a runtime keeps for each message queued on a socket besides its
 * bytes, as counted against the high-water mark: Deno 2.9 was measured at
 * about 1 KB per message (1,000,000 queued 2-byte messages took 1 GB), and
 * `bufferedAmount` counts only the bytes.
 */
const MESSAGE_COST = 1_024;

/** How long a write waits between two looks at `bufferedAmount`, at most. */
const MAXIMUM_POLL_MS = 50;

/**
 * The parts of a WebSocket that {@linkcode webSocketStreams} uses: the web
 * standard `WebSocket` of browsers, Deno, Node 22+, Bun and Cloudflare
 * Workers fits, and so does the `ws` package's on Node.
 *
 * @example Usage
 * ```ts
 * import type { WebSocketLike } from "@mqtt/codec";
 *
 * export function isOpen(socket: WebSocketLike): boolean {
 *   return socket.readyState === 1;
 * }
 * ```
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Set to `"arraybuffer"` by {@linkcode webSocketStreams}. */
  binaryType?: string;
  /** The URL of a client socket (named in errors). */
  readonly url?: string | null;
  /** The subprotocol agreed: `"mqtt"` for MQTT. */
  readonly protocol?: string | null;
  /** The bytes sent but not yet handed to the network, where the runtime tells. */
  readonly bufferedAmount?: number;
  /** Sends one binary message. */
  send(data: Uint8Array): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Listens to `open`, `message`, `error` and `close`. */
  addEventListener(
    type: string,
    listener: WebSocketListener,
    options?: { once?: boolean },
  ): void;
}

/**
 * A listener of a {@linkcode WebSocketLike}'s events. Declared as a method
 * so that it compares both ways: the listener of every runtime's
 * declarations fits, whatever its `Event` type (the DOM's, Deno's, Node's,
 * a library's).
 *
 * @example Usage
 * ```ts
 * import type { WebSocketListener } from "@mqtt/codec";
 * const log: WebSocketListener = (event) => console.log(event);
 * ```
 */
export type WebSocketListener = {
  listener(event: unknown): void;
}["listener"];

/**
 * Options of {@linkcode webSocketStreams}.
 *
 * @example Usage
 * ```ts
 * import type { WebSocketStreamsOptions } from "@mqtt/codec";
 * const options: WebSocketStreamsOptions = { highWaterMark: 256 * 1024 };
 * ```
 */
export interface WebSocketStreamsOptions {
  /**
   * How much may wait in the socket, unsent, before a write waits for it
   * to drain: back-pressure for a peer that reads slowly or not at all.
   * Counted from `bufferedAmount`, plus 1 KiB per message queued (what a
   * runtime keeps per message). Default 1 MiB.
   */
  highWaterMark?: number;
}

/**
 * The two byte streams of a WebSocket, as returned by
 * {@linkcode webSocketStreams} and {@linkcode connectWebSocket}.
 *
 * @example Usage
 * ```ts
 * import type { WebSocketStreams } from "@mqtt/codec";
 * function describe(streams: WebSocketStreams): string {
 *   return `${streams.readable.locked} ${streams.writable.locked}`;
 * }
 * ```
 */
export interface WebSocketStreams {
  /** The bytes of the binary messages received, one chunk per message. */
  readable: ReadableStream<Uint8Array>;
  /** Each chunk written is sent as one binary message. */
  writable: WritableStream<Uint8Array>;
}

/**
 * Wraps a WebSocket (web standard: browsers, Deno, Node 22+, Bun, Workers)
 * as a readable and a writable byte stream, to carry MQTT as section 6 of
 * the specification says: packets travel in binary messages, and a message
 * may hold several packets or part of one [MQTT-6.0.0-2], which
 * {@linkcode PacketReader} takes care of. For a client, prefer
 * {@linkcode connectWebSocket}, which also uses the runtime's
 * `WebSocketStream` where there is one.
 *
 * - The writable side waits for the socket to open, and fails at once with
 *   {@linkcode MqttError} 0x82 when a client's server did not agree on the
 *   subprotocol `"mqtt"` [MQTT-6.0.0-4]. Each chunk is sent as one binary
 *   message. A write resolves once the message is queued on the socket,
 *   but waits while the socket holds more than `highWaterMark` unsent
 *   (read from `bufferedAmount`): a peer that does not read holds up the
 *   writer, not the memory. Where the runtime has no `bufferedAmount`
 *   (Cloudflare Workers), a write yields to the event loop after each
 *   `highWaterMark` of data, which lets the socket send but cannot bound
 *   what it queues (see README.md).
 * - Closing the writable side closes the WebSocket with code 1000, or with
 *   the code that fits the reason code of a DISCONNECT just sent (1002
 *   after a protocol error, ...); aborting it or cancelling the readable
 *   side closes it with the code that fits the reason given.
 * - The readable side ends when the WebSocket closes normally (1000, 1001,
 *   or no code), when this side closed it, and when the connection drops
 *   right after a DISCONNECT was sent (brokers such as mosquitto close the
 *   TCP connection without a close frame then). Any other close errors it
 *   with {@linkcode MqttError} 0x80 naming the URL, the close code and
 *   reason, with the runtime's error as `cause`. A text message breaks
 *   [MQTT-6.0.0-1]: the readable side errors with `MqttError` 0x82 and the
 *   WebSocket is closed with 1003.
 * - A close started by the peer is answered, so that the closing handshake
 *   completes even on runtimes that leave it to the program (Workers).
 *
 * Servers should accept the subprotocol `"mqtt"` and clients ask for it
 * (section 6). A socket that hands out its messages to callbacks instead
 * of events (Bun's `ServerWebSocket`, a Durable Object's hibernatable
 * WebSocket) is refused with {@linkcode MqttError}, the socket untouched:
 * feed its messages to a {@linkcode PacketParser} instead.
 *
 * @param socket A WebSocket, open or still connecting. Its `binaryType` is
 * set to `"arraybuffer"`. On Cloudflare Workers, `accept()` a server-side
 * socket first.
 * @param options The high-water mark of the writable side.
 * @returns The readable and the writable side.
 * @throws {MqttError} When `socket` is not an event-style WebSocket, or an
 * option is invalid.
 *
 * @example An MQTT client over WebSocket
 * ```ts ignore
 * import { PacketReader, PacketWriter, webSocketStreams } from "@mqtt/codec";
 *
 * const socket = new WebSocket("ws://127.0.0.1:8080", "mqtt");
 * const { readable, writable } = webSocketStreams(socket);
 * const writer = new PacketWriter(writable);
 * const reader = new PacketReader(readable);
 * await writer.write({
 *   type: "connect",
 *   protocolVersion: 5,
 *   clientId: "browser",
 *   cleanStart: true,
 *   keepAlive: 60,
 * });
 * console.log(await reader.read()); // the CONNACK
 * ```
 *
 * @example Round trip through a stand-in WebSocket
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encode, webSocketStreams } from "@mqtt/codec";
 *
 * // Just enough of a WebSocket that echoes what it is sent.
 * const socket = new EventTarget() as WebSocket;
 * Object.assign(socket, {
 *   readyState: WebSocket.OPEN,
 *   binaryType: "blob",
 *   send(data: Uint8Array) {
 *     const message = new MessageEvent("message", { data: data.slice().buffer });
 *     socket.dispatchEvent(message);
 *   },
 *   close() {},
 * });
 * const { readable, writable } = webSocketStreams(socket);
 * const writer = writable.getWriter();
 * await writer.write(encode({ type: "pingreq" }));
 * const { value } = await readable.getReader().read();
 * assertEquals(value, encode({ type: "pingreq" }));
 * ```
 */
export function webSocketStreams(
  socket: WebSocketLike,
  options?: WebSocketStreamsOptions,
): WebSocketStreams {
  const { readable, writable } = wrapWebSocket(socket, options);
  return { readable, writable };
}

/**
 * {@linkcode webSocketStreams}, and a promise that settles when the socket
 * opens (with the subprotocol checked) or fails to: for
 * {@linkcode connectWebSocket}, which waits for it.
 */
export function wrapWebSocket(
  socket: WebSocketLike,
  options?: WebSocketStreamsOptions,
): WebSocketStreams & { opened: Promise<void> } {
  checkSocket(socket);
  const highWaterMark = checkHighWaterMark(options?.highWaterMark);
  const name = nameOf(socket.url);
  // Only a client checks the subprotocol: a server chose it itself.
  const isClient = typeof socket.url === "string" && socket.url !== "";
  socket.binaryType = "arraybuffer";

  const sent = new SentPackets();
  const pacing = new Pacing(socket, highWaterMark);
  /** Set when this side starts closing: the close that follows is the one asked for. */
  let closingHere = false;
  /** The runtime's error, given as the cause of the close that follows. */
  let failure: unknown;
  let readableDone = false;
  let wasOpen = false;
  let readableController!: ReadableStreamDefaultController<Uint8Array>;
  let writableController: WritableStreamDefaultController | undefined;
  const opened = deferred<void>();
  opened.promise.catch(() => {}); // reported by the streams, not as unhandled

  function close(closing: Closing): void {
    closingHere = true;
    closeTrying((code, reason) => socket.close(code, reason), closing);
  }

  /** Ends both sides with `error` and closes the socket with `closing`. */
  function fail(error: MqttError, closing: Closing): void {
    opened.reject(error);
    if (!readableDone) {
      readableDone = true;
      readableController.error(error);
    }
    writableController?.error(error);
    close(closing);
  }

  function onOpen(): void {
    wasOpen = true;
    const protocol = socket.protocol ?? "";
    if (isClient && !SUBPROTOCOLS.includes(protocol)) {
      fail(subprotocolError(name, protocol), {
        code: CloseCode.ProtocolError,
        reason: "MQTT needs the subprotocol mqtt",
      });
      return;
    }
    opened.resolve();
  }

  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      readableController = controller;
      socket.addEventListener("message", (event: MessageEvent) => {
        if (readableDone) return;
        const data = event.data;
        const bytes = binary(data);
        if (bytes !== undefined) {
          controller.enqueue(bytes);
          return;
        }
        // [MQTT-6.0.0-1] Only binary messages may carry MQTT; on anything
        // else the recipient closes the connection.
        fail(textMessageError(name), {
          code: CloseCode.UnsupportedData,
          reason: "MQTT needs binary messages",
        });
      });
      socket.addEventListener("error", (event: Partial<ErrorEvent>) => {
        // Deno gives an ErrorEvent with the error; browsers say nothing.
        const { error, message } = event;
        failure ??= error ??
          (typeof message === "string" && message !== "" ? message : undefined);
      });
      socket.addEventListener("close", (event: CloseEvent) => {
        const { code, reason, wasClean } = event;
        if (socket.readyState === CLOSING) {
          // The peer started the closing handshake and the runtime leaves
          // the answer to us (Workers): answer, or the TCP connection is
          // left half closed.
          try {
            socket.close(answerTo(code), "");
          } catch {
            // closed meanwhile
          }
        }
        pacing.closed();
        const normal = closingHere || sent.disconnectReason !== -1 ||
          (wasClean !== false &&
            (code === CloseCode.Normal || code === CloseCode.GoingAway ||
              code === CloseCode.NoStatus));
        const error = normal
          ? undefined
          : wasOpen
          ? closedError(name, code, reason ?? "", failure)
          : notOpened(name, code, reason ?? "", failure);
        const ended = error ??
          new MqttError(
            `${name}: cannot send: the connection is closed`,
            ReasonCode.UnspecifiedError,
          );
        if (!wasOpen) opened.reject(ended);
        writableController?.error(ended);
        if (readableDone) return;
        readableDone = true;
        if (error === undefined) controller.close();
        else controller.error(error);
      });
      if (socket.readyState === OPEN) onOpen();
      else if (socket.readyState === CONNECTING) {
        socket.addEventListener("open", onOpen, { once: true });
      } else {
        readableDone = true;
        controller.close();
        opened.reject(
          new MqttError(
            `${name}: the connection is already closed`,
            ReasonCode.UnspecifiedError,
          ),
        );
      }
    },
    cancel(reason) {
      readableDone = true;
      close(closingAfter(reason));
    },
  });

  const writable = new WritableStream<Uint8Array>({
    start(controller) {
      writableController = controller;
      return opened.promise;
    },
    async write(chunk) {
      if (socket.readyState !== OPEN) {
        throw new MqttError(
          `${name}: cannot send: the connection is ${
            socket.readyState === CONNECTING ? "not open" : "closed"
          }`,
          ReasonCode.UnspecifiedError,
        );
      }
      socket.send(chunk);
      sent.sent(chunk);
      await pacing.sent(chunk.length);
    },
    close() {
      close(sent.closing());
    },
    abort(reason) {
      close(closingAfter(reason));
    },
  });
  return { readable, writable, opened: opened.promise };
}

/**
 * Back-pressure for a socket's writes: how much it holds unsent, from its
 * `bufferedAmount` and the messages sent, and a wait until that is under
 * the high-water mark.
 */
class Pacing {
  readonly #socket: WebSocketLike;
  readonly #highWaterMark: number;
  /** Whether the socket tells its `bufferedAmount`. */
  readonly #measured: boolean;
  /** Sizes of the messages sent that may still be queued, oldest first. */
  #queued: number[] = [];
  #queuedHead = 0;
  /** Bytes sent in all, and bytes of the messages known to have left. */
  #sentBytes = 0;
  #leftBytes = 0;
  /** Without `bufferedAmount`: what was sent since the last yield. */
  #sinceYield = 0;
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(socket: WebSocketLike, highWaterMark: number) {
    this.#socket = socket;
    this.#highWaterMark = highWaterMark;
    this.#measured = typeof socket.bufferedAmount === "number";
  }

  /** Notes a message of `size` bytes sent; resolves when the socket may take more. */
  sent(size: number): Promise<void> | undefined {
    if (!this.#measured) {
      this.#sinceYield += size + MESSAGE_COST;
      if (this.#sinceYield <= this.#highWaterMark) return undefined;
      this.#sinceYield = 0;
      return sleep(0);
    }
    this.#sentBytes += size;
    this.#queued.push(size);
    if (!this.#full()) return undefined;
    return this.#drained();
  }

  /** The socket closed: nothing to wait for any more. */
  closed(): void {
    this.#closed = true;
    this.#wake?.();
  }

  /** Whether the socket holds more than the high-water mark, counting per message. */
  #full(): boolean {
    const buffered = this.#socket.bufferedAmount ?? 0;
    // The messages wholly sent are the oldest ones, as many as the bytes
    // that left cover.
    const left = this.#sentBytes - buffered;
    while (
      this.#queuedHead < this.#queued.length &&
      this.#leftBytes + this.#queued[this.#queuedHead] <= left
    ) {
      this.#leftBytes += this.#queued[this.#queuedHead++];
    }
    if (
      this.#queuedHead > 1_024 && this.#queuedHead * 2 > this.#queued.length
    ) {
      this.#queued = this.#queued.slice(this.#queuedHead);
      this.#queuedHead = 0;
    }
    const messages = this.#queued.length - this.#queuedHead;
    return buffered + messages * MESSAGE_COST > this.#highWaterMark;
  }

  /** Waits, looking again at growing intervals, until the socket is under the mark or closed. */
  async #drained(): Promise<void> {
    let wait = 1;
    while (!this.#closed && this.#full()) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, wait);
      });
      this.#wake = undefined;
      wait = Math.min(wait * 2, MAXIMUM_POLL_MS);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Refuses, before touching it, a socket that is not an event-style
 * WebSocket.
 */
function checkSocket(socket: unknown): void {
  const candidate = socket as Partial<Record<string, unknown>> | null;
  const missing = ["addEventListener", "send", "close"].filter((method) =>
    typeof candidate?.[method] !== "function"
  );
  if (missing.length === 0 && typeof candidate?.readyState === "number") {
    return;
  }
  const what = socket === null
    ? "null"
    : typeof socket !== "object"
    ? typeof socket
    : `an object without ${
      missing.length > 0 ? missing.join(", ") : "readyState"
    }`;
  throw new MqttError(
    `webSocketStreams: expected a WebSocket with events (addEventListener), got ${what}. A socket whose messages go to callbacks (Bun's ServerWebSocket, a Durable Object's hibernatable WebSocket) needs no streams: push each message into a PacketParser and send what encode() makes`,
    ReasonCode.ProtocolError,
  );
}

function checkHighWaterMark(value: unknown): number {
  if (value === undefined) return HIGH_WATER_MARK;
  if (typeof value === "number" && value >= 0 && Number.isFinite(value)) {
    return value;
  }
  throw new MqttError(
    `webSocketStreams: highWaterMark must be a number of bytes, got ${
      describeError(value)
    }`,
    ReasonCode.ProtocolError,
  );
}
