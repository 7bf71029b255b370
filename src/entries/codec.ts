/**
 * The pure codec, without streams: {@linkcode encode} and {@linkcode decode}
 * turn one MQTT 5.0 or 3.1.1 control packet into bytes and back,
 * {@linkcode packetSize} frames a packet in a buffer, and every failure is an
 * {@linkcode MqttError} carrying a {@linkcode ReasonCode}. The packet types
 * ({@linkcode Packet} and the rest) are exported here too.
 *
 * @example Encoding and decoding a SUBSCRIBE
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decode, encode, type Packet } from "@mqtt/codec/codec";
 *
 * const subscribe: Packet = {
 *   type: "subscribe",
 *   packetId: 1,
 *   subscriptions: [{ topicFilter: "sensors/+/temperature", qos: 1 }],
 * };
 * const bytes = encode(subscribe, { protocolVersion: 4 });
 * assertEquals(decode(bytes, { protocolVersion: 4 }), subscribe);
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
} from "../codec.ts";
export { MqttError } from "../error.ts";
export {
  isValidReasonCode,
  ReasonCode,
  type ReasonCodeName,
  reasonCodeName,
} from "../reason_code.ts";
export type * from "../packet.ts";
