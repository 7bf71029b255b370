/**
 * The distinct payloads a subscriber of `examples/client.ts --count N` has
 * received, in a form that stays small when saved: the payloads of
 * `--pub --count N` are "0" .. "N-1", which runs of whole numbers hold in
 * two numbers each.
 *
 * @module
 */

/** A saved {@linkcode PayloadSet}: runs `[first, last]` of whole numbers, and other payloads. */
export type SavedPayloads = (string | [number, number])[];

/** Whether `text` is a whole number written as `String(number)` writes it. */
function isCanonicalNumber(text: string): boolean {
  return /^(0|[1-9][0-9]{0,14})$/.test(text);
}

/** A set of payloads (as text) that saves runs of whole numbers as ranges. */
export class PayloadSet {
  readonly #payloads = new Set<string>();

  /** The set that `saved` (from {@linkcode PayloadSet.save}) holds. */
  static from(saved: SavedPayloads): PayloadSet {
    const set = new PayloadSet();
    for (const entry of saved) {
      if (typeof entry === "string") {
        set.add(entry);
        continue;
      }
      for (let number = entry[0]; number <= entry[1]; number++) {
        set.add(String(number));
      }
    }
    return set;
  }

  /** How many distinct payloads. */
  get size(): number {
    return this.#payloads.size;
  }

  /** Adds `payload`; returns false when it was there already (a duplicate). */
  add(payload: string): boolean {
    if (this.#payloads.has(payload)) return false;
    this.#payloads.add(payload);
    return true;
  }

  /** The set as plain data: whole numbers in ascending runs first, then the rest. */
  save(): SavedPayloads {
    const numbers: number[] = [];
    const others: string[] = [];
    for (const payload of this.#payloads) {
      if (isCanonicalNumber(payload)) numbers.push(Number(payload));
      else others.push(payload);
    }
    numbers.sort((a, b) => a - b);
    const runs: [number, number][] = [];
    for (const number of numbers) {
      const last = runs.at(-1);
      if (last !== undefined && last[1] + 1 === number) last[1] = number;
      else runs.push([number, number]);
    }
    return [...runs, ...others];
  }
}
