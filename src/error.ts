/**
 * The one error type the library throws.
 *
 * @module
 */

/**
 * Thrown for every packet that breaks the MQTT specification, on decode and
 * on encode alike. `reasonCode` is the MQTT 5 reason code a peer would send
 * in answer (0x81 Malformed Packet, 0x82 Protocol Error, 0x84 Unsupported
 * Protocol Version, 0x95 Packet too large, ...); the message names the
 * packet, the field and, on decode, the byte offset.
 *
 * @example Catching a malformed packet
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decode, MqttError, ReasonCode } from "@mqtt/codec";
 *
 * try {
 *   decode(new Uint8Array([0x36, 0x00])); // PUBLISH with QoS 3
 * } catch (error) {
 *   if (!(error instanceof MqttError)) throw error;
 *   assertEquals(error.reasonCode, ReasonCode.MalformedPacket);
 * }
 * ```
 */
export class MqttError extends Error {
  /**
   * The MQTT 5 reason code that describes the failure.
   *
   * @example Usage
   * ```ts
   * import { assertEquals, assertThrows } from "@std/assert";
   * import { decode, MqttError, reasonCodeName } from "@mqtt/codec";
   *
   * // A CONNECT named "MQTT" with protocol level 3: level 3 is MQTT 3.1,
   * // whose protocol name is "MQIsdp", so the pair is not a version.
   * const connect = new Uint8Array([
   *   0x10, 0x0d, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x03, 0x02, 0x00, 0x3c,
   *   0x00, 0x01, 0x61,
   * ]);
   * const error = assertThrows(() => decode(connect), MqttError);
   * assertEquals(reasonCodeName(error.reasonCode), "UnsupportedProtocolVersion");
   * ```
   */
  readonly reasonCode: number;

  /**
   * Makes an error with a message and the reason code a peer would send.
   *
   * @param message What was wrong and where.
   * @param reasonCode The MQTT 5 reason code (default 0x81 Malformed Packet).
   * @param options Standard error options, such as `cause`.
   *
   * @example Refusing a packet in your own code
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { MqttError, ReasonCode } from "@mqtt/codec";
   *
   * const error = new MqttError(
   *   "PUBLISH: topic not allowed for this client",
   *   ReasonCode.NotAuthorized,
   * );
   * assertEquals(error.name, "MqttError");
   * assertEquals(error.reasonCode, 0x87);
   * ```
   */
  constructor(message: string, reasonCode = 0x81, options?: ErrorOptions) {
    super(message, options);
    this.name = "MqttError";
    this.reasonCode = reasonCode;
  }
}
