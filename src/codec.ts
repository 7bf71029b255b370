/**
 * The fixed header (section 2.1) and the dispatch to the codec of each
 * control packet: {@linkcode encode}, {@linkcode decode}, and the framing
 * helpers the stream adapters rest on.
 *
 * @module
 */

import type { PayloadSlab } from "./_payload_slab.ts";
import { DEFAULT_MAXIMUM_PACKET_SIZE } from "./defaults.ts";
import { MqttError } from "./error.ts";
import type { Packet, ProtocolVersion } from "./packet.ts";
import { BY_CODE, codecOf, PACKET_NAMES } from "./packets/registry.ts";
import { isOwn } from "./packets/shape.ts";
import { Cursor } from "./primitives/cursor.ts";
import { describe } from "./primitives/writer.ts";
import {
  problemOf,
  readVariableByteInteger,
  VBI_CUT_OFF,
  vbiLength,
} from "./primitives/variable_byte_integer.ts";
import {
  MQTT_5_0,
  type Protocol,
  protocolOf,
  SUPPORTED_VERSIONS,
} from "./protocol.ts";
import { ReasonCode } from "./reason_code.ts";

export { PACKET_NAMES };

/**
 * The largest packet MQTT can frame: a 1-byte type, a 4-byte Remaining
 * Length and 268,435,455 bytes after them (section 2.1.4).
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { MAXIMUM_PACKET_SIZE } from "@mqtt/codec";
 *
 * assertEquals(MAXIMUM_PACKET_SIZE, 268_435_460);
 * ```
 */
export const MAXIMUM_PACKET_SIZE: number = DEFAULT_MAXIMUM_PACKET_SIZE;

/**
 * Options of {@linkcode decode}.
 *
 * @example Usage
 * ```ts
 * import type { DecodeOptions } from "@mqtt/codec";
 * const options: DecodeOptions = { protocolVersion: 4, maximumPacketSize: 65_536 };
 * ```
 */
export interface DecodeOptions {
  /** The version to decode with: 5 (MQTT 5.0, the default), 4 (MQTT 3.1.1) or 3 (MQTT 3.1). A CONNECT uses its own. */
  protocolVersion?: ProtocolVersion;
  /** Reject packets larger than this many bytes, fixed header included, with 0x95 Packet too large. */
  maximumPacketSize?: number;
}

/**
 * Options of {@linkcode encode}.
 *
 * @example Usage
 * ```ts
 * import type { EncodeOptions } from "@mqtt/codec";
 * const options: EncodeOptions = { protocolVersion: 4 };
 * ```
 */
export interface EncodeOptions {
  /** The version to encode with: 5 (MQTT 5.0, the default), 4 (MQTT 3.1.1) or 3 (MQTT 3.1). A CONNECT uses its own. */
  protocolVersion?: ProtocolVersion;
}

/** The rule that a type's fixed header flags are as listed, by version. */
function flagsRule(code: number, protocol: Protocol): string {
  switch (code) {
    case 6:
      return "[MQTT-3.6.1-1]";
    case 8:
      return "[MQTT-3.8.1-1]";
    case 10:
      return "[MQTT-3.10.1-1]";
    default:
      return protocol.rules.fixedHeaderFlags;
  }
}

/**
 * Checks a protocol version option. `undefined` means "not fixed" and is
 * returned as it is, unless `required` (a version set later must be named:
 * then `undefined` is refused, and the message says "got undefined").
 */
export function checkVersionOption(
  value: unknown,
  where: string,
  required = false,
): ProtocolVersion | undefined {
  if (value === undefined && !required) return undefined;
  const protocol = protocolOf(value);
  if (protocol !== undefined) return protocol.version;
  throw new MqttError(
    `${where}: protocolVersion must be ${SUPPORTED_VERSIONS}, got ${
      describe(value)
    }`,
    ReasonCode.UnsupportedProtocolVersion,
  );
}

/** An option given in `options` itself: an inherited key is not an option. */
function ownOption<O extends object, K extends keyof O>(
  options: O | undefined,
  key: K,
): O[K] | undefined {
  return options !== undefined && options !== null &&
      isOwn(options, key as string)
    ? options[key]
    : undefined;
}

