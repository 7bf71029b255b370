/**
 * Writing packets: a cursor over one preallocated buffer, and the checks
 * that keep `encode` as strict as `decode`.
 *
 * @module
 */

import { MqttError } from "../error.ts";
import type { Protocol } from "../protocol.ts";
import { describe } from "./data_type_error.ts";
import { writeFourByteInteger } from "./four_byte_integer.ts";
import { writeTwoByteInteger } from "./two_byte_integer.ts";
import { measureUtf8, utf8Length, writeUtf8 } from "./utf8.ts";
import { stringProblem } from "./utf8_string.ts";
import {
  MAX_VARIABLE_BYTE_INTEGER,
  vbiLength,
  writeVariableByteInteger,
} from "./variable_byte_integer.ts";
import { ReasonCode } from "../reason_code.ts";

export { describe };

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
    this.pos = writeTwoByteInteger(this.bytes, this.pos, value);
  }

  /** A Four Byte Integer, big-endian. */
  u32(value: number): void {
    this.pos = writeFourByteInteger(this.bytes, this.pos, value);
  }

  /** A Variable Byte Integer. */
  vbi(value: number): void {
    this.pos = writeVariableByteInteger(this.bytes, this.pos, value);
  }

  /** A UTF-8 Encoded String of `length` bytes, as measured by {@linkcode stringLength}. */
  utf8(text: string, length: number): void {
    this.pos = writeUtf8(
      this.bytes,
      writeTwoByteInteger(this.bytes, this.pos, length),
      text,
      length,
    );
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
  const size = 1 + vbiLength(remainingLength) +
    remainingLength;
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
  reasonCode: number = ReasonCode.MalformedPacket,
): MqttError {
  return new MqttError(`${where}: ${field} ${problem}`, reasonCode);
}

/** Checks that `value` is an integer from `min` to `max`, and returns it. */
export function checkInteger(
  value: unknown,
  min: number,
  max: number,
  where: string,
  field: string,
  rule = "",
  reasonCode: number = ReasonCode.MalformedPacket,
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
 * Checks that `value` can be a UTF-8 Encoded String under `protocol`'s
 * rules and returns the number of bytes it takes (section 1.5.4).
 */
export function stringLength(
  value: unknown,
  where: string,
  field: string,
  protocol: Protocol,
): number {
  if (typeof value !== "string") {
    throw encodeError(where, field, `must be a string, got ${describe(value)}`);
  }
  const length = protocol.forbidsNullCharacter
    ? measureUtf8(value)
    : utf8Length(value, true);
  if (length < 0 || length > 65_535) {
    throw encodeError(where, field, stringProblem(length, protocol.rules)!);
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
