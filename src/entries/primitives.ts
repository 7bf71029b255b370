/**
 * The data types of MQTT 5.0 section 1.5 as pure functions: the one
 * implementation the packet codecs use too, with the same strictness and
 * the same {@linkcode MqttError}s.
 *
 * For each type there is an `encode…(value, target, offset?)` that writes
 * into `target` at `offset` and returns the offset after what it wrote, a
 * `decode…(source, offset?)` that returns `[value, offsetAfter]`, and a
 * `…Length(value)` that gives the bytes the value takes. Each checks its
 * input and throws {@linkcode MqttError} 0x81 for what MQTT does not allow
 * (a value out of range, a string with U+0000 or a lone surrogate, ill-formed
 * UTF-8, a Variable Byte Integer not in its shortest form, bytes cut off, a
 * target too small).
 *
 * @example Writing and reading a User Property by hand
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import {
 *   decodeUtf8StringPair,
 *   decodeVariableByteInteger,
 *   encodeUtf8StringPair,
 *   encodeVariableByteInteger,
 *   utf8StringPairLength,
 *   variableByteIntegerLength,
 * } from "@mqtt/codec/primitives";
 *
 * const pair: [string, string] = ["unit", "celsius"];
 * const size = utf8StringPairLength(pair);
 * const bytes = new Uint8Array(variableByteIntegerLength(size) + size);
 * encodeUtf8StringPair(pair, bytes, encodeVariableByteInteger(size, bytes));
 *
 * const [length, start] = decodeVariableByteInteger(bytes);
 * assertEquals(decodeUtf8StringPair(bytes, start), [pair, start + length]);
 * ```
 *
 * @module
 */

export { MqttError } from "../error.ts";
export {
  decodeTwoByteInteger,
  encodeTwoByteInteger,
  twoByteIntegerLength,
} from "../primitives/two_byte_integer.ts";
export {
  decodeFourByteInteger,
  encodeFourByteInteger,
  fourByteIntegerLength,
} from "../primitives/four_byte_integer.ts";
export {
  decodeVariableByteInteger,
  encodeVariableByteInteger,
  MAX_VARIABLE_BYTE_INTEGER,
  variableByteIntegerLength,
} from "../primitives/variable_byte_integer.ts";
export {
  decodeUtf8String,
  encodeUtf8String,
  utf8StringLength,
} from "../primitives/utf8_string.ts";
export {
  binaryDataLength,
  decodeBinaryData,
  encodeBinaryData,
} from "../primitives/binary_data.ts";
export {
  decodeUtf8StringPair,
  encodeUtf8StringPair,
  utf8StringPairLength,
} from "../primitives/utf8_string_pair.ts";