/** The protocol object of a version option; `undefined` means 5.0. */
function protocolOption(value: unknown, where: string): Protocol {
  return value === undefined
    ? MQTT_5_0
    : protocolOf(checkVersionOption(value, where))!;
}

/** Checks a maximum packet size option; `undefined` means the protocol maximum. */
export function checkMaximumOption(value: unknown, where: string): number {
  if (value === undefined) return MAXIMUM_PACKET_SIZE;
  // A Maximum Packet Size of 0 is a Protocol Error (section 3.1.2.11.4). A
  // peer may announce 1, which no packet meets; it is taken as it is.
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new MqttError(
      `${where}: maximumPacketSize must be a positive integer, got ${
        describe(value)
      }`,
      ReasonCode.ProtocolError,
    );
  }
  return Math.min(value, MAXIMUM_PACKET_SIZE);
}

/**
 * The size of the packet that starts at `offset`: its fixed header plus its
 * Remaining Length. Returns -1 while the bytes before `end` do not yet hold
 * the whole fixed header; throws {@linkcode MqttError} 0x81 when the
 * Remaining Length is malformed (a 5th byte, or not minimally encoded
 * [MQTT-1.5.5-1]) or the packet type is 0 (reserved).
 *
 * @param bytes The buffer holding the packet.
 * @param offset Where the packet starts (default 0).
 * @param end Where the bytes received so far end (default: the buffer's end).
 * @returns The packet's size in bytes, or -1 when more bytes are needed.
 *
 * @example Framing a stream of bytes
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { packetSize } from "@mqtt/codec";
 *
 * const bytes = new Uint8Array([0xc0, 0x00, 0xd0, 0x00]); // PINGREQ, PINGRESP
 * assertEquals(packetSize(bytes, 0), 2);
 * assertEquals(packetSize(bytes, 2), 2);
 * assertEquals(packetSize(bytes.subarray(0, 1), 0), -1);
 * ```
 */
export function packetSize(
  bytes: Uint8Array,
  offset = 0,
  end: number = bytes.length,
): number {
  if (!(bytes instanceof Uint8Array)) {
    throw new MqttError(
      `packetSize: expected a Uint8Array, got ${describe(bytes)}`,
      ReasonCode.MalformedPacket,
    );
  }
  if (
    !Number.isInteger(offset) || !Number.isInteger(end) || offset < 0 ||
    end > bytes.length || end < 0
  ) {
    throw new MqttError(
      `packetSize: offset ${describe(offset)} and end ${
        describe(end)
      } must be integers with 0 <= offset and end <= the buffer's length ${bytes.length}`,
      ReasonCode.MalformedPacket,
    );
  }
  if (offset >= end) return -1;
  if (bytes[offset] < 0x10) {
    throw new MqttError(
      `Fixed header: packet type 0 is reserved and forbidden (section 2.1.2) at byte offset ${offset}`,
      ReasonCode.MalformedPacket,
    );
  }
  const length = readVariableByteInteger(bytes, offset + 1, end);
  if (length === VBI_CUT_OFF) return -1;
  if (length < 0) {
    throw new MqttError(
      `${PACKET_NAMES[bytes[offset] >> 4]}: Remaining Length ${
        problemOf(length)
      } at byte offset ${offset + 1}`,
      ReasonCode.MalformedPacket,
    );
  }
  return 1 + vbiLength(length) + length;
}

/**
 * Decodes the one whole packet that fills `bytes[start..end)`, whose size
 * {@linkcode packetSize} has already established. Payloads and binary fields
 * are views into `bytes`, or copies made by `copies` when given.
 */
export function decodePacket(
  bytes: Uint8Array,
  start: number,
  end: number,
  protocolVersion: ProtocolVersion,
  copies?: PayloadSlab,
): Packet {
  return decodeWith(
    bytes,
    start,
    end,
    protocolOf(protocolVersion) ?? MQTT_5_0,
    copies,
  );
}

