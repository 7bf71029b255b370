/**
 * {@linkcode connectWebSocket}: an MQTT client's WebSocket, opened, as a
 * pair of byte streams, with back-pressure both ways where the runtime has
 * a stream-based WebSocket.
 *
 * @module
 */

import { describeError } from "./_common.ts";
import {
  binary,
  CloseCode,
  closedError,
  closeTrying,
  type Closing,
  closingAfter,
  nameOf,
  SentPackets,
  subprotocolError,
  SUBPROTOCOLS,
  textMessageError,
} from "./_web_socket.ts";
import { MqttError } from "./error.ts";
import {
  type WebSocketStreams,
  type WebSocketStreamsOptions,
  wrapWebSocket,
} from "./web_socket_streams.ts";
import { ReasonCode } from "./reason_code.ts";

/**
 * Options of {@linkcode connectWebSocket}.
 *
 * @example Usage
 * ```ts
 * import type { ConnectWebSocketOptions } from "@mqtt/codec";
 * const options: ConnectWebSocketOptions = {
 *   signal: AbortSignal.timeout(10_000),
 * };
 * ```
 */
export interface ConnectWebSocketOptions extends WebSocketStreamsOptions {
  /**
   * The subprotocols to ask for, best first (default `["mqtt"]`; an MQTT 3.1
   * client may ask for `["mqttv3.1"]`). The server must agree on one of
   * `"mqtt"` and `"mqttv3.1"`.
   */
  protocols?: string[];
  /** Gives up opening the connection when it aborts. */
  signal?: AbortSignal;
  /**
   * Whether to use the runtime's `WebSocketStream` when it has one
   * (default `true`); `false` always uses `WebSocket`.
   */
  webSocketStream?: boolean;
}

/**
 * An open MQTT WebSocket connection, as returned by
 * {@linkcode connectWebSocket}.
 *
 * @example Usage
 * ```ts
 * import type { WebSocketConnection } from "@mqtt/codec";
 * function describe(connection: WebSocketConnection): string {
 *   return `${connection.protocol} over ${connection.api}`;
 * }
 * ```
 */
export interface WebSocketConnection extends WebSocketStreams {
  /** The subprotocol the server agreed on: `"mqtt"` (or `"mqttv3.1"`). */
  readonly protocol: string;
  /**
   * What carries it: `"WebSocketStream"`, whose streams have back-pressure
   * both ways, or `"WebSocket"` (see {@linkcode webSocketStreams}).
   */
  readonly api: "WebSocketStream" | "WebSocket";
}

/** The part of the `WebSocketStream` API (WHATWG) used here. */
interface WebSocketStreamLike {
  readonly opened: Promise<{
    readable: ReadableStream<ArrayBuffer | string>;
    writable: WritableStream<Uint8Array>;
    protocol: string;
  }>;
  readonly closed: Promise<{ closeCode?: number; reason?: string }>;
  close(info?: { closeCode?: number; reason?: string }): void;
}

type WebSocketStreamConstructor = new (
  url: string,
  options?: { protocols?: string[]; signal?: AbortSignal },
) => WebSocketStreamLike;

/**
 * Opens a client WebSocket for MQTT (section 6: subprotocol `"mqtt"`,
 * binary messages) and resolves with its two byte streams once it is open,
 * for {@linkcode PacketReader} and {@linkcode PacketWriter}.
 *
 * Where the runtime has a `WebSocketStream` (Chromium; Deno with
 * `--unstable-net`), it carries the connection: a write waits until the
 * message is sent and a message is read only when the reader asks, so a
 * slow peer holds up this side, never its memory. Elsewhere a `WebSocket`
 * does, through {@linkcode webSocketStreams} (writes paced by its
 * `bufferedAmount`). The streams end, fail and close as
 * {@linkcode webSocketStreams} describes, whichever carries them.
 *
 * @param url The `ws:` or `wss:` URL of the broker.
 * @param options The subprotocols, a signal to give up, the high-water mark
 * of the `WebSocket` fallback.
 * @returns The open connection.
 * @throws {MqttError} When the connection cannot be opened (the URL and the
 * runtime's error, as `cause`, are named) or the server does not agree on
 * an MQTT subprotocol.
 *
 * @example A client
 * ```ts ignore
 * import { connectWebSocket, PacketReader, PacketWriter } from "@mqtt/codec";
 *
 * const { readable, writable } = await connectWebSocket("ws://127.0.0.1:8080");
 * const reader = new PacketReader(readable, { protocolVersion: 5 });
 * const writer = new PacketWriter(writable);
 * await writer.write({
 *   type: "connect",
 *   protocolVersion: 5,
 *   clientId: "ws-client",
 *   cleanStart: true,
 *   keepAlive: 60,
 * });
 * console.log(await reader.read()); // the CONNACK
 * ```
 */
