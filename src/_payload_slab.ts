/**
 * The copies `copyPayloads` makes of binary fields: small ones share a slab,
 * so that copying costs an allocation per few KiB rather than per field.
 *
 * @module
 */

/** The size of a slab. */
export const SLAB_SIZE = 4096;

/**
 * Fields up to this size are copied into the slab; larger ones get a buffer
 * of their own. At most this much of a slab goes unused when a field does
 * not fit at its end.
 */
export const SLAB_FIELD_LIMIT = 512;

/** Up to this size a loop copies faster than `set` of a `subarray` (measured). */
const LOOP_LIMIT = 64;

/**
 * Copies binary fields out of the chunks they were decoded from, so that a
 * field kept does not keep its chunk alive (a 64 KiB socket buffer for a
 * 1-byte payload):
 *
 * - a field that fills at least half of its buffer stays a view of it: it
 *   holds little besides itself (a packet assembled from several chunks
 *   has a buffer of its own);
 * - a field of up to {@linkcode SLAB_FIELD_LIMIT} bytes is copied into the
 *   current slab of {@linkcode SLAB_SIZE} bytes, shared with the fields
 *   copied after it, and a fresh slab is taken when it is full;
 * - a larger field is copied into a buffer of its exact size.
 *
 * So a field kept holds at most a slab, or twice its own size. Every byte
 * of a slab is written once, before its view is handed out, and never
 * again: fields in one slab never see each other change.
 */
export class PayloadSlab {
  #slab: Uint8Array | undefined;
  #buffer: ArrayBuffer | undefined;
  #used = SLAB_SIZE;
  /**
   * The bytes copied from last and the size of their buffer: the fields of
   * a chunk's packets come one after the other, and JavaScriptCore reads
   * `buffer.byteLength` through two native getters (8% of the copying).
   */
  #source: Uint8Array | undefined;
  #sourceSize = 0;

  /** A copy of `bytes[start..end)`, or a view where a copy would save nothing. */
  copy(bytes: Uint8Array, start: number, end: number): Uint8Array {
    const length = end - start;
    if (bytes !== this.#source) {
      this.#source = bytes;
      this.#sourceSize = bytes.buffer.byteLength;
    }
    if (this.#sourceSize <= 2 * length) return bytes.subarray(start, end);
    if (length > SLAB_FIELD_LIMIT) return bytes.slice(start, end);
    let used = this.#used;
    if (used + length > SLAB_SIZE) {
      this.#slab = new Uint8Array(SLAB_SIZE);
      this.#buffer = this.#slab.buffer as ArrayBuffer;
      used = 0;
    }
    const slab = this.#slab!;
    if (length <= LOOP_LIMIT) {
      for (let i = 0; i < length; i++) slab[used + i] = bytes[start + i];
    } else {
      slab.set(bytes.subarray(start, end), used);
    }
    this.#used = used + length;
    return new Uint8Array(this.#buffer!, used, length);
  }
}
