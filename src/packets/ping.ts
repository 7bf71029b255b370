/**
 * PINGREQ and PINGRESP (sections 3.12, 3.13): a fixed header alone.
 *
 * @module
 */

import type { PingreqPacket, PingrespPacket } from "../packet.ts";

const PINGREQ = new Uint8Array([0xc0, 0x00]);
const PINGRESP = new Uint8Array([0xd0, 0x00]);

/** Decodes a PINGREQ; the codec has checked that its Remaining Length is 0. */
export function decodePingreq(): PingreqPacket {
  return { type: "pingreq" };
}

/** Decodes a PINGRESP; the codec has checked that its Remaining Length is 0. */
export function decodePingresp(): PingrespPacket {
  return { type: "pingresp" };
}

/** Encodes a PINGREQ: always the same two bytes, in a new array. */
export function encodePingreq(): Uint8Array {
  return PINGREQ.slice();
}

/** Encodes a PINGRESP: always the same two bytes, in a new array. */
export function encodePingresp(): Uint8Array {
  return PINGRESP.slice();
}
