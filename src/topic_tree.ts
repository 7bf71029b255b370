/**
 * An index of topic filters (subscriptions) that finds, for a topic name,
 * every value subscribed with a matching filter: a trie over topic levels,
 * so that the cost of a match follows the filters that can match, not how
 * many there are.
 *
 * @module
 */

import { isSharedSubscription, startsWithDollar } from "./topic.ts";
import { checkTopicFilter, checkTopicName } from "./topic_check.ts";

const SHARE_PREFIX_LENGTH = "$share/".length;

/**
 * The members of one Shared Subscription whose filter matches a topic
 * (MQTT 5.0 section 4.8.2): a message goes to one of them, which one being
 * the caller's choice.
 */
export interface SharedSubscriptionGroup<T> {
  /** The ShareName: what stands between `$share/` and the filter. */
  readonly shareName: string;
  /** The Topic Filter after `$share/{ShareName}/`. */
  readonly topicFilter: string;
  /** The values subscribed to this shared subscription, in the order added. */
  readonly members: readonly T[];
}

/** The members of one shared subscription: an array to pick from, a set to look up. */
class SharedGroup<T> implements SharedSubscriptionGroup<T> {
  readonly shareName: string;
  readonly topicFilter: string;
  readonly members: T[] = [];
  readonly #set = new Set<T>();

  constructor(shareName: string, topicFilter: string) {
    this.shareName = shareName;
    this.topicFilter = topicFilter;
  }

  has(value: T): boolean {
    return this.#set.has(value);
  }

