/**
 * A first-in first-out queue with constant-time push and shift.
 *
 * @module
 */

/** The buffer of every empty queue that never held anything: nothing is written to it. */
const NONE: never[] = [];

/**
 * A FIFO queue in a ring buffer whose capacity doubles when full: `push`
 * and `shift` are O(1) and allocate nothing in a steady state, which the
 * sessions' queues (packets to send, events, messages) are in. A queue
 * allocates its buffer on its first `push` (a server holds thousands of
 * idle sessions, each with several queues).
 */
export class Deque<T> {
  #items: (T | undefined)[] = NONE;
  #head = 0;
  #length = 0;

  /** How many items are queued. */
  get length(): number {
    return this.#length;
  }

  /** Adds an item at the back. */
  push(item: T): void {
    let items = this.#items;
    if (this.#length === items.length) {
      // Full: unroll into a buffer twice the size.
      const grown: (T | undefined)[] = new Array(
        items.length === 0 ? 8 : items.length * 2,
      );
      for (let i = 0; i < this.#length; i++) {
        grown[i] = items[(this.#head + i) & (items.length - 1)];
      }
      this.#items = items = grown;
      this.#head = 0;
    }
    items[(this.#head + this.#length) & (items.length - 1)] = item;
    this.#length++;
  }

  /** The front item, without removing it. */
  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head];
  }

  /** Removes and returns the front item. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const items = this.#items;
    const item = items[this.#head];
    items[this.#head] = undefined; // no reference kept to what left
    this.#head = (this.#head + 1) & (items.length - 1);
    this.#length--;
    return item;
  }

  /**
   * Removes the items `remove` picks, keeping the others in order, and
   * returns them, front first. O(n): for the rare sweep, not every push.
   */
  removeWhere(remove: (item: T) => boolean): T[] {
    const removed: T[] = [];
    const items = this.#items;
    const mask = items.length - 1;
    let kept = 0;
    for (let i = 0; i < this.#length; i++) {
      const item = items[(this.#head + i) & mask] as T;
      if (remove(item)) removed.push(item);
      else items[(this.#head + kept++) & mask] = item;
    }
    for (let i = kept; i < this.#length; i++) {
      items[(this.#head + i) & mask] = undefined; // no reference kept
    }
    this.#length = kept;
    return removed;
  }

  /** Removes every item and returns them, front first. */
  drain(): T[] {
    const rest = [...this];
    this.#items = NONE;
    this.#head = 0;
    this.#length = 0;
    return rest;
  }

  /** The items, front first. */
  *[Symbol.iterator](): IterableIterator<T> {
    const items = this.#items;
    for (let i = 0; i < this.#length; i++) {
      yield items[(this.#head + i) & (items.length - 1)] as T;
    }
  }
}