function decodeWith(
  bytes: Uint8Array,
  start: number,
  end: number,
  protocol: Protocol,
  copies?: PayloadSlab,
): Packet {
  const first = bytes[start];
  const code = first >> 4;
  const flags = first & 0x0f;
  let bodyStart = start + 2;
  while (bytes[bodyStart - 1] & 0x80) bodyStart++;
  const codec = BY_CODE[code];
  const c = new Cursor(
    bytes,
    start,
    bodyStart,
    end,
    PACKET_NAMES[code],
    protocol,
    copies,
  );
  if (codec === undefined) {
    return c.fail(
      "Packet type",
      "0 is reserved and forbidden (section 2.1.2)",
      ReasonCode.MalformedPacket,
      start,
    );
  }
  if (
    codec.flags !== -1 && flags !== codec.flags &&
    // MQTT 3.1 sets DUP on a PUBREL, SUBSCRIBE or UNSUBSCRIBE sent again
    !(protocol.dupOnQoS1Packets && codec.flags === 2 && flags === 0b1010)
  ) {
    c.fail(
      "Fixed header flags",
      `must be ${codec.flags.toString(2).padStart(4, "0")}, got ${
        flags.toString(2).padStart(4, "0")
      } ${flagsRule(code, protocol)}`,
      ReasonCode.MalformedPacket,
      start,
    );
  }
  if (codec.type === "auth" && !protocol.auth) {
    c.fail(
      "Packet type",
      `15 (AUTH) does not exist in ${protocol.label}, where it is reserved ${protocol.rules.reservedType}`,
      ReasonCode.MalformedPacket,
      start,
    );
  }
  const packet = codec.decode(c, flags);
  c.done("The packet");
  return packet;
}

/**
 * Decodes exactly one whole MQTT packet, fixed header included. Payloads,
 * binary properties and correlation data are views into `bytes`, not copies.
 *
 * @param bytes One packet, nothing more and nothing less.
 * @param options The protocol version (5 by default; a CONNECT carries its
 * own) and an optional maximum packet size.
 * @returns The packet.
 * @throws {MqttError} When the bytes are not one well-formed packet that
 * follows the specification; `reasonCode` says why (0x81 Malformed Packet,
 * 0x82 Protocol Error, 0x84 Unsupported Protocol Version, 0x95 Packet too
 * large).
 *
 * @example Decoding a PUBLISH
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decode } from "@mqtt/codec";
 *
 * const bytes = new Uint8Array([
 *   0x30, 0x08, // PUBLISH, QoS 0, Remaining Length 8
 *   0x00, 0x03, 0x61, 0x2f, 0x62, // Topic Name "a/b"
 *   0x00, // no properties
 *   0x68, 0x69, // payload "hi"
 * ]);
 * const packet = decode(bytes);
 * assertEquals(packet.type, "publish");
 * if (packet.type === "publish") {
 *   assertEquals(packet.topic, "a/b");
 *   assertEquals(new TextDecoder().decode(packet.payload), "hi");
 * }
 * ```
 */
export function decode(bytes: Uint8Array, options?: DecodeOptions): Packet {
  if (!(bytes instanceof Uint8Array)) {
    throw new MqttError(
      `decode: expected a Uint8Array, got ${
        bytes === null ? "null" : typeof bytes
      }`,
      ReasonCode.MalformedPacket,
    );
  }
  const protocol = protocolOption(
    ownOption(options, "protocolVersion"),
    "decode",
  );
  const size = packetSize(bytes, 0);
  if (size === -1) {
    throw new MqttError(
      `${
        bytes.length === 0 ? "decode" : PACKET_NAMES[bytes[0] >> 4]
      }: the fixed header is cut off after ${bytes.length} byte(s) at byte offset ${bytes.length}`,
      ReasonCode.MalformedPacket,
    );
  }
  const maximumOption = ownOption(options, "maximumPacketSize");
  const maximum = maximumOption === undefined
    ? MAXIMUM_PACKET_SIZE
    : checkMaximumOption(maximumOption, "decode");
  if (size > maximum) {
    throw new MqttError(
      `${
        PACKET_NAMES[bytes[0] >> 4]
      }: the packet is ${size} bytes, above the maximum packet size of ${maximum} at byte offset 0`,
      ReasonCode.PacketTooLarge,
    );
  }
  if (size !== bytes.length) {
    throw new MqttError(
      size > bytes.length
        ? `${
          PACKET_NAMES[bytes[0] >> 4]
        }: the packet is cut off: its fixed header announces ${size} bytes but only ${bytes.length} were given, at byte offset ${bytes.length}`
        : `${PACKET_NAMES[bytes[0] >> 4]}: ${
          bytes.length - size
        } byte(s) follow the end of the packet at byte offset ${size}`,
      ReasonCode.MalformedPacket,
    );
  }
  return decodeWith(bytes, 0, size, protocol);
}

