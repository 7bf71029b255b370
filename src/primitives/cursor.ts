/**
 * A bounds-checked reader over the bytes of one packet. Every read stays
 * within the packet's remaining length; running past it, or reading a field
 * that is not well-formed, throws {@linkcode MqttError} 0x81 Malformed Packet
 * with the packet, the field and the byte offset.
 *
 * @module
 */

import { MqttError } from "../error.ts";
import { decodeUtf8 } from "./utf8.ts";

const MALFORMED = 0x81;

/** Reads the fields of one packet, front to back. */
export class Cursor {
  /** The bytes holding the packet. */
  readonly bytes: Uint8Array;
  /** Offset of the next byte to read. */
  pos: number;
  /** Offset just past the packet (or past the section being read). */
  end: number;
  /** The packet's name for error messages, such as "PUBLISH". */
  readonly packet: string;
  /** The protocol version the packet is decoded as (a CONNECT sets it from its Protocol Level). */
  version: 4 | 5;
  /** Offset of the packet's first byte: error offsets count from it. */
  readonly base: number;

  constructor(
    bytes: Uint8Array,
    base: number,
    pos: number,
    end: number,
    packet: string,
    version: 4 | 5,
  ) {
    this.bytes = bytes;
    this.base = base;
    this.pos = pos;
    this.end = end;
    this.packet = packet;
    this.version = version;
  }

  /** Throws an error naming the packet, the field and the offset. */
  fail(
    field: string,
    problem: string,
    reasonCode: number = MALFORMED,
    at: number = this.pos,
  ): never {
    throw new MqttError(
      `${this.packet} (MQTT ${
        this.version === 5 ? "5.0" : "3.1.1"
      }): ${field} ${problem} at byte offset ${at - this.base}`,
      reasonCode,
    );
  }

  /** The number of bytes left before `end`. */
  get remaining(): number {
    return this.end - this.pos;
  }

  private need(count: number, field: string): void {
    if (this.end - this.pos < count) {
      this.fail(
        field,
        `needs ${count} byte${count === 1 ? "" : "s"} but the packet has ${
          this.end - this.pos
        } left`,
      );
    }
  }

  /** A Byte. */
  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.pos++];
  }

  /** A Two Byte Integer, big-endian. */
  u16(field: string): number {
    this.need(2, field);
    const b = this.bytes;
    const value = (b[this.pos] << 8) | b[this.pos + 1];
    this.pos += 2;
    return value;
  }

  /** A Four Byte Integer, big-endian and unsigned. */
  u32(field: string): number {
    this.need(4, field);
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
  }

  /**
   * A Variable Byte Integer: 1 to 4 bytes, minimally encoded
   * [MQTT-1.5.5-1].
   */
  vbi(field: string): number {
    const b = this.bytes;
    const start = this.pos;
    let value = 0;
    let multiplier = 1;
    for (let i = 0; i < 4; i++) {
      if (this.pos >= this.end) {
        this.fail(field, "is cut off before its last byte", MALFORMED, start);
      }
      const byte = b[this.pos++];
      value += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) {
        if (byte === 0 && i > 0) {
          this.fail(
            field,
            "is not encoded in the minimum number of bytes [MQTT-1.5.5-1]",
            MALFORMED,
            start,
          );
        }
        return value;
      }
      multiplier *= 128;
    }
    return this.fail(
      field,
      "has more than 4 bytes (section 1.5.5)",
      MALFORMED,
      start,
    );
  }

  /** A UTF-8 Encoded String: a Two Byte length, then the UTF-8 bytes. */
  utf8(field: string): string {
    const at = this.pos;
    const length = this.u16(field);
    this.need(length, field);
    const start = this.pos;
    const text = decodeUtf8(this.bytes, start, start + length);
    if (text === undefined) {
      this.fail(
        field,
        `is not well-formed UTF-8 or contains U+0000 ${
          this.version === 5
            ? "[MQTT-1.5.4-1, MQTT-1.5.4-2]"
            : "[MQTT-1.5.3-1, MQTT-1.5.3-2]"
        }`,
        MALFORMED,
        at,
      );
    }
    this.pos = start + length;
    return text;
  }

  /** Binary Data: a Two Byte length, then the bytes, as a view (no copy). */
  binary(field: string): Uint8Array {
    const length = this.u16(field);
    this.need(length, field);
    const start = this.pos;
    this.pos += length;
    return this.bytes.subarray(start, start + length);
  }

  /** All bytes up to `end`, as a view (no copy). */
  rest(): Uint8Array {
    const start = this.pos;
    this.pos = this.end;
    return this.bytes.subarray(start, this.end);
  }

  /** Fails unless every byte up to `end` was read. */
  done(field: string): void {
    if (this.pos !== this.end) {
      this.fail(
        field,
        `is followed by ${this.end - this.pos} unexpected byte(s)`,
      );
    }
  }
}
