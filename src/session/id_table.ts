/**
 * A table keyed by Packet Identifier, for the maps a session changes on
 * every message.
 *
 * @module
 */

/** The slots of every table that never held an entry (never written). */
const NO_KEYS = new Uint16Array(0);

/**
 * A hash table from Packet Identifiers (1 to 65,535) to values, by linear
 * probing with the identifier as its own hash. Sessions add and remove an
 * entry for every QoS 1 and 2 message; a `Map` used that way rehashes
 * often in V8 (measured: 100 to 380 ns a `set` plus `delete`, against about
 * 10 here). Identifiers are handed out in turn, so the live ones sit in
 * neighbouring slots; a removal shifts the entries after it back, so there
 * are no tombstones. The table doubles when half full. Iteration follows
 * the slots, not insertion: callers that need an order keep their own.
 */
export class IdTable<T> {
  /**
   * The identifier in each slot; 0 is an empty slot (0 is never an
   * identifier). No slots until the first `set`: a server holds thousands
   * of idle sessions.
   */
  #keys: Uint16Array = NO_KEYS;
  #values: (T | undefined)[] = [];
  #size = 0;

  /** How many entries there are. */
  get size(): number {
    return this.#size;
  }

  /** Whether `id` has an entry. */
  has(id: number): boolean {
    return this.#slot(id) >= 0;
  }

  /** The value of `id`, if any. */
  get(id: number): T | undefined {
    const slot = this.#slot(id);
    return slot < 0 ? undefined : this.#values[slot];
  }

  /** Sets the value of `id`. */
  set(id: number, value: T): void {
    if ((this.#size + 1) * 2 > this.#keys.length) this.#grow();
    const keys = this.#keys;
    const mask = keys.length - 1;
    let slot = id & mask;
    while (keys[slot] !== 0 && keys[slot] !== id) slot = (slot + 1) & mask;
    if (keys[slot] === 0) {
      keys[slot] = id;
      this.#size++;
    }
    this.#values[slot] = value;
  }

  /** Removes the entry of `id`; returns whether there was one. */
  delete(id: number): boolean {
    let hole = this.#slot(id);
    if (hole < 0) return false;
    const keys = this.#keys;
    const values = this.#values;
    const mask = keys.length - 1;
    // Shift back every entry of the run that would no longer be found.
    for (
      let next = (hole + 1) & mask;
      keys[next] !== 0;
      next = (next + 1) & mask
    ) {
      const home = keys[next] & mask;
      // Does `home` lie cyclically in (hole, next]? Then the entry stays.
      const stays = hole <= next
        ? hole < home && home <= next
        : hole < home || home <= next;
      if (stays) continue;
      keys[hole] = keys[next];
      values[hole] = values[next];
      hole = next;
    }
    keys[hole] = 0;
    values[hole] = undefined;
    this.#size--;
    return true;
  }

  /** Removes every entry. */
  clear(): void {
    this.#keys = NO_KEYS;
    this.#values = [];
    this.#size = 0;
  }

  /** The identifiers, in slot order. */
  keys(): number[] {
    const out: number[] = [];
    const keys = this.#keys;
    for (let slot = 0; slot < keys.length; slot++) {
      if (keys[slot] !== 0) out.push(keys[slot]);
    }
    return out;
  }

  /** The values, in slot order. */
  values(): T[] {
    const out: T[] = [];
    const keys = this.#keys;
    for (let slot = 0; slot < keys.length; slot++) {
      if (keys[slot] !== 0) out.push(this.#values[slot] as T);
    }
    return out;
  }

  #slot(id: number): number {
    if (this.#size === 0) return -1;
    const keys = this.#keys;
    const mask = keys.length - 1;
    let slot = id & mask;
    for (;;) {
      const key = keys[slot];
      if (key === id) return slot;
      if (key === 0) return -1;
      slot = (slot + 1) & mask;
    }
  }

  #grow(): void {
    const keys = this.#keys;
    const values = this.#values;
    const length = keys.length === 0 ? 8 : keys.length * 2;
    this.#keys = new Uint16Array(length);
    this.#values = new Array(length);
    this.#size = 0;
    for (let slot = 0; slot < keys.length; slot++) {
      if (keys[slot] !== 0) this.set(keys[slot], values[slot] as T);
    }
  }
}
