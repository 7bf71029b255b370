/**
 * UTF-8 String Pair (MQTT 5.0 section 1.5.7): two UTF-8 Encoded Strings, a
 * name and a value, as User Properties carry them.
 *
 * @module
 */

import { MqttError } from "../error.ts";
import { checkRoom } from "./data_type_error.ts";
import {
  decodeUtf8String,
  encodeUtf8String,
  utf8StringLength,
} from "./utf8_string.ts";

const NAME = "UTF-8 String Pair";

function checkPair(value: unknown): asserts value is [string, string] {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new MqttError(`${NAME}: must be a [name, value] pair of strings`);
  }
}

/**
 * The number of bytes a UTF-8 String Pair takes: both strings with their
 * lengths.
 *
 * @param pair The name and the value.
 * @returns The size of both UTF-8 Encoded Strings.
 * @throws {MqttError} 0x81 when either cannot be a UTF-8 Encoded String.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { utf8StringPairLength } from "@mqtt/codec/primitives";
 *
 * assertEquals(utf8StringPairLength(["unit", "celsius"]), 15);
 * ```
 */
export function utf8StringPairLength(pair: [string, string]): number {
  checkPair(pair);
  return utf8StringLength(pair[0]) + utf8StringLength(pair[1]);
}

/**
 * Encodes a UTF-8 String Pair into `target` at `offset`.
 *
 * @param pair The name and the value.
 * @param target The buffer to write into.
 * @param offset Where to write (default 0).
 * @returns The offset just after the bytes written.
 * @throws {MqttError} 0x81 when either string cannot be a UTF-8 Encoded
 * String or `target` has no room (then nothing is written).
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encodeUtf8StringPair } from "@mqtt/codec/primitives";
 *
 * const target = new Uint8Array(6);
 * assertEquals(encodeUtf8StringPair(["k", "v"], target), 6);
 * assertEquals(target, new Uint8Array([0, 1, 0x6b, 0, 1, 0x76]));
 * ```
 */
export function encodeUtf8StringPair(
  pair: [string, string],
  target: Uint8Array,
  offset = 0,
): number {
  checkRoom(NAME, target, offset, utf8StringPairLength(pair));
  return encodeUtf8String(
    pair[1],
    target,
    encodeUtf8String(pair[0], target, offset),
  );
}

/**
 * Decodes the UTF-8 String Pair at `offset`.
 *
 * @param source The bytes to read.
 * @param offset Where the pair starts (default 0).
 * @returns The `[name, value]` pair and the offset just after it.
 * @throws {MqttError} 0x81 when either string is cut off or malformed.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decodeUtf8StringPair } from "@mqtt/codec/primitives";
 *
 * const bytes = new Uint8Array([0, 1, 0x6b, 0, 1, 0x76]);
 * assertEquals(decodeUtf8StringPair(bytes), [["k", "v"], 6]);
 * ```
 */
export function decodeUtf8StringPair(
  source: Uint8Array,
  offset = 0,
): [value: [string, string], offset: number] {
  const [name, middle] = decodeUtf8String(source, offset);
  const [value, end] = decodeUtf8String(source, middle);
  return [[name, value], end];
}
