/**
 * The topic filters nobody may read (`--deny FILTER`), and what "matches"
 * means for a filter against a filter.
 *
 * @module
 */

import {
  isSharedSubscription,
  isValidTopicFilter,
  TopicTree,
} from "../../mod.ts";

/**
 * Topics no client may read: those a deny filter matches. Two rules
 * follow, one for each place a subscriber could get such a message:
 *
 * - A SUBSCRIBE to a filter that the deny filter *covers* — every topic
 *   it can match, the deny filter matches too — is refused (SUBACK 0x80,
 *   as MQTT 3.1.1 and 5.0 both have it): `--deny test/nosubscribe`
 *   refuses `test/nosubscribe`; `--deny secret/#` refuses `secret/#`,
 *   `secret/+/x` and `secret`. A shared subscription is judged by its
 *   filter after `$share/{ShareName}/`.
 * - A wider filter that only overlaps (`#`, `+/nosubscribe`) is granted,
 *   but the denied topics are never delivered through it, nor kept as
 *   retained messages: a message on a denied topic goes to nobody.
 *
 * @example Usage
 * ```ts
 * const deny = new DenyList(["secret/#"]);
 * deny.refuses("secret/+/x"); // true: everything it matches is denied
 * deny.refuses("#"); // false: granted, but...
 * deny.hides("secret/plans"); // true: ...this goes to nobody
 * ```
 */
export class DenyList {
  readonly #filters: string[];
  readonly #index = new TopicTree<string>();

  /** @throws {Error} For a filter that is not a valid topic filter. */
  constructor(filters: readonly string[]) {
    for (const filter of filters) {
      if (!isValidTopicFilter(filter) || isSharedSubscription(filter)) {
        throw new Error(`--deny ${filter}: not a topic filter`);
      }
      this.#index.add(filter, filter);
    }
    this.#filters = [...filters];
  }

  /** Whether the list is empty (nothing to check). */
  get isEmpty(): boolean {
    return this.#filters.length === 0;
  }

  /** Whether a SUBSCRIBE to `filter` is refused: a deny filter covers it. */
  refuses(filter: string): boolean {
    const own = isSharedSubscription(filter)
      ? filter.slice(filter.indexOf("/", "$share/".length) + 1)
      : filter;
    return this.#filters.some((deny) => covers(deny, own));
  }

  /** Whether messages on `topic` are kept from every subscriber. */
  hides(topic: string): boolean {
    return this.#filters.length > 0 && this.#index.match(topic).length > 0;
  }
}

/**
 * Whether every topic name `inner` matches is matched by `outer` too
 * (section 4.7): level by level, `#` in `outer` covers whatever follows
 * (and the level above it, as `a/#` matches `a`), `+` covers one level
 * (a name or `+`, never `#`), a name covers only itself; and a filter
 * starting with a wildcard covers no topic starting with `$`
 * [MQTT-4.7.2-1].
 */
export function covers(outer: string, inner: string): boolean {
  const o = outer.split("/");
  const i = inner.split("/");
  if ((o[0] === "+" || o[0] === "#") && i[0].startsWith("$")) return false;
  for (let level = 0; level < o.length; level++) {
    if (o[level] === "#") return true;
    if (level >= i.length || i[level] === "#") return false;
    if (o[level] === "+") continue;
    if (i[level] !== o[level]) return false;
  }
  return i.length === o.length;
}
