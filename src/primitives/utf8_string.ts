/**
 * UTF-8 Encoded String (MQTT 5.0 section 1.5.4): a Two Byte Integer length,
 * then at most 65,535 bytes of well-formed UTF-8 without U+0000
 * [MQTT-1.5.4-1, MQTT-1.5.4-2]. A BOM is kept as it is [MQTT-1.5.4-3].
 *
 * @module
 */

import { MqttError } from "../error.ts";
import {
  checkAvailable,
  checkRoom,
  dataTypeError,
  describe,
} from "./data_type_error.ts";
import { readTwoByteInteger, writeTwoByteInteger } from "./two_byte_integer.ts";
import {
  decodeUtf8,
  LONE_SURROGATE,
  NULL_CHARACTER,
  utf8Length,
  writeUtf8,
} from "./utf8.ts";

const NAME = "UTF-8 Encoded String";

/** The most bytes a UTF-8 Encoded String holds. */
export const MAX_STRING_BYTES = 65_535;

/**
 * Why a string cannot be a UTF-8 Encoded String, from what
 * {@linkcode utf8Length} measured, or `undefined` when it can.
 */
export function stringProblem(
  length: number,
  rules: { readonly utf8WellFormed: string; readonly utf8NoNull: string } =
    MQTT_5_0_RULES,
): string | undefined {
  if (length === NULL_CHARACTER) {
    return `must not contain U+0000 ${rules.utf8NoNull}`;
  }
  if (length === LONE_SURROGATE) {
    return `contains a lone surrogate, which has no UTF-8 form ${rules.utf8WellFormed}`;
  }
  if (length > MAX_STRING_BYTES) {
    return `is ${length} bytes of UTF-8, above the maximum of ${MAX_STRING_BYTES} (section 1.5.4)`;
  }
  return undefined;
}

const MQTT_5_0_RULES = {
  utf8WellFormed: "[MQTT-1.5.4-1]",
  utf8NoNull: "[MQTT-1.5.4-2]",
} as const;

/**
 * The number of bytes a UTF-8 Encoded String takes: 2 for the length, then
 * the UTF-8 bytes.
 *
 * @param value A string without U+0000 or lone surrogates, at most 65,535
 * bytes as UTF-8.
 * @returns `2 +` its UTF-8 length.
 * @throws {MqttError} 0x81 when `value` cannot be a UTF-8 Encoded String.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { utf8StringLength } from "@mqtt/codec/primitives";
 *
 * assertEquals(utf8StringLength("a/b"), 5);
 * assertEquals(utf8StringLength("é"), 4);
 * ```
 */
export function utf8StringLength(value: string): number {
  if (typeof value !== "string") {
    throw new MqttError(`${NAME}: must be a string, got ${describe(value)}`);
  }
  const length = utf8Length(value);
  const problem = stringProblem(length);
  if (problem !== undefined) throw new MqttError(`${NAME}: ${problem}`);
  return 2 + length;
}

/**
 * Encodes a UTF-8 Encoded String into `target` at `offset`.
 *
 * @param value The string.
 * @param target The buffer to write into.
 * @param offset Where to write (default 0).
 * @returns The offset just after the bytes written.
 * @throws {MqttError} 0x81 when `value` cannot be a UTF-8 Encoded String or
 * `target` has no room.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encodeUtf8String } from "@mqtt/codec/primitives";
 *
 * const target = new Uint8Array(5);
 * assertEquals(encodeUtf8String("a/b", target), 5);
 * assertEquals(target, new Uint8Array([0x00, 0x03, 0x61, 0x2f, 0x62]));
 * ```
 */
export function encodeUtf8String(
  value: string,
  target: Uint8Array,
  offset = 0,
): number {
  const size = utf8StringLength(value);
  checkRoom(NAME, target, offset, size);
  writeTwoByteInteger(target, offset, size - 2);
  return writeUtf8(target, offset + 2, value, size - 2);
}

/**
 * Decodes the UTF-8 Encoded String at `offset`.
 *
 * @param source The bytes to read.
 * @param offset Where the string's length starts (default 0).
 * @returns The string and the offset just after it.
 * @throws {MqttError} 0x81 when the string is cut off, is not well-formed
 * UTF-8, or holds U+0000 [MQTT-1.5.4-1, MQTT-1.5.4-2].
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decodeUtf8String } from "@mqtt/codec/primitives";
 *
 * const bytes = new Uint8Array([0x00, 0x03, 0x61, 0x2f, 0x62]);
 * assertEquals(decodeUtf8String(bytes), ["a/b", 5]);
 * ```
 */
export function decodeUtf8String(
  source: Uint8Array,
  offset = 0,
): [value: string, offset: number] {
  checkAvailable(NAME, source, offset, 2);
  const length = readTwoByteInteger(source, offset);
  const start = offset + 2;
  if (source.length - start < length) {
    throw dataTypeError(
      NAME,
      `announces ${length} bytes but ${source.length - start} follow`,
      offset,
    );
  }
  const text = decodeUtf8(source, start, start + length);
  if (text === undefined) {
    throw dataTypeError(
      NAME,
      "is not well-formed UTF-8 or contains U+0000 [MQTT-1.5.4-1, MQTT-1.5.4-2]",
      offset,
    );
  }
  return [text, start + length];
}
