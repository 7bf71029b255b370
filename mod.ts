/**
 * A strict, fast codec for every MQTT 5.0 and 3.1.1 control packet, on
 * web-standard streams.
 *
 * - {@linkcode encode} and {@linkcode decode} turn one packet into bytes
 *   and back, checking every rule of the specification a codec can check.
 * - {@linkcode PacketReader} reads packets from any
 *   `ReadableStream<Uint8Array>`; {@linkcode PacketWriter} writes them to any
 *   `WritableStream<Uint8Array>`; {@linkcode PacketParser} parses the chunks
 *   of a socket that hands them out by callback.
 * - Every failure is an {@linkcode MqttError} carrying the MQTT 5 reason code
 *   a peer would send.
 *
 * @example Round trip
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decode, encode, type Packet } from "@mqtt/codec";
 *
 * const packet: Packet = {
 *   type: "publish",
 *   topic: "sensors/1/temperature",
 *   payload: new TextEncoder().encode("21.5"),
 *   qos: 1,
 *   retain: false,
 *   dup: false,
 *   packetId: 7,
 *   contentType: "text/plain",
 * };
 * assertEquals(decode(encode(packet)), packet);
 * ```
 *
 * @module
 */

export {
  decode,
  type DecodeOptions,
  encode,
  encodeInto,
  type EncodeOptions,
  MAXIMUM_PACKET_SIZE,
  packetSize,
} from "./src/codec.ts";
export * from "./src/defaults.ts";
export { MqttError } from "./src/error.ts";
export { PacketParser, type PacketParserOptions } from "./src/packet_parser.ts";
export { PacketReader, type PacketReaderOptions } from "./src/packet_reader.ts";
export {
  PacketDecoderStream,
  type PacketDecoderStreamOptions,
} from "./src/packet_decoder_stream.ts";
export { PacketWriter, type PacketWriterOptions } from "./src/packet_writer.ts";
export {
  PacketEncoderStream,
  type PacketEncoderStreamOptions,
} from "./src/packet_encoder_stream.ts";
export type {
  ReadableStreamLike,
  ReadableStreamReaderLike,
  WritableStreamLike,
  WritableStreamWriterLike,
} from "./src/stream_like.ts";
export {
  isValidReasonCode,
  ReasonCode,
  type ReasonCodeName,
  reasonCodeName,
} from "./src/reason_code.ts";
export {
  isSharedSubscription,
  isValidTopicFilter,
  isValidTopicName,
  topicMatches,
} from "./src/topic.ts";
export { type SharedSubscriptionGroup, TopicTree } from "./src/topic_tree.ts";
export { TopicMap } from "./src/topic_map.ts";
export {
  type WebSocketLike,
  type WebSocketListener,
  type WebSocketStreams,
  webSocketStreams,
  type WebSocketStreamsOptions,
} from "./src/web_socket_streams.ts";
export {
  connectWebSocket,
  type ConnectWebSocketOptions,
  type WebSocketConnection,
} from "./src/connect_web_socket.ts";
export type * from "./src/packet.ts";
