/**
 * A map from topic names to values that can be searched with a topic
 * filter, for retained messages: a trie over topic levels, so that finding
 * the topics a filter matches costs what they are, not how many topics are
 * stored.
 *
 * @module
 */

import { isSharedSubscription, startsWithDollar } from "./topic.ts";
import { checkTopicFilter, checkTopicName } from "./topic_check.ts";

/** One topic level. `hasValue` tells an absent value from a stored `undefined`. */
class TopicNode<T> {
  readonly parent: TopicNode<T> | undefined;
  readonly level: string;
  children: Map<string, TopicNode<T>> | undefined;
  hasValue = false;
  value: T | undefined;

  constructor(parent: TopicNode<T> | undefined, level: string) {
    this.parent = parent;
    this.level = level;
  }
}

/**
 * Values by topic name, found by topic filter: what a broker keeps its
 * retained messages in (one per topic, section 3.3.1.3), so that a new
 * subscription gets the retained messages its filter matches without a scan
 * of every retained topic. {@linkcode TopicMap.set}, {@linkcode TopicMap.get}
 * and {@linkcode TopicMap.delete} work as a `Map`'s do;
 * {@linkcode TopicMap.match} returns the values of every topic a filter
 * matches, visiting only the levels the filter's levels lead to (and, below
 * a `#`, the matching subtree).
 *
 * Matching follows section 4.7: `+` is one level, `#` the level above it and
 * every level below, and a filter starting with `+` or `#` matches no topic
 * starting with `$` [MQTT-4.7.2-1]. A filter `$share/...` is matched as it
 * is written: a broker sends no retained messages for a Shared Subscription
 * (MQTT 5.0 section 3.3.1.3 sends them for a new Non-shared Subscription),
 * so it has no reason to look one up.
 *
 * Deleting a topic removes the levels that held nothing else: memory follows
 * what is stored ({@linkcode TopicMap.nodeCount}).
 *
 * @typeParam T The values stored, such as the retained message itself.
 *
 * @example Retained messages for a new subscription
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { TopicMap } from "@mqtt/codec/topic";
 *
 * const retained = new TopicMap<string>();
 * retained.set("home/kitchen/temperature", "21.5");
 * retained.set("home/garage/temperature", "12.0");
 * retained.set("home/kitchen/humidity", "40");
 * retained.set("$SYS/uptime", "3600");
 *
 * assertEquals(retained.match("home/+/temperature").sort(), ["12.0", "21.5"]);
 * assertEquals(retained.match("#").length, 3); // not $SYS/uptime [MQTT-4.7.2-1]
 * // An empty retained message clears its topic [MQTT-3.3.1-6].
 * retained.delete("home/garage/temperature");
 * assertEquals(retained.match("home/+/temperature"), ["21.5"]);
 * ```
 */
export class TopicMap<T> {
  readonly #root = new TopicNode<T>(undefined, "");
  /** The node of every stored topic, for lookups without a walk. */
  readonly #nodes = new Map<string, TopicNode<T>>();
  #nodeCount = 0;

  /**
   * How many topics hold a value.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { TopicMap } from "@mqtt/codec/topic";
   *
   * const map = new TopicMap<number>();
   * map.set("a/b", 1).set("a/b", 2).set("a", 3);
   * assertEquals(map.size, 2);
   * ```
   */
  get size(): number {
    return this.#nodes.size;
  }

  /**
   * How many topic levels the map holds: what its memory grows with. It is
   * 0 when nothing is stored, whatever was stored before.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { TopicMap } from "@mqtt/codec/topic";
   *
   * const map = new TopicMap<number>();
   * map.set("a/b/c", 1);
   * assertEquals(map.nodeCount, 3);
   * map.delete("a/b/c");
   * assertEquals(map.nodeCount, 0);
   * ```
   */
  get nodeCount(): number {
    return this.#nodeCount;
  }

  /**
   * Stores `value` for a topic name, replacing the value it had.
   *
   * @param topic A valid topic name (no wildcards, not empty).
   * @param value The value.
   * @returns This map.
   * @throws {MqttError} 0x90 Topic Name invalid, for an invalid topic name.
   *
   * @example Usage
   * ```ts
   * import { assertEquals, assertThrows } from "@std/assert";
   * import { MqttError, TopicMap } from "@mqtt/codec/topic";
   *
   * const map = new TopicMap<string>();
   * map.set("a/b", "first").set("a/b", "second");
   * assertEquals(map.get("a/b"), "second");
   * assertThrows(() => map.set("a/+", "x"), MqttError);
   * ```
   */
  set(topic: string, value: T): this {
    let node = this.#nodes.get(topic);
    if (node === undefined) {
      checkTopicName("TopicMap.set", topic);
      node = this.#root;
      for (const level of topic.split("/")) {
        node.children ??= new Map();
        let child = node.children.get(level);
        if (child === undefined) {
          child = new TopicNode(node, level);
          node.children.set(level, child);
          this.#nodeCount++;
        }
        node = child;
      }
      node.hasValue = true;
      this.#nodes.set(topic, node);
    }
    node.value = value;
    return this;
  }

