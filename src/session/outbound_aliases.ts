/**
 * Topic Aliases we send (MQTT 5.0 section 3.3.2.3.4).
 *
 * @module
 */

/**
 * The Topic Aliases this side assigns to the topics it publishes on one
 * network connection, within the peer's Topic Alias Maximum.
 *
 * The policy: first come, first served. A topic name of at least
 * {@linkcode ALIAS_MINIMUM_LENGTH} characters that has no alias yet gets
 * the next free one (1, 2, ... up to the peer's maximum), sent with the
 * full topic name once; later messages on it carry only the alias. Once
 * every alias is taken, other topics are sent in full: no alias is ever
 * reassigned, so a mapping the peer holds never changes under it. Shorter
 * names save nothing (an alias costs 3 bytes plus an empty name of 2).
 */
export class OutboundTopicAliases {
  readonly #maximum: number;
  readonly #byTopic = new Map<string, number>();

  /** @param maximum The peer's Topic Alias Maximum (0: no aliases). */
  constructor(maximum: number) {
    this.#maximum = maximum;
  }

  /**
   * The alias `topic` would be sent with, without assigning it: a negative
   * number is an established alias (send an empty topic name with its
   * absolute value), a positive one the next free alias (send the topic
   * name with it, then {@linkcode assign} it), 0 none (send the name alone).
   */
  aliasFor(topic: string): number {
    const known = this.#byTopic.get(topic);
    if (known !== undefined) return -known;
    const next = this.#byTopic.size + 1;
    if (next > this.#maximum || topic.length < ALIAS_MINIMUM_LENGTH) return 0;
    return next;
  }

  /** Records that `alias`, as given by {@linkcode aliasFor}, was sent with `topic`. */
  assign(topic: string, alias: number): void {
    this.#byTopic.set(topic, alias);
  }

  /** How many aliases are assigned. */
  get size(): number {
    return this.#byTopic.size;
  }
}

/** Topic names shorter than this are never given an alias. */
export const ALIAS_MINIMUM_LENGTH = 4;