/**
 * Encodes a packet into a new `Uint8Array`, validating it as strictly as
 * {@linkcode decode} does: it never writes a packet that `decode` rejects.
 *
 * @param packet The packet to encode.
 * @param options The protocol version (5 by default; a CONNECT carries its
 * own).
 * @returns The packet's bytes, fixed header included.
 * @throws {MqttError} When the packet breaks a rule of the specification or
 * holds something the protocol version cannot carry.
 *
 * @example Encoding a PUBLISH
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encode } from "@mqtt/codec";
 *
 * const bytes = encode({
 *   type: "publish",
 *   topic: "a/b",
 *   payload: new TextEncoder().encode("hi"),
 *   qos: 0,
 *   retain: false,
 *   dup: false,
 * });
 * assertEquals(
 *   bytes,
 *   new Uint8Array([0x30, 0x08, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x00, 0x68, 0x69]),
 * );
 * ```
 */
export function encode(packet: Packet, options?: EncodeOptions): Uint8Array {
  return encodePacket(packet, options, undefined, "encode");
}

/**
 * Encodes a packet as {@linkcode encode} does, but into the front of
 * `target` when it fits there, so that a caller who reuses a buffer (to
 * write to a socket, say) allocates nothing. A packet larger than `target`
 * gets a new array, as from `encode`; `target` is left as it was then.
 *
 * @param packet The packet to encode.
 * @param target Where to write the packet; pass `buffer.subarray(offset)`
 * to write further in.
 * @param options The protocol version (5 by default; a CONNECT carries its
 * own).
 * @returns The packet's bytes: a view of the front of `target` when the
 * packet fits, else a new array.
 * @throws {MqttError} When the packet breaks a rule of the specification or
 * holds something the protocol version cannot carry.
 *
 * @example Encoding into a reused buffer
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { encode, encodeInto } from "@mqtt/codec";
 *
 * const scratch = new Uint8Array(1024);
 * const bytes = encodeInto({ type: "puback", packetId: 7 }, scratch);
 * assert(bytes.buffer === scratch.buffer);
 * assertEquals(bytes, encode({ type: "puback", packetId: 7 }));
 * ```
 */
export function encodeInto(
  packet: Packet,
  target: Uint8Array,
  options?: EncodeOptions,
): Uint8Array {
  if (!(target instanceof Uint8Array)) {
    throw new MqttError(
      `encodeInto: target must be a Uint8Array, got ${describe(target)}`,
      ReasonCode.MalformedPacket,
    );
  }
  return encodePacket(packet, options, target, "encodeInto");
}

function encodePacket(
  packet: Packet,
  options: EncodeOptions | undefined,
  into: Uint8Array | undefined,
  what: string,
): Uint8Array {
  const protocol = protocolOption(
    ownOption(options, "protocolVersion"),
    what,
  );
  if (typeof packet !== "object" || packet === null) {
    throw new MqttError(
      `${what}: expected a packet object, got ${
        packet === null ? "null" : typeof packet
      }`,
      ReasonCode.MalformedPacket,
    );
  }
  const type = isOwn(packet, "type") ? packet.type : undefined;
  const codec = codecOf(type);
  if (codec === undefined) {
    throw new MqttError(
      `${what} (${protocol.label}): unknown packet type ${describe(type)}`,
      ReasonCode.ProtocolError,
    );
  }
  return codec.encode(packet, protocol, into);
}
