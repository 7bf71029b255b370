/**
 * UTF-8 Encoded Strings (MQTT 5.0 section 1.5.4): well-formed UTF-8, no
 * U+0000, at most 65,535 bytes. A leading BOM (U+FEFF) is kept as it is
 * [MQTT-1.5.4-3].
 *
 * @module
 */

/** Rejects ill-formed UTF-8, including encoded surrogates [MQTT-1.5.4-1]. */
const fatalDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * ASCII strings up to this many bytes are converted by hand: a decoder call
 * costs more (about 250 ns, measured) than converting this many characters.
 */
const SHORT_STRING = 64;

/**
 * Reused argument lists for `String.fromCharCode`, one per length up to
 * {@linkcode SHORT_STRING}: one call on a packed array makes a flat string.
 * Appending character by character would be as fast to build but makes a
 * rope past 12 characters, which V8 must then flatten (copy) on the first
 * read of the string, as the topic checks do at once.
 */
const CHAR_CODES: number[][] = Array.from(
  { length: SHORT_STRING + 1 },
  (_, length) => Array.from({ length }, () => 0),
);

/**
 * The last short ASCII string decoded, one per length. Topics, client
 * identifiers and property names recur from packet to packet: comparing the
 * bytes with the string decoded last time is cheaper than building a new
 * one, and hands out the same (already flat) string again. Only valid
 * strings are kept, so a hit needs no further check.
 */
const RECENT: (string | undefined)[] = new Array(SHORT_STRING + 1).fill(
  undefined,
);

/** {@linkcode utf8Length}: the string holds U+0000 [MQTT-1.5.4-2]. */
export const NULL_CHARACTER = -1;
/** {@linkcode utf8Length}: the string holds a lone surrogate, which has no UTF-8 form [MQTT-1.5.4-1]. */
export const LONE_SURROGATE = -2;

/**
 * Decodes the bytes from `start` to `end` as a UTF-8 Encoded String.
 *
 * @param allowNull Accept U+0000, as MQTT 3.1 does (3.1.1 and 5.0 forbid it).
 * @returns The string, or `undefined` when the bytes are not well-formed
 * UTF-8 or encode U+0000 [MQTT-1.5.4-1, MQTT-1.5.4-2].
 */
export function decodeUtf8(
  bytes: Uint8Array,
  start: number,
  end: number,
  allowNull = false,
): string | undefined {
  const length = end - start;
  if (length <= SHORT_STRING) {
    const recent = RECENT[length];
    if (recent !== undefined) {
      // `recent` is ASCII without U+0000: equal codes mean equal bytes
      let i = 0;
      while (i < length && recent.charCodeAt(i) === bytes[start + i]) i++;
      if (i === length) return recent;
    }
    // Fast path for short ASCII (topics, client identifiers, property
    // names): every byte from 1 to 0x7F is a whole character of its own.
    const codes = CHAR_CODES[length];
    let i = 0;
    while (i < length) {
      const b = bytes[start + i];
      if (b === 0 || b > 0x7f) break;
      codes[i++] = b;
    }
    if (i === length) {
      const text = String.fromCharCode.apply(null, codes);
      RECENT[length] = text;
      return text;
    }
  }
  if (!allowNull) {
    for (let i = start; i < end; i++) {
      // In UTF-8 a zero byte only ever encodes U+0000 [MQTT-1.5.4-2]
      if (bytes[i] === 0) return undefined;
    }
  }
  try {
    return fatalDecoder.decode(bytes.subarray(start, end));
  } catch {
    // Browsers refuse views of a SharedArrayBuffer: decode a copy then.
    if (
      Object.prototype.toString.call(bytes.buffer) !== "[object ArrayBuffer]"
    ) {
      try {
        return fatalDecoder.decode(bytes.slice(start, end));
      } catch {
        // ill-formed after all
      }
    }
    return undefined;
  }
}

/**
 * The number of bytes `text` takes as UTF-8, or a negative number when it
 * cannot be an MQTT UTF-8 Encoded String: {@linkcode NULL_CHARACTER} for
 * U+0000 (unless `allowNull`, as in MQTT 3.1), {@linkcode LONE_SURROGATE}
 * for a lone surrogate.
 */
export function utf8Length(text: string, allowNull = false): number {
  const length = text.length;
  let bytes = length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0 && !allowNull) return NULL_CHARACTER;
    } else if (c < 0x800) {
      bytes += 1;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) {
        return LONE_SURROGATE;
      }
      // a surrogate pair: 2 UTF-16 units become 4 bytes
      bytes += 2;
      i++;
    } else {
      bytes += 2;
    }
  }
  return bytes;
}

/**
 * Writes `text`, already measured by {@linkcode utf8Length} as `length`
 * bytes, at `offset`; returns the offset after it.
 */
export function writeUtf8(
  buffer: Uint8Array,
  offset: number,
  text: string,
  length: number,
): number {
  if (length === text.length) {
    // every char is ASCII: one byte each
    for (let i = 0; i < length; i++) buffer[offset + i] = text.charCodeAt(i);
    return offset + length;
  }
  encoder.encodeInto(text, buffer.subarray(offset, offset + length));
  return offset + length;
}

/**
 * The last valid string measured for each length (mod 32), and its UTF-8
 * size. Topics, client identifiers and property names recur from packet to
 * packet: an identical string (usually the very same one) is measured by
 * one comparison instead of a scan, on each of the two or three times an
 * encode needs its size. Only strings without U+0000 or lone surrogates are
 * kept, so a hit needs no further check.
 */
const MEASURED_TEXT: (string | undefined)[] = new Array(32).fill(undefined);
const MEASURED_BYTES = new Int32Array(32);

/**
 * {@linkcode utf8Length} without `allowNull`, answered from the strings
 * measured last when `text` is one of them.
 */
export function measureUtf8(text: string): number {
  const slot = text.length & 31;
  if (MEASURED_TEXT[slot] === text) return MEASURED_BYTES[slot];
  const length = utf8Length(text);
  if (length >= 0) {
    MEASURED_TEXT[slot] = text;
    MEASURED_BYTES[slot] = length;
  }
  return length;
}
