/**
 * A first-in first-out queue with constant-time push and shift.
 *
 * @module
 */

/**
 * A FIFO queue over an array with a moving head: `shift` is O(1), and the
 * consumed front is cut off once it is at least half of the array, so the
 * memory held follows what is queued.
 */
export class Deque<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** How many items are queued. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Adds an item at the back. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** The front item, without removing it. */
  peek(): T | undefined {
    return this.#head < this.#items.length
      ? this.#items[this.#head]
      : undefined;
  }

  /** Removes and returns the front item. */
  shift(): T | undefined {
    const items = this.#items;
    if (this.#head >= items.length) return undefined;
    const item = items[this.#head];
    items[this.#head++] = undefined; // no reference kept to what left
    if (this.#head === items.length) {
      items.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= items.length) {
      items.splice(0, this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes every item and returns them, front first. */
  drain(): T[] {
    const rest = this.#items.slice(this.#head) as T[];
    this.#items = [];
    this.#head = 0;
    return rest;
  }

  /** The items, front first. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.#head; i < this.#items.length; i++) {
      yield this.#items[i] as T;
    }
  }
}
