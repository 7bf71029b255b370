/**
 * The check every byte-vector test makes: the bytes decode to the packet,
 * and the packet encodes to exactly those bytes.
 */

import { assertEquals } from "@std/assert";
import { decode, encode } from "../../mod.ts";
import type { Packet, ProtocolVersion } from "../../mod.ts";

/** Decodes `wire` to `packet` and encodes `packet` back to `wire`. */
export function vector(
  wire: number[],
  packet: Packet,
  protocolVersion: ProtocolVersion = 5,
): void {
  const bytes = new Uint8Array(wire);
  assertEquals(decode(bytes, { protocolVersion }), packet);
  assertEquals(encode(packet, { protocolVersion }), bytes);
}

/** UTF-8 bytes of a string, for payloads and binary fields. */
export function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