  /**
   * The value stored for a topic name.
   *
   * @param topic A topic name.
   * @returns The value, or `undefined` when there is none.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { TopicMap } from "@mqtt/codec/topic";
   *
   * const map = new TopicMap<number>().set("a", 1);
   * assertEquals(map.get("a"), 1);
   * assertEquals(map.get("b"), undefined);
   * ```
   */
  get(topic: string): T | undefined {
    return this.#nodes.get(topic)?.value;
  }

  /**
   * Whether a topic name holds a value.
   *
   * @param topic A topic name.
   * @returns `true` when {@linkcode TopicMap.set} stored one.
   *
   * @example Usage
   * ```ts
   * import { assert, assertFalse } from "@std/assert";
   * import { TopicMap } from "@mqtt/codec/topic";
   *
   * const map = new TopicMap<number>().set("a/b", 1);
   * assert(map.has("a/b"));
   * assertFalse(map.has("a"));
   * ```
   */
  has(topic: string): boolean {
    return this.#nodes.has(topic);
  }

  /**
   * Removes the value of a topic name, and every level left holding
   * nothing.
   *
   * @param topic A topic name.
   * @returns `false` when the topic held no value.
   *
   * @example Usage
   * ```ts
   * import { assert, assertFalse } from "@std/assert";
   * import { TopicMap } from "@mqtt/codec/topic";
   *
   * const map = new TopicMap<number>().set("a/b", 1);
   * assert(map.delete("a/b"));
   * assertFalse(map.delete("a/b"));
   * ```
   */
  delete(topic: string): boolean {
    const node = this.#nodes.get(topic);
    if (node === undefined) return false;
    this.#nodes.delete(topic);
    node.hasValue = false;
    node.value = undefined;
    let current = node;
    while (
      current.parent !== undefined && !current.hasValue &&
      current.children === undefined
    ) {
      const parent = current.parent;
      parent.children!.delete(current.level);
      if (parent.children!.size === 0) parent.children = undefined;
      this.#nodeCount--;
      current = parent;
    }
    return true;
  }

  /**
   * The values of every topic name that a topic filter matches, in no
   * particular order.
   *
   * @param filter A valid topic filter.
   * @returns The matching values.
   * @throws {MqttError} 0x8F Topic Filter invalid, for an invalid filter.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { TopicMap } from "@mqtt/codec/topic";
   *
   * const map = new TopicMap<string>()
   *   .set("sport", "s")
   *   .set("sport/tennis", "t")
   *   .set("sport/tennis/player1", "p");
   * assertEquals(map.match("sport/#").sort(), ["p", "s", "t"]);
   * assertEquals(map.match("sport/+"), ["t"]);
   * assertEquals(map.match("+"), ["s"]);
   * ```
   */
  match(filter: string): T[] {
    // A `$share/` filter is matched as written (see the class): only its
    // wildcards are checked, as in MQTT 3.1.1.
    checkTopicFilter(
      "TopicMap.match",
      filter,
      isSharedSubscription(filter) ? 4 : 5,
    );
    const found: T[] = [];
    if (this.#nodes.size === 0) return found;
    const levels = filter.split("/");
    const nodes: TopicNode<T>[] = [this.#root];
    const depths: number[] = [0];
    while (nodes.length > 0) {
      const node = nodes.pop()!;
      const depth = depths.pop()!;
      if (depth === levels.length) {
        if (node.hasValue) found.push(node.value as T);
        continue;
      }
      const level = levels[depth];
      if (level === "#") {
        // "a/#" matches "a" too; "#" at the first level has no such parent.
        if (node.hasValue) found.push(node.value as T);
        collectBelow(node, depth === 0, found);
      } else if (level === "+") {
        if (node.children === undefined) continue;
        for (const child of node.children.values()) {
          // A first-level "+" does not match a $ topic [MQTT-4.7.2-1].
          if (depth === 0 && startsWithDollar(child.level)) continue;
          nodes.push(child);
          depths.push(depth + 1);
        }
      } else {
        const child = node.children?.get(level);
        if (child !== undefined) {
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
    }
    return found;
  }

  /**
   * Removes everything.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { TopicMap } from "@mqtt/codec/topic";
   *
   * const map = new TopicMap<number>().set("a", 1);
   * map.clear();
   * assertEquals([map.size, map.nodeCount], [0, 0]);
   * ```
   */
  clear(): void {
    this.#root.children = undefined;
    this.#nodes.clear();
    this.#nodeCount = 0;
  }
}

/**
 * Pushes the value of every node below `top` onto `found`; below the root,
 * topics starting with `$` are left out [MQTT-4.7.2-1].
 */
function collectBelow<T>(top: TopicNode<T>, isRoot: boolean, found: T[]) {
  if (top.children === undefined) return;
  const pending: TopicNode<T>[] = [];
  for (const child of top.children.values()) {
    if (isRoot && startsWithDollar(child.level)) continue;
    pending.push(child);
  }
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (node.hasValue) found.push(node.value as T);
    if (node.children !== undefined) {
      for (const child of node.children.values()) pending.push(child);
    }
  }
}