  add(value: T): boolean {
    if (this.#set.has(value)) return false;
    this.#set.add(value);
    this.members.push(value);
    return true;
  }

  delete(value: T): boolean {
    if (!this.#set.delete(value)) return false;
    this.members.splice(this.members.indexOf(value), 1);
    return true;
  }
}

/** One level of stored filters. `+` and `#` have fields of their own. */
class FilterNode<T> {
  readonly parent: FilterNode<T> | undefined;
  /** This node's level in its parent: a literal, `+` or `#`. */
  readonly level: string;
  children: Map<string, FilterNode<T>> | undefined;
  plus: FilterNode<T> | undefined;
  hash: FilterNode<T> | undefined;
  /** Values of the non-shared subscriptions whose filter ends here. */
  values: Set<T> | undefined;
  /** Shared subscriptions whose filter ends here, by ShareName. */
  shared: Map<string, SharedGroup<T>> | undefined;

  constructor(parent: FilterNode<T> | undefined, level: string) {
    this.parent = parent;
    this.level = level;
  }

  isEmpty(): boolean {
    return this.children === undefined && this.plus === undefined &&
      this.hash === undefined && this.values === undefined &&
      this.shared === undefined;
  }
}

/**
 * Subscriptions indexed by topic filter, for a broker or any router of MQTT
 * messages: {@linkcode TopicTree.add} a value under a filter,
 * {@linkcode TopicTree.match} a topic name to get every value whose filter
 * matches it. A trie over topic levels: a match visits only the stored
 * levels that the topic's levels, `+` and `#` lead to, whatever the number
 * of other filters.
 *
 * Matching follows section 4.7 of MQTT 5.0 and 3.1.1: `+` matches exactly
 * one level (an empty one too), `#` the level above it and every level
 * below, and a filter starting with `+` or `#` matches no topic name that
 * starts with `$` [MQTT-4.7.2-1].
 *
 * A filter `$share/{ShareName}/{filter}` is a Shared Subscription (MQTT 5.0
 * section 4.8.2): its values are kept apart, and
 * {@linkcode TopicTree.matchShared} returns each matching shared
 * subscription as one group, so that the caller delivers each message to one
 * member of the group, chosen as it likes. `match` never returns them.
 *
 * A value is stored once per filter (values are compared as a `Set` does);
 * the same value under two filters that both match a topic is returned
 * twice, once for each, as overlapping subscriptions are (the caller merges
 * them, [MQTT-3.3.4-2]). Store a value per subscription (the client and its
 * subscription options) to know which filters matched.
 *
 * Removing the last value of a filter removes the levels that held nothing
 * else: the memory used follows what is stored ({@linkcode TopicTree.nodeCount}).
 *
 * @typeParam T The values stored, such as a subscription record.
 *
 * @example Routing a message
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { TopicTree } from "@mqtt/codec/topic";
 *
 * const subscriptions = new TopicTree<string>();
 * subscriptions.add("home/+/temperature", "display");
 * subscriptions.add("home/#", "logger");
 * subscriptions.add("office/#", "janitor");
 * subscriptions.add("#", "everything");
 *
 * assertEquals(
 *   subscriptions.match("home/kitchen/temperature").sort(),
 *   ["display", "everything", "logger"],
 * );
 * // Wildcards at the first level do not match $ topics [MQTT-4.7.2-1].
 * assertEquals(subscriptions.match("$SYS/uptime"), []);
 * ```
 *
 * @example Shared subscriptions: one member of each group gets the message
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { TopicTree } from "@mqtt/codec/topic";
 *
 * const subscriptions = new TopicTree<string>();
 * subscriptions.add("$share/workers/jobs/+", "worker-1");
 * subscriptions.add("$share/workers/jobs/+", "worker-2");
 * subscriptions.add("jobs/#", "auditor");
 *
 * assertEquals(subscriptions.match("jobs/42"), ["auditor"]);
 * const [group] = subscriptions.matchShared("jobs/42");
 * assertEquals(group.shareName, "workers");
 * assertEquals(group.topicFilter, "jobs/+");
 * assertEquals(group.members, ["worker-1", "worker-2"]);
 * let turn = 0; // round robin, for instance
 * const chosen = group.members[turn++ % group.members.length];
 * assertEquals(chosen, "worker-1");
 * ```
 */
export class TopicTree<T> {
  readonly #root = new FilterNode<T>(undefined, "");
  #size = 0;
  #sharedSize = 0;
  #nodeCount = 0;

  /**
   * How many (filter, value) pairs are stored, shared subscriptions
   * included.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { TopicTree } from "@mqtt/codec/topic";
   *
   * const tree = new TopicTree<number>();
   * tree.add("a/b", 1);
   * tree.add("a/b", 1); // already there
   * tree.add("a/+", 1);
   * assertEquals(tree.size, 2);
   * ```
   */
  get size(): number {
    return this.#size;
  }

  /**
   * How many topic levels the tree holds: what its memory grows with. It
   * is 0 when nothing is stored, whatever was stored before.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { TopicTree } from "@mqtt/codec/topic";
   *
   * const tree = new TopicTree<number>();
   * tree.add("a/b/c", 1);
   * tree.add("a/b/d", 1);
   * assertEquals(tree.nodeCount, 4); // a, b, c, d
   * tree.remove("a/b/c", 1);
   * tree.remove("a/b/d", 1);
   * assertEquals(tree.nodeCount, 0);
   * ```
   */
  get nodeCount(): number {
    return this.#nodeCount;
  }

  /**
   * Stores `value` under the topic filter `filter`.
   *
   * @param filter A valid topic filter; `$share/{ShareName}/{filter}` is a
   * shared subscription.
   * @param value The value to store.
   * @returns `false` when `value` was already stored under `filter`.
   * @throws {MqttError} 0x8F Topic Filter invalid, for a filter that breaks
   * the rules of section 4.7 (or 4.8.2 for shared subscriptions).
   *
   * @example Usage
   * ```ts
   * import { assert, assertFalse, assertThrows } from "@std/assert";
   * import { MqttError, TopicTree } from "@mqtt/codec/topic";
   *
   * const tree = new TopicTree<string>();
   * assert(tree.add("sensors/#", "a"));
   * assertFalse(tree.add("sensors/#", "a"));
   * assertThrows(() => tree.add("sensors/#/x", "a"), MqttError);
   * ```
   */
  add(filter: string, value: T): boolean {
    const { shareName, levels } = this.#parse("add", filter);
    let node = this.#root;
    for (const level of levels) node = this.#child(node, level);
    if (shareName === undefined) {
      node.values ??= new Set();
      if (node.values.has(value)) return false;
      node.values.add(value);
    } else {
      node.shared ??= new Map();
      let group = node.shared.get(shareName);
      if (group === undefined) {
        group = new SharedGroup(shareName, levels.join("/"));
        node.shared.set(shareName, group);
      }
      if (!group.add(value)) return false;
      this.#sharedSize++;
    }
    this.#size++;
    return true;
  }

  /**
   * Removes `value` from under `filter`, and every level left holding
   * nothing.
   *
   * @param filter A valid topic filter, as given to {@linkcode TopicTree.add}.
   * @param value The value to remove.
   * @returns `false` when `value` was not stored under `filter`.
   * @throws {MqttError} 0x8F Topic Filter invalid, for an invalid filter.
   *
   * @example Usage
   * ```ts
   * import { assert, assertEquals, assertFalse } from "@std/assert";
   * import { TopicTree } from "@mqtt/codec/topic";
   *
   * const tree = new TopicTree<string>();
   * tree.add("a/+", "x");
   * assert(tree.remove("a/+", "x"));
   * assertFalse(tree.remove("a/+", "x"));
   * assertEquals(tree.match("a/b"), []);
   * ```
   */
  remove(filter: string, value: T): boolean {
    const { shareName, levels } = this.#parse("remove", filter);
    const node = this.#find(levels);
    if (node === undefined) return false;
    if (shareName === undefined) {
      if (node.values === undefined || !node.values.delete(value)) {
        return false;
      }
      if (node.values.size === 0) node.values = undefined;
    } else {
      const group = node.shared?.get(shareName);
      if (group === undefined || !group.delete(value)) return false;
      if (group.members.length === 0) node.shared!.delete(shareName);
      if (node.shared!.size === 0) node.shared = undefined;
      this.#sharedSize--;
    }
    this.#size--;
    this.#prune(node);
    return true;
  }

  /**
   * Whether `value` is stored under `filter`.
   *
   * @param filter A valid topic filter.
   * @param value The value to look for.
   * @returns `true` when {@linkcode TopicTree.add} stored it there.
   * @throws {MqttError} 0x8F Topic Filter invalid, for an invalid filter.
   *
   * @example Usage
   * ```ts
   * import { assert, assertFalse } from "@std/assert";
   * import { TopicTree } from "@mqtt/codec/topic";
   *
   * const tree = new TopicTree<string>();
   * tree.add("$share/g/a/#", "x");
   * assert(tree.has("$share/g/a/#", "x"));
   * assertFalse(tree.has("a/#", "x"));
   * ```
   */
  has(filter: string, value: T): boolean {
    const { shareName, levels } = this.#parse("has", filter);
    const node = this.#find(levels);
    if (node === undefined) return false;
    if (shareName === undefined) return node.values?.has(value) ?? false;
    return node.shared?.get(shareName)?.has(value) ?? false;
  }

  /**
   * The values of every non-shared subscription whose filter matches a
   * topic name: one entry per matching (filter, value) pair, in no
   * particular order.
   *
   * @param topic A valid topic name (no wildcards, not empty).
   * @returns The matching values.
   * @throws {MqttError} 0x90 Topic Name invalid, for an invalid topic name.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { TopicTree } from "@mqtt/codec/topic";
   *
   * const tree = new TopicTree<string>();
   * tree.add("sport/tennis/#", "fan");
   * tree.add("sport/+", "reporter");
   * assertEquals(tree.match("sport/tennis").sort(), ["fan", "reporter"]);
   * assertEquals(tree.match("sport/tennis/player1"), ["fan"]);
   * assertEquals(tree.match("sport"), []);
   * ```
   */
  match(topic: string): T[] {
    checkTopicName("TopicTree.match", topic);
    const found: T[] = [];
    if (this.#size === this.#sharedSize) return found;
    this.#visitMatches(topic, (node) => {
      if (node.values !== undefined) {
        for (const value of node.values) found.push(value);
      }
    });
    return found;
  }

  /**
   * Every shared subscription whose filter (after `$share/{ShareName}/`)
   * matches a topic name, with its members. Send the message to one member
   * of each group (MQTT 5.0 section 4.8.2).
   *
   * @param topic A valid topic name (no wildcards, not empty).
   * @returns One group per matching shared subscription, in no particular
   * order. The `members` arrays are the tree's own: read them, do not keep
   * them across changes.
   * @throws {MqttError} 0x90 Topic Name invalid, for an invalid topic name.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { TopicTree } from "@mqtt/codec/topic";
   *
   * const tree = new TopicTree<string>();
   * tree.add("$share/a/jobs/#", "x");
   * tree.add("$share/b/jobs/#", "y");
   * tree.add("$share/b/jobs/#", "z");
   * const groups = tree.matchShared("jobs/1");
   * assertEquals(
   *   groups.map((group) => [group.shareName, group.members]),
   *   [["a", ["x"]], ["b", ["y", "z"]]],
   * );
   * ```
   */
  matchShared(topic: string): SharedSubscriptionGroup<T>[] {
    checkTopicName("TopicTree.matchShared", topic);
    const found: SharedSubscriptionGroup<T>[] = [];
    if (this.#sharedSize === 0) return found;
    this.#visitMatches(topic, (node) => {
      if (node.shared !== undefined) {
        for (const group of node.shared.values()) found.push(group);
      }
    });
    return found;
  }

