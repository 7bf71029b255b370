/**
 * Binary Data (MQTT 5.0 section 1.5.6): a Two Byte Integer length, then
 * that many bytes (at most 65,535).
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

const NAME = "Binary Data";

/** The most bytes Binary Data holds. */
const MAX_LENGTH = 65_535;

/**
 * The number of bytes Binary Data takes: 2 for the length, then the data.
 *
 * @param value At most 65,535 bytes.
 * @returns `2 + value.length`.
 * @throws {MqttError} 0x81 when `value` is not a Uint8Array or is too long.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { binaryDataLength } from "@mqtt/codec/primitives";
 *
 * assertEquals(binaryDataLength(new Uint8Array(3)), 5);
 * ```
 */
export function binaryDataLength(value: Uint8Array): number {
  if (!(value instanceof Uint8Array)) {
    throw new MqttError(
      `${NAME}: must be a Uint8Array, got ${describe(value)}`,
    );
  }
  if (value.length > MAX_LENGTH) {
    throw new MqttError(
      `${NAME}: is ${value.length} bytes, above the maximum of ${MAX_LENGTH} (section 1.5.6)`,
    );
  }
  return 2 + value.length;
}

/**
 * Encodes Binary Data into `target` at `offset`.
 *
 * @param value At most 65,535 bytes.
 * @param target The buffer to write into.
 * @param offset Where to write (default 0).
 * @returns The offset just after the bytes written.
 * @throws {MqttError} 0x81 when `value` is too long or `target` has no room.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encodeBinaryData } from "@mqtt/codec/primitives";
 *
 * const target = new Uint8Array(4);
 * assertEquals(encodeBinaryData(new Uint8Array([0xca, 0xfe]), target), 4);
 * assertEquals(target, new Uint8Array([0x00, 0x02, 0xca, 0xfe]));
 * ```
 */
export function encodeBinaryData(
  value: Uint8Array,
  target: Uint8Array,
  offset = 0,
): number {
  const size = binaryDataLength(value);
  checkRoom(NAME, target, offset, size);
  writeTwoByteInteger(target, offset, value.length);
  target.set(value, offset + 2);
  return offset + size;
}

/**
 * Decodes the Binary Data at `offset`: a view into `source`, not a copy.
 *
 * @param source The bytes to read.
 * @param offset Where the data's length starts (default 0).
 * @returns The data (a view of `source`) and the offset just after it.
 * @throws {MqttError} 0x81 when the data is cut off.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decodeBinaryData } from "@mqtt/codec/primitives";
 *
 * const [data, end] = decodeBinaryData(new Uint8Array([0x00, 0x01, 0x2a]));
 * assertEquals([data, end], [new Uint8Array([0x2a]), 3]);
 * ```
 */
export function decodeBinaryData(
  source: Uint8Array,
  offset = 0,
): [value: Uint8Array, offset: number] {
  checkAvailable(NAME, source, offset, 2);
  const length = readTwoByteInteger(source, offset);
  if (source.length - offset - 2 < length) {
    throw dataTypeError(
      NAME,
      `announces ${length} bytes but ${source.length - offset - 2} follow`,
      offset,
    );
  }
  const start = offset + 2;
  return [source.subarray(start, start + length), start + length];
}