export async function connectWebSocket(
  url: string | URL,
  options?: ConnectWebSocketOptions,
): Promise<WebSocketConnection> {
  const href = String(url);
  const name = nameOf(href);
  const protocols = options?.protocols ?? ["mqtt"];
  const signal = options?.signal;
  signal?.throwIfAborted();
  const Stream =
    (globalThis as { WebSocketStream?: WebSocketStreamConstructor })
      .WebSocketStream;
  if (typeof Stream === "function" && options?.webSocketStream !== false) {
    let connection: WebSocketStreamLike;
    try {
      connection = new Stream(href, { protocols, signal });
    } catch (error) {
      throw openingFailed(name, error);
    }
    return await overStream(connection, name);
  }
  let socket: WebSocket;
  try {
    socket = new WebSocket(href, protocols);
  } catch (error) {
    throw openingFailed(name, error);
  }
  const { readable, writable, opened } = wrapWebSocket(socket, options);
  const aborted = () => socket.close();
  signal?.addEventListener("abort", aborted, { once: true });
  try {
    await opened;
  } catch (error) {
    if (signal?.aborted) throw openingFailed(name, signal.reason);
    throw error;
  } finally {
    signal?.removeEventListener("abort", aborted);
  }
  return { readable, writable, protocol: socket.protocol, api: "WebSocket" };
}

/** The byte streams of a `WebSocketStream`, once it is open. */
async function overStream(
  connection: WebSocketStreamLike,
  name: string,
): Promise<WebSocketConnection> {
  // Reported by the streams, or by the opening; never as unhandled.
  connection.closed.catch(() => {});
  let opened: Awaited<WebSocketStreamLike["opened"]>;
  try {
    opened = await connection.opened;
  } catch (error) {
    throw openingFailed(name, error);
  }
  const { protocol } = opened;
  if (!SUBPROTOCOLS.includes(protocol)) {
    closeTrying(
      (closeCode, reason) => connection.close({ closeCode, reason }),
      {
        code: CloseCode.ProtocolError,
        reason: "MQTT needs the subprotocol mqtt",
      },
    );
    throw subprotocolError(name, protocol);
  }
  const messages = opened.readable.getReader();
  const sender = opened.writable.getWriter();
  const sent = new SentPackets();
  let closingHere = false;

  /** How the connection ended, as the readable side should report it. */
  async function ending(failure: unknown): Promise<MqttError | undefined> {
    if (closingHere || sent.disconnectReason !== -1) return undefined;
    const info = failure ?? await connection.closed.catch((error) => error);
    // Deno gives a close code of null when there was no close frame.
    const { closeCode: code, reason: text } = (info ?? {}) as {
      closeCode?: number | null;
      reason?: string;
    };
    const closeCode = code ?? CloseCode.Abnormal;
    const reason = text ?? "";
    if (
      failure === undefined &&
      (closeCode === CloseCode.Normal || closeCode === CloseCode.GoingAway ||
        closeCode === CloseCode.NoStatus)
    ) {
      return undefined;
    }
    return closedError(name, closeCode, reason, failure ?? info);
  }

  function close(closing: Closing): void {
    closingHere = true;
    closeTrying(
      (closeCode, reason) => connection.close({ closeCode, reason }),
      closing,
    );
  }

  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let result;
      try {
        result = await messages.read();
      } catch (failure) {
        const error = await ending(failure);
        if (error !== undefined) throw error;
        controller.close();
        return;
      }
      if (result.done) {
        const error = await ending(undefined);
        if (error !== undefined) throw error;
        controller.close();
        return;
      }
      const bytes = binary(result.value);
      if (bytes === undefined) {
        // [MQTT-6.0.0-1]
        close({
          code: CloseCode.UnsupportedData,
          reason: "MQTT needs binary messages",
        });
        throw textMessageError(name);
      }
      controller.enqueue(bytes);
    },
    cancel(reason) {
      close(closingAfter(reason));
    },
  }, { highWaterMark: 0 });

  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      try {
        await sender.write(chunk);
      } catch (failure) {
        throw new MqttError(
          `${name}: cannot send: ${describeError(failure)}`,
          ReasonCode.UnspecifiedError,
          { cause: failure },
        );
      }
      sent.sent(chunk);
    },
    close() {
      close(sent.closing());
    },
    abort(reason) {
      close(closingAfter(reason));
    },
  });
  return { readable, writable, protocol, api: "WebSocketStream" };
}

function openingFailed(name: string, cause: unknown): MqttError {
  return new MqttError(
    `${name}: the connection could not be opened: ${describeError(cause)}`,
    ReasonCode.UnspecifiedError,
    { cause },
  );
}
