/**
 * Four Byte Integer (MQTT 5.0 section 1.5.3): 32 bits, big-endian, unsigned.
 *
 * @module
 */

import { checkAvailable, checkRange, checkRoom } from "./data_type_error.ts";

const NAME = "Four Byte Integer";

/** The largest Four Byte Integer (section 1.5.3). */
export const MAX_FOUR_BYTE_INTEGER = 0xffff_ffff;

/** Reads a Four Byte Integer; the caller has checked that 4 bytes are there. */
export function readFourByteInteger(
  source: Uint8Array,
  offset: number,
): number {
  // `<< 24` would make the top bit a sign: multiply the top byte instead
  return source[offset] * 0x1000000 +
    ((source[offset + 1] << 16) | (source[offset + 2] << 8) |
      source[offset + 3]);
}

/** Writes a Four Byte Integer (checked by the caller); returns the offset after it. */
export function writeFourByteInteger(
  target: Uint8Array,
  offset: number,
  value: number,
): number {
  target[offset] = value >>> 24;
  target[offset + 1] = value >>> 16;
  target[offset + 2] = value >>> 8;
  target[offset + 3] = value;
  return offset + 4;
}

/**
 * Encodes a Four Byte Integer into `target` at `offset`.
 *
 * @param value An integer from 0 to 4,294,967,295.
 * @param target The buffer to write into.
 * @param offset Where to write (default 0).
 * @returns The offset just after the 4 bytes written.
 * @throws {MqttError} 0x81 when `value` is out of range or `target` has no room.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encodeFourByteInteger } from "@mqtt/codec/primitives";
 *
 * const target = new Uint8Array(4);
 * assertEquals(encodeFourByteInteger(0xfffffffe, target), 4);
 * assertEquals(target, new Uint8Array([0xff, 0xff, 0xff, 0xfe]));
 * ```
 */
export function encodeFourByteInteger(
  value: number,
  target: Uint8Array,
  offset = 0,
): number {
  checkRange(NAME, value, MAX_FOUR_BYTE_INTEGER);
  checkRoom(NAME, target, offset, 4);
  return writeFourByteInteger(target, offset, value);
}

/**
 * Decodes the Four Byte Integer at `offset`.
 *
 * @param source The bytes to read.
 * @param offset Where the integer starts (default 0).
 * @returns The value and the offset just after it.
 * @throws {MqttError} 0x81 when fewer than 4 bytes are left.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decodeFourByteInteger } from "@mqtt/codec/primitives";
 *
 * const bytes = new Uint8Array([0x00, 0x00, 0x0e, 0x10]);
 * assertEquals(decodeFourByteInteger(bytes), [3600, 4]);
 * ```
 */
export function decodeFourByteInteger(
  source: Uint8Array,
  offset = 0,
): [value: number, offset: number] {
  checkAvailable(NAME, source, offset, 4);
  return [readFourByteInteger(source, offset), offset + 4];
}

/**
 * The number of bytes a Four Byte Integer takes: 4, once `value` is checked.
 *
 * @param value An integer from 0 to 4,294,967,295.
 * @returns 4.
 * @throws {MqttError} 0x81 when `value` is out of range.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { fourByteIntegerLength } from "@mqtt/codec/primitives";
 *
 * assertEquals(fourByteIntegerLength(3600), 4);
 * ```
 */
export function fourByteIntegerLength(value: number): number {
  checkRange(NAME, value, MAX_FOUR_BYTE_INTEGER);
  return 4;
}
