/**
 * MQTT over WebSocket (section 6): a WebSocket's binary messages as a pair
 * of byte streams, for {@linkcode PacketReader} and {@linkcode PacketWriter}.
 *
 * @module
 */

import { MqttError } from "./error.ts";

const UNSPECIFIED_ERROR = 0x80;
// WebSocket.CONNECTING and WebSocket.OPEN, without needing a global
// WebSocket (a socket may come from a library, such as "ws" on Node).
const CONNECTING = 0;
const OPEN = 1;
const PROTOCOL_ERROR = 0x82;

/**
 * The two byte streams of a WebSocket, as returned by
 * {@linkcode webSocketStreams}.
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
 * {@linkcode PacketReader} takes care of.
 *
 * - The readable side ends when the WebSocket closes. A text message breaks
 *   [MQTT-6.0.0-1]: the WebSocket is closed and the readable side errors
 *   with {@linkcode MqttError} 0x82.
 * - The writable side waits for the WebSocket to open, sends every chunk as
 *   one binary message and closes the WebSocket when it is closed or
 *   aborted. A WebSocket cannot say when its peer took the data: a write
 *   resolves once the message is queued (see `bufferedAmount`).
 * - Cancelling the readable side closes the WebSocket too.
 *
 * Servers should accept the subprotocol `"mqtt"` and clients ask for it
 * (section 6).
 *
 * @param socket A WebSocket, open or still connecting. Its `binaryType` is
 * set to `"arraybuffer"`.
 * @returns The readable and the writable side.
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
export function webSocketStreams(socket: WebSocket): WebSocketStreams {
  socket.binaryType = "arraybuffer";
  let done = false;
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      socket.addEventListener("message", (event) => {
        if (done) return;
        const data = (event as MessageEvent).data;
        // the tag, not instanceof: an ArrayBuffer may come from another realm
        if (Object.prototype.toString.call(data) === "[object ArrayBuffer]") {
          controller.enqueue(new Uint8Array(data));
          return;
        }
        // [MQTT-6.0.0-1] Only binary messages may carry MQTT; on anything
        // else the recipient closes the connection.
        done = true;
        controller.error(
          new MqttError(
            "WebSocket: a text message was received; MQTT travels in binary messages only [MQTT-6.0.0-1]",
            PROTOCOL_ERROR,
          ),
        );
        socket.close();
      });
      socket.addEventListener("close", () => {
        if (done) return;
        done = true;
        controller.close();
      });
      socket.addEventListener("error", () => {
        if (done) return;
        done = true;
        controller.error(
          new MqttError("WebSocket: the connection failed", UNSPECIFIED_ERROR),
        );
      });
    },
    cancel() {
      done = true;
      socket.close();
    },
  });
  const writable = new WritableStream<Uint8Array>({
    start() {
      if (socket.readyState !== CONNECTING) return;
      return new Promise<void>((resolve, reject) => {
        const fail = () =>
          reject(
            new MqttError(
              "WebSocket: the connection could not be opened",
              UNSPECIFIED_ERROR,
            ),
          );
        socket.addEventListener("open", () => resolve(), { once: true });
        socket.addEventListener("error", fail, { once: true });
        socket.addEventListener("close", fail, { once: true });
      });
    },
    write(chunk) {
      if (socket.readyState !== OPEN) {
        throw new MqttError(
          "WebSocket: cannot send: the connection is closed",
          UNSPECIFIED_ERROR,
        );
      }
      socket.send(chunk);
    },
    close() {
      socket.close();
    },
    abort() {
      socket.close();
    },
  });
  return { readable, writable };
}
