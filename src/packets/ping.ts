/**
 * PINGREQ and PINGRESP (sections 3.12, 3.13): a fixed header alone.
 *
 * @module
 */

import type { PingreqPacket, PingrespPacket } from "../packet.ts";
import { startPacket } from "../primitives/writer.ts";

/** Decodes a PINGREQ; the codec has checked that its Remaining Length is 0. */
export function decodePingreq(): PingreqPacket {
  return { type: "pingreq" };
}

/** Decodes a PINGRESP; the codec has checked that its Remaining Length is 0. */
export function decodePingresp(): PingrespPacket {
  return { type: "pingresp" };
}

/** Encodes a PINGREQ: a fixed header alone. */
export function encodePingreq(into?: Uint8Array): Uint8Array {
  return startPacket(0xc0, 0, "PINGREQ", into).bytes;
}

/** Encodes a PINGRESP: a fixed header alone. */
export function encodePingresp(into?: Uint8Array): Uint8Array {
  return startPacket(0xd0, 0, "PINGRESP", into).bytes;
}