  /**
   * Removes everything.
   *
   * @example Usage
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { TopicTree } from "@mqtt/codec/topic";
   *
   * const tree = new TopicTree<number>();
   * tree.add("a", 1);
   * tree.clear();
   * assertEquals([tree.size, tree.nodeCount], [0, 0]);
   * ```
   */
  clear(): void {
    const root = this.#root;
    root.children = root.plus = root.hash = undefined;
    root.values = root.shared = undefined;
    this.#size = this.#sharedSize = this.#nodeCount = 0;
  }

  /**
   * Calls `visit` for every node whose filter matches `topic`. One step of
   * the walk consumes one topic level, so a node is visited at most once;
   * a `#` below a node matches from there on (and the node's own level, as
   * "a/#" matches "a").
   */
  #visitMatches(topic: string, visit: (node: FilterNode<T>) => void): void {
    const levels = topic.split("/");
    // Wildcards at the first level do not match $ topics [MQTT-4.7.2-1].
    const dollar = startsWithDollar(topic);
    const nodes: FilterNode<T>[] = [this.#root];
    const depths: number[] = [0];
    while (nodes.length > 0) {
      const node = nodes.pop()!;
      const depth = depths.pop()!;
      const wildcards = depth > 0 || !dollar;
      if (wildcards && node.hash !== undefined) visit(node.hash);
      if (depth === levels.length) {
        visit(node);
        continue;
      }
      const child = node.children?.get(levels[depth]);
      if (child !== undefined) {
        nodes.push(child);
        depths.push(depth + 1);
      }
      if (wildcards && node.plus !== undefined) {
        nodes.push(node.plus);
        depths.push(depth + 1);
      }
    }
  }

