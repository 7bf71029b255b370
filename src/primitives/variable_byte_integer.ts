/**
 * Variable Byte Integer (MQTT 5.0 section 1.5.5): 7 bits per byte, least
 * significant first, the top bit saying that another byte follows; 1 to 4
 * bytes, encoded in the fewest bytes [MQTT-1.5.5-1].
 *
 * @module
 */

import {
  checkAvailable,
  checkRange,
  checkRoom,
  dataTypeError,
} from "./data_type_error.ts";

const NAME = "Variable Byte Integer";

/**
 * The largest Variable Byte Integer: 268,435,455 (4 bytes).
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { MAX_VARIABLE_BYTE_INTEGER } from "@mqtt/codec/primitives";
 *
 * assertEquals(MAX_VARIABLE_BYTE_INTEGER, 2 ** 28 - 1);
 * ```
 */
export const MAX_VARIABLE_BYTE_INTEGER = 268_435_455;

/** {@linkcode readVariableByteInteger}: the bytes end before the last one. */
export const VBI_CUT_OFF = -1;
/** {@linkcode readVariableByteInteger}: not in the fewest bytes [MQTT-1.5.5-1]. */
export const VBI_NOT_MINIMAL = -2;
/** {@linkcode readVariableByteInteger}: a 5th byte would follow (section 1.5.5). */
export const VBI_TOO_LONG = -3;

/**
 * Reads a Variable Byte Integer from `source[offset..end)` without
 * throwing: the value, or one of the negative `VBI_*` codes. A value takes
 * {@linkcode variableByteIntegerLength} bytes, since only the shortest form
 * is accepted.
 */
export function readVariableByteInteger(
  source: Uint8Array,
  offset: number,
  end: number,
): number {
  let value = 0;
  let multiplier = 1;
  for (let i = 0; i < 4; i++) {
    if (offset + i >= end) return VBI_CUT_OFF;
    const byte = source[offset + i];
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) {
      return byte === 0 && i > 0 ? VBI_NOT_MINIMAL : value;
    }
    multiplier *= 128;
  }
  return VBI_TOO_LONG;
}

/** Writes a Variable Byte Integer (checked by the caller); returns the offset after it. */
export function writeVariableByteInteger(
  target: Uint8Array,
  offset: number,
  value: number,
): number {
  while (value >= 128) {
    target[offset++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  target[offset++] = value;
  return offset;
}

/**
 * The number of bytes the Variable Byte Integer `value` takes (1 to 4), for
 * a value already checked: the codec's own path, without the check of
 * {@linkcode variableByteIntegerLength}.
 */
export function vbiLength(value: number): number {
  return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
}

/**
 * The number of bytes a Variable Byte Integer takes: 1 to 4.
 *
 * @param value An integer from 0 to 268,435,455.
 * @returns The size of its shortest encoding.
 * @throws {MqttError} 0x81 when `value` is out of range.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { variableByteIntegerLength } from "@mqtt/codec/primitives";
 *
 * assertEquals(variableByteIntegerLength(127), 1);
 * assertEquals(variableByteIntegerLength(128), 2);
 * ```
 */
export function variableByteIntegerLength(value: number): number {
  checkRange(NAME, value, MAX_VARIABLE_BYTE_INTEGER);
  return vbiLength(value);
}

/**
 * Encodes a Variable Byte Integer into `target` at `offset`, in the fewest
 * bytes.
 *
 * @param value An integer from 0 to 268,435,455.
 * @param target The buffer to write into.
 * @param offset Where to write (default 0).
 * @returns The offset just after the bytes written.
 * @throws {MqttError} 0x81 when `value` is out of range or `target` has no room.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encodeVariableByteInteger } from "@mqtt/codec/primitives";
 *
 * const target = new Uint8Array(4);
 * assertEquals(encodeVariableByteInteger(321, target), 2);
 * assertEquals(target.subarray(0, 2), new Uint8Array([0xc1, 0x02]));
 * ```
 */
export function encodeVariableByteInteger(
  value: number,
  target: Uint8Array,
  offset = 0,
): number {
  checkRange(NAME, value, MAX_VARIABLE_BYTE_INTEGER);
  checkRoom(NAME, target, offset, vbiLength(value));
  return writeVariableByteInteger(target, offset, value);
}

/**
 * Decodes the Variable Byte Integer at `offset`.
 *
 * @param source The bytes to read.
 * @param offset Where the integer starts (default 0).
 * @returns The value and the offset just after it.
 * @throws {MqttError} 0x81 when it is cut off, has more than 4 bytes, or is
 * not in its shortest form [MQTT-1.5.5-1].
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decodeVariableByteInteger } from "@mqtt/codec/primitives";
 *
 * assertEquals(decodeVariableByteInteger(new Uint8Array([0xc1, 0x02])), [321, 2]);
 * ```
 */
export function decodeVariableByteInteger(
  source: Uint8Array,
  offset = 0,
): [value: number, offset: number] {
  checkAvailable(NAME, source, offset, 1);
  const value = readVariableByteInteger(source, offset, source.length);
  if (value < 0) throw dataTypeError(NAME, problemOf(value), offset);
  return [value, offset + vbiLength(value)];
}

/** What a negative result of {@linkcode readVariableByteInteger} means, for messages. */
export function problemOf(code: number): string {
  return code === VBI_CUT_OFF
    ? "is cut off before its last byte"
    : code === VBI_NOT_MINIMAL
    ? "is not encoded in the minimum number of bytes [MQTT-1.5.5-1]"
    : "has more than 4 bytes [MQTT-1.5.5-1]";
}
