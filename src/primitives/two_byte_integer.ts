/**
 * Two Byte Integer (MQTT 5.0 section 1.5.2): 16 bits, big-endian.
 *
 * @module
 */

import { checkAvailable, checkRange, checkRoom } from "./data_type_error.ts";

const NAME = "Two Byte Integer";

/** Reads a Two Byte Integer; the caller has checked that 2 bytes are there. */
export function readTwoByteInteger(source: Uint8Array, offset: number): number {
  return (source[offset] << 8) | source[offset + 1];
}

/** Writes a Two Byte Integer (0 to 65535, checked by the caller); returns the offset after it. */
export function writeTwoByteInteger(
  target: Uint8Array,
  offset: number,
  value: number,
): number {
  target[offset] = value >>> 8;
  target[offset + 1] = value;
  return offset + 2;
}

/**
 * Encodes a Two Byte Integer into `target` at `offset`.
 *
 * @param value An integer from 0 to 65535.
 * @param target The buffer to write into.
 * @param offset Where to write (default 0).
 * @returns The offset just after the 2 bytes written.
 * @throws {MqttError} 0x81 when `value` is out of range or `target` has no room.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encodeTwoByteInteger } from "@mqtt/codec/primitives";
 *
 * const target = new Uint8Array(2);
 * assertEquals(encodeTwoByteInteger(0x1234, target), 2);
 * assertEquals(target, new Uint8Array([0x12, 0x34]));
 * ```
 */
export function encodeTwoByteInteger(
  value: number,
  target: Uint8Array,
  offset = 0,
): number {
  checkRange(NAME, value, 0xffff);
  checkRoom(NAME, target, offset, 2);
  return writeTwoByteInteger(target, offset, value);
}

/**
 * Decodes the Two Byte Integer at `offset`.
 *
 * @param source The bytes to read.
 * @param offset Where the integer starts (default 0).
 * @returns The value and the offset just after it.
 * @throws {MqttError} 0x81 when fewer than 2 bytes are left.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decodeTwoByteInteger } from "@mqtt/codec/primitives";
 *
 * assertEquals(decodeTwoByteInteger(new Uint8Array([0x12, 0x34])), [0x1234, 2]);
 * ```
 */
export function decodeTwoByteInteger(
  source: Uint8Array,
  offset = 0,
): [value: number, offset: number] {
  checkAvailable(NAME, source, offset, 2);
  return [readTwoByteInteger(source, offset), offset + 2];
}

/**
 * The number of bytes a Two Byte Integer takes: 2, once `value` is checked.
 *
 * @param value An integer from 0 to 65535.
 * @returns 2.
 * @throws {MqttError} 0x81 when `value` is out of range.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { twoByteIntegerLength } from "@mqtt/codec/primitives";
 *
 * assertEquals(twoByteIntegerLength(65_535), 2);
 * ```
 */
export function twoByteIntegerLength(value: number): number {
  checkRange(NAME, value, 0xffff);
  return 2;
}