  #parse(
    method: string,
    filter: string,
  ): { shareName: string | undefined; levels: string[] } {
    checkTopicFilter(`TopicTree.${method}`, filter, 5);
    if (!isSharedSubscription(filter)) {
      return { shareName: undefined, levels: filter.split("/") };
    }
    const slash = filter.indexOf("/", SHARE_PREFIX_LENGTH);
    return {
      shareName: filter.slice(SHARE_PREFIX_LENGTH, slash),
      levels: filter.slice(slash + 1).split("/"),
    };
  }

  /** The child of `node` for `level`, made if missing. */
  #child(node: FilterNode<T>, level: string): FilterNode<T> {
    if (level === "+") return node.plus ??= this.#newNode(node, level);
    if (level === "#") return node.hash ??= this.#newNode(node, level);
    node.children ??= new Map();
    let child = node.children.get(level);
    if (child === undefined) {
      child = this.#newNode(node, level);
      node.children.set(level, child);
    }
    return child;
  }

  #newNode(parent: FilterNode<T>, level: string): FilterNode<T> {
    this.#nodeCount++;
    return new FilterNode(parent, level);
  }

  /** The node of a filter's levels, if stored. */
  #find(levels: string[]): FilterNode<T> | undefined {
    let node: FilterNode<T> | undefined = this.#root;
    for (const level of levels) {
      node = level === "+"
        ? node.plus
        : level === "#"
        ? node.hash
        : node.children?.get(level);
      if (node === undefined) return undefined;
    }
    return node;
  }

  /** Unlinks `node` and its ancestors for as long as they hold nothing. */
  #prune(node: FilterNode<T>): void {
    let current = node;
    while (current.parent !== undefined && current.isEmpty()) {
      const parent = current.parent;
      if (current.level === "+") parent.plus = undefined;
      else if (current.level === "#") parent.hash = undefined;
      else {
        parent.children!.delete(current.level);
        if (parent.children!.size === 0) parent.children = undefined;
      }
      this.#nodeCount--;
      current = parent;
    }
  }
}
