/**
 * MQTT over WebSocket (section 6): {@linkcode webSocketStreams} turns a
 * standard `WebSocket` (browser, Deno, Node 22+, Bun, Cloudflare Workers)
 * into a pair of byte streams for `PacketReader` and `PacketWriter`, with
 * back-pressure on its writes; {@linkcode connectWebSocket} opens a client
 * socket for MQTT and uses the runtime's `WebSocketStream` where there is
 * one.
 *
 * @example Packet streams over a WebSocket
 * ```ts
 * import { PacketReader, PacketWriter } from "@mqtt/codec";
 * import { webSocketStreams } from "@mqtt/codec/websocket";
 *
 * // Call with `new WebSocket("ws://127.0.0.1:8080", "mqtt")`, or with the
 * // socket a server upgraded (README.md has a Deno WebSocket server).
 * export function mqttOver(socket: WebSocket) {
 *   const { readable, writable } = webSocketStreams(socket);
 *   return { reader: new PacketReader(readable), writer: new PacketWriter(writable) };
 * }
 * ```
 *
 * @module
 */

export {
  type WebSocketLike,
  type WebSocketListener,
  type WebSocketStreams,
  webSocketStreams,
  type WebSocketStreamsOptions,
} from "../web_socket_streams.ts";
export {
  connectWebSocket,
  type ConnectWebSocketOptions,
  type WebSocketConnection,
} from "../connect_web_socket.ts";
