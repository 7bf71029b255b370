/**
 * Writing packets: a cursor over one preallocated buffer, and the checks
 * that keep `encode` as strict as `decode`.
 *
 * @module
 */

import { MqttError } from "../error.ts";
import { utf8Length, writeUtf8 } from "./utf8.ts";

const MALFORMED = 0x81;

/** The largest value of a Variable Byte Integer (section 1.5.5). */
export const MAX_VARIABLE_BYTE_INTEGER = 268_435_455;

/** The number of bytes the Variable Byte Integer `value` takes. */
export function vbiLength(value: number): number {
  return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
}

/** Writes the fields of one packet into a buffer sized for it. */
export class ByteWriter {
  /** The packet being written: exactly its size. */
  readonly bytes: Uint8Array;
  /** Offset of the next byte to write. */
  pos = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /** A Byte. */
  u8(value: number): void {
    this.bytes[this.pos++] = value;
  }

  /** A Two Byte Integer, big-endian. */
  u16(value: number): void {
    const b = this.bytes;
    b[this.pos] = value >>> 8;
    b[this.pos + 1] = value;
    this.pos += 2;
  }

  /** A Four Byte Integer, big-endian. */
  u32(value: number): void {
    const b = this.bytes;
    const p = this.pos;
    b[p] = value >>> 24;
    b[p + 1] = value >>> 16;
    b[p + 2] = value >>> 8;
    b[p + 3] = value;
    this.pos = p + 4;
  }

  /** A Variable Byte Integer. */
  vbi(value: number): void {
    const b = this.bytes;
    while (value >= 128) {
      b[this.pos++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    b[this.pos++] = value;
  }

  /** A UTF-8 Encoded String of `length` bytes, as measured by {@linkcode stringLength}. */
  utf8(text: string, length: number): void {
    this.u16(length);
    this.pos = writeUtf8(this.bytes, this.pos, text, length);
  }

  /** Binary Data: its length, then its bytes. */
  binary(data: Uint8Array): void {
    this.u16(data.length);
    this.bytes.set(data, this.pos);
    this.pos += data.length;
  }

  /** Bytes without a length prefix. */
  raw(data: Uint8Array): void {
    this.bytes.set(data, this.pos);
    this.pos += data.length;
  }
}

/**
 * Starts a packet: computes its size from the remaining length, takes the
 * front of `into` when the packet fits there or else allocates it, and
 * writes the fixed header.
 */
export function startPacket(
  firstByte: number,
  remainingLength: number,
  where: string,
  into?: Uint8Array,
): ByteWriter {
  if (remainingLength > MAX_VARIABLE_BYTE_INTEGER) {
    throw new MqttError(
      `${where}: the packet needs a Remaining Length of ${remainingLength} bytes, above the maximum of ${MAX_VARIABLE_BYTE_INTEGER} (section 2.1.4)`,
      0x95,
    );
  }
  const size = 1 + vbiLength(remainingLength) + remainingLength;
  const writer = new ByteWriter(
    into !== undefined && into.length >= size
      ? into.subarray(0, size)
      : new Uint8Array(size),
  );
  writer.u8(firstByte);
  writer.vbi(remainingLength);
  return writer;
}

/** Makes the error `encode` throws for a field it cannot write. */
export function encodeError(
  where: string,
  field: string,
  problem: string,
  reasonCode: number = MALFORMED,
): MqttError {
  return new MqttError(`${where}: ${field} ${problem}`, reasonCode);
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

/** Checks that `value` is an integer from `min` to `max`, and returns it. */
export function checkInteger(
  value: unknown,
  min: number,
  max: number,
  where: string,
  field: string,
  rule = "",
  reasonCode: number = MALFORMED,
): number {
  if (
    typeof value !== "number" || !Number.isInteger(value) || value < min ||
    value > max
  ) {
    throw encodeError(
      where,
      field,
      `must be an integer from ${min} to ${max}, got ${describe(value)}${
        rule ? ` ${rule}` : ""
      }`,
      reasonCode,
    );
  }
  return value;
}

/** Checks that `value` is a boolean, and returns it. */
export function checkBoolean(
  value: unknown,
  where: string,
  field: string,
): boolean {
  if (typeof value !== "boolean") {
    throw encodeError(
      where,
      field,
      `must be a boolean, got ${describe(value)}`,
    );
  }
  return value;
}

/** Checks that `value` is a QoS level, and returns it. */
export function checkQoS(
  value: unknown,
  where: string,
  field: string,
  rule: string,
): 0 | 1 | 2 {
  if (value !== 0 && value !== 1 && value !== 2) {
    throw encodeError(
      where,
      field,
      `must be 0, 1 or 2, got ${describe(value)} ${rule}`,
    );
  }
  return value;
}

/**
 * Checks that `value` can be a UTF-8 Encoded String and returns the number
 * of bytes it takes (section 1.5.4).
 */
export function stringLength(
  value: unknown,
  where: string,
  field: string,
): number {
  if (typeof value !== "string") {
    throw encodeError(where, field, `must be a string, got ${describe(value)}`);
  }
  const length = utf8Length(value);
  if (length === -1) {
    throw encodeError(
      where,
      field,
      `must not contain U+0000 ${
        is311(where) ? "[MQTT-1.5.3-2]" : "[MQTT-1.5.4-2]"
      }`,
    );
  }
  if (length === -2) {
    throw encodeError(
      where,
      field,
      `contains a lone surrogate, which has no UTF-8 form ${
        is311(where) ? "[MQTT-1.5.3-1]" : "[MQTT-1.5.4-1]"
      }`,
    );
  }
  if (length > 65_535) {
    throw encodeError(
      where,
      field,
      `is ${length} bytes of UTF-8, above the maximum of 65535 (section 1.5.4)`,
    );
  }
  return length;
}

/** Checks that `value` can be Binary Data (section 1.5.6) and returns its length. */
export function binaryLength(
  value: unknown,
  where: string,
  field: string,
): number {
  if (!(value instanceof Uint8Array)) {
    throw encodeError(
      where,
      field,
      `must be a Uint8Array, got ${describe(value)}`,
    );
  }
  if (value.length > 65_535) {
    throw encodeError(
      where,
      field,
      `is ${value.length} bytes, above the maximum of 65535 for Binary Data (section 1.5.6)`,
    );
  }
  return value.length;
}

/** Checks that `value` is a Uint8Array (a payload, which has no length limit of its own). */
export function checkBytes(
  value: unknown,
  where: string,
  field: string,
): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw encodeError(
      where,
      field,
      `must be a Uint8Array, got ${describe(value)}`,
    );
  }
  return value;
}

/** Whether a label made by {@linkcode label} names MQTT 3.1.1, which numbers its rules apart. */
function is311(where: string): boolean {
  return where.endsWith("3.1.1)");
}

/** The label of a packet in messages, such as "PUBLISH (MQTT 5.0)". */
export function label(packet: string, version: 4 | 5): string {
  return `${packet} (MQTT ${version === 5 ? "5.0" : "3.1.1"})`;
}
