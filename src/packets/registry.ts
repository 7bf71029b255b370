/**
 * The registry of control packet types: each type's fixed header, name and
 * codec, by control packet type (for decoding) and by packet `type` (for
 * encoding). The one place the codec dispatches from.
 *
 * @module
 */

import type { PacketType } from "../packet.ts";
import { AUTH } from "./auth.ts";
import { CONNACK } from "./connack.ts";
import { CONNECT } from "./connect.ts";
import { DISCONNECT } from "./disconnect.ts";
import type { PacketCodec } from "./packet_codec.ts";
import { PINGREQ, PINGRESP } from "./ping.ts";
import { PUBACK, PUBCOMP, PUBREC, PUBREL } from "./puback.ts";
import { PUBLISH } from "./publish.ts";
import { SUBACK } from "./suback.ts";
import { SUBSCRIBE } from "./subscribe.ts";
import { UNSUBACK } from "./unsuback.ts";
import { UNSUBSCRIBE } from "./unsubscribe.ts";

// Each entry is typed for its own packet; the registry holds them as
// entries of any packet, which the dispatch by `type` makes sound.
const CODECS = [
  CONNECT,
  CONNACK,
  PUBLISH,
  PUBACK,
  PUBREC,
  PUBREL,
  PUBCOMP,
  SUBSCRIBE,
  SUBACK,
  UNSUBSCRIBE,
  UNSUBACK,
  PINGREQ,
  PINGRESP,
  DISCONNECT,
  AUTH,
] as readonly PacketCodec[];

/** The entries by control packet type (1 to 15); 0 is reserved. */
export const BY_CODE: readonly (PacketCodec | undefined)[] = (() => {
  const table: (PacketCodec | undefined)[] = new Array(16).fill(undefined);
  for (const codec of CODECS) table[codec.code] = codec;
  return table;
})();

/** The entries by packet `type`; no prototype, so only the 15 types match. */
const BY_TYPE: Readonly<Record<string, PacketCodec | undefined>> = (() => {
  const table: Record<string, PacketCodec | undefined> = Object.create(null);
  for (const codec of CODECS) table[codec.type] = codec;
  return table;
})();

/**
 * The entry found last: a program encodes runs of one type, and comparing
 * with the type asked last (the same interned string, usually) is cheaper
 * than a lookup by name.
 */
let lastCodec: PacketCodec = CODECS[0];

/** The entry of a packet `type`, or `undefined` for anything else. */
export function codecOf(type: unknown): PacketCodec | undefined {
  if (type === lastCodec.type) return lastCodec;
  const codec = typeof type === "string" ? BY_TYPE[type] : undefined;
  if (codec !== undefined) lastCodec = codec;
  return codec;
}

/** Packet names by control packet type (the fixed header's high 4 bits), for messages. */
export const PACKET_NAMES: readonly string[] = BY_CODE.map((codec) =>
  codec === undefined ? "Reserved (0)" : codec.name
);

/** Every packet type, in control packet type order. */
export const PACKET_TYPES: readonly PacketType[] = CODECS.map((codec) =>
  codec.type
);
