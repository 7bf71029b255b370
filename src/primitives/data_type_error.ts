/**
 * The errors of the data type functions: an {@linkcode MqttError} naming the
 * data type, the problem and the byte offset, as the packet codecs name
 * packet fields.
 *
 * @module
 */

import { MqttError } from "../error.ts";
import { ReasonCode } from "../reason_code.ts";

/** The error for a value of `dataType` that cannot be read or written at `offset`. */
export function dataTypeError(
  dataType: string,
  problem: string,
  offset: number,
): MqttError {
  return new MqttError(
    `${dataType}: ${problem} at byte offset ${offset}`,
    ReasonCode.MalformedPacket,
  );
}

/** Throws unless `target` has `size` bytes from `offset` on. */
export function checkRoom(
  dataType: string,
  target: Uint8Array,
  offset: number,
  size: number,
): void {
  if (!(target instanceof Uint8Array)) {
    throw new MqttError(`${dataType}: the target must be a Uint8Array`);
  }
  checkOffset(dataType, offset);
  if (target.length - offset < size) {
    throw dataTypeError(
      dataType,
      `needs ${size} byte(s) but the buffer has ${
        Math.max(0, target.length - offset)
      } left`,
      offset,
    );
  }
}

/** Throws unless `source` has `size` bytes from `offset` on, before `end`. */
export function checkAvailable(
  dataType: string,
  source: Uint8Array,
  offset: number,
  size: number,
): void {
  if (!(source instanceof Uint8Array)) {
    throw new MqttError(`${dataType}: the source must be a Uint8Array`);
  }
  checkOffset(dataType, offset);
  if (source.length - offset < size) {
    throw dataTypeError(
      dataType,
      `is cut off: it needs ${size} byte(s) but ${
        Math.max(0, source.length - offset)
      } are left`,
      offset,
    );
  }
}

function checkOffset(dataType: string, offset: number): void {
  if (!Number.isInteger(offset) || offset < 0) {
    throw new MqttError(
      `${dataType}: the offset must be a non-negative integer, got ${
        describe(offset)
      }`,
    );
  }
}

/**
 * A short description of any value for an error message. Never throws:
 * `String()` would on an object without a prototype.
 */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.slice(0, 40));
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object" && value !== null) return "an object";
  if (typeof value === "function") return "a function";
  return String(value);
}

/** Throws unless `value` is an integer from 0 to `max`. */
export function checkRange(
  dataType: string,
  value: unknown,
  max: number,
): number {
  if (
    typeof value !== "number" || !Number.isInteger(value) || value < 0 ||
    value > max
  ) {
    throw new MqttError(
      `${dataType}: must be an integer from 0 to ${max}, got ${
        describe(value)
      }`,
      ReasonCode.MalformedPacket,
    );
  }
  return value;
}
