/**
 * A bounds-checked reader over the bytes of one packet. Every read stays
 * within the packet's remaining length; running past it, or reading a field
 * that is not well-formed, throws {@linkcode MqttError} 0x81 Malformed Packet
 * with the packet, the field and the byte offset.
 *
 * @module
 */

import type { PayloadSlab } from "../_payload_slab.ts";
import { MqttError } from "../error.ts";
import type { Protocol } from "../protocol.ts";
import { readFourByteInteger } from "./four_byte_integer.ts";
import { readTwoByteInteger } from "./two_byte_integer.ts";
import { decodeUtf8 } from "./utf8.ts";
import {
  problemOf,
  readVariableByteInteger,
  vbiLength,
} from "./variable_byte_integer.ts";
import { ReasonCode } from "../reason_code.ts";

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
  protocol: Protocol;
  /** Offset of the packet's first byte: error offsets count from it. */
  readonly base: number;
  /** Where binary fields are copied to, or `undefined` for views of `bytes`. */
  readonly copies: PayloadSlab | undefined;

  constructor(
    bytes: Uint8Array,
    base: number,
    pos: number,
    end: number,
    packet: string,
    protocol: Protocol,
    copies?: PayloadSlab,
  ) {
    this.bytes = bytes;
    this.base = base;
    this.pos = pos;
    this.end = end;
    this.packet = packet;
    this.protocol = protocol;
    this.copies = copies;
  }

  /** Throws an error naming the packet, the field and the offset. */
  fail(
    field: string,
    problem: string,
    reasonCode: number = ReasonCode.MalformedPacket,
    at: number = this.pos,
  ): never {
    throw new MqttError(
      `${this.packet} (${this.protocol.label}): ${field} ${problem} at byte offset ${
        at - this.base
      }`,
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
    const value = readTwoByteInteger(this.bytes, this.pos);
    this.pos += 2;
    return value;
  }

  /** A Four Byte Integer, big-endian and unsigned. */
  u32(field: string): number {
    this.need(4, field);
    const value = readFourByteInteger(this.bytes, this.pos);
    this.pos += 4;
    return value;
  }

  /**
   * A Variable Byte Integer: 1 to 4 bytes, minimally encoded
   * [MQTT-1.5.5-1].
   */
  vbi(field: string): number {
    const value = readVariableByteInteger(this.bytes, this.pos, this.end);
    if (value < 0) this.fail(field, problemOf(value));
    this.pos += vbiLength(value);
    return value;
  }

  /** A UTF-8 Encoded String: a Two Byte length, then the UTF-8 bytes. */
  utf8(field: string): string {
    const at = this.pos;
    const length = this.u16(field);
    this.need(length, field);
    const start = this.pos;
    const protocol = this.protocol;
    const text = decodeUtf8(
      this.bytes,
      start,
      start + length,
      !protocol.forbidsNullCharacter,
    );
    if (text === undefined) {
      const rules = protocol.rules;
      this.fail(
        field,
        protocol.forbidsNullCharacter
          ? `is not well-formed UTF-8 or contains U+0000 ${rules.utf8WellFormed} ${rules.utf8NoNull}`
          : `is not well-formed UTF-8 ${rules.utf8WellFormed}`,
        ReasonCode.MalformedPacket,
        at,
      );
    }
    this.pos = start + length;
    return text;
  }

  /** Binary Data: a Two Byte length, then the bytes, as a view (or copied, see `copies`). */
  binary(field: string): Uint8Array {
    const length = this.u16(field);
    this.need(length, field);
    const start = this.pos;
    this.pos += length;
    return this.#take(start, start + length);
  }

  /** All bytes up to `end`, as a view (or copied, see `copies`). */
  rest(): Uint8Array {
    const start = this.pos;
    this.pos = this.end;
    return this.#take(start, this.end);
  }

  /** The bytes of a binary field: a view, or a copy when asked for. */
  #take(start: number, end: number): Uint8Array {
    return this.copies === undefined
      ? this.bytes.subarray(start, end)
      : this.copies.copy(this.bytes, start, end);
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
