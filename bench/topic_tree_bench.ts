/**
 * The topic indexes against the linear scans they replace, in the two cases
 * of the broker attack (issue 10):
 *
 * - `subs-10k`: one client holds 10,000 subscriptions; each PUBLISH is
 *   matched against them. `TopicTree.match` against a loop of
 *   `topicMatches` over the 10,000 filters (what the example broker does).
 * - `retained-100k`: 100,000 retained topics; a SUBSCRIBE looks up the
 *   retained messages of each of its filters. `TopicMap.match` of one filter
 *   against a loop of `topicMatches` over the 100,000 topics, and the whole
 *   SUBSCRIBE of 20,000 non-matching filters through `TopicMap.match` (the
 *   scan would take 20,000 times the one-filter scan: seconds).
 * - `build-*`: what the indexes cost to fill, against a plain `Map`.
 *
 * ```sh
 * deno bench -A bench/topic_tree_bench.ts
 * ```
 *
 * @module
 */

import { TopicMap, topicMatches, TopicTree } from "../mod.ts";

const SUBSCRIPTIONS = 10_000;
const RETAINED = 100_000;
const SUBSCRIBE_FILTERS = 20_000;

// One client's 10,000 subscriptions: a literal filter per room, and a few
// wildcards, as a dashboard would hold.
const filters: string[] = [];
for (let i = 0; i < SUBSCRIPTIONS - 3; i++) {
  filters.push(`building/${i % 50}/room/${i}/temperature`);
}
filters.push("building/+/alarm", "building/7/#", "$SYS/broker/#");
const tree = new TopicTree<string>();
for (const filter of filters) tree.add(filter, filter);
const matchingTopic = "building/7/room/4207/temperature"; // two filters
const otherTopic = "building/12/room/99999/humidity"; // none

function scanSubscriptions(topic: string): string[] {
  const found: string[] = [];
  for (const filter of filters) {
    if (topicMatches(filter, topic)) found.push(filter);
  }
  return found;
}

if (
  tree.match(matchingTopic).length !== 2 ||
  scanSubscriptions(matchingTopic).length !== 2 ||
  tree.match(otherTopic).length !== 0
) {
  throw new Error("bench set-up: the subscriptions do not match as intended");
}

Deno.bench({
  name: "TopicTree.match, a topic 2 of 10,000 filters match",
  group: "subs-10k",
  baseline: true,
  fn: () => {
    tree.match(matchingTopic);
  },
});
Deno.bench({
  name: "topicMatches over 10,000 filters, a topic 2 match",
  group: "subs-10k",
  fn: () => {
    scanSubscriptions(matchingTopic);
  },
});
Deno.bench({
  name: "TopicTree.match, a topic no filter matches",
  group: "subs-10k-none",
  baseline: true,
  fn: () => {
    tree.match(otherTopic);
  },
});
Deno.bench({
  name: "topicMatches over 10,000 filters, a topic none matches",
  group: "subs-10k-none",
  fn: () => {
    scanSubscriptions(otherTopic);
  },
});

// 100,000 retained topics, and the filters of one SUBSCRIBE that share their
// first levels but match none of them.
const topics: string[] = [];
for (let i = 0; i < RETAINED; i++) topics.push(`device/${i}/state`);
const retained = new TopicMap<string>();
for (const topic of topics) retained.set(topic, topic);
const subscribeFilters: string[] = [];
for (let i = 0; i < SUBSCRIBE_FILTERS; i++) {
  subscribeFilters.push(`device/${i}/config/+`);
}

function scanRetained(filter: string): string[] {
  const found: string[] = [];
  for (const topic of topics) {
    if (topicMatches(filter, topic)) found.push(topic);
  }
  return found;
}

if (
  retained.match("device/4242/+").length !== 1 ||
  scanRetained("device/4242/+").length !== 1 ||
  retained.match(subscribeFilters[4242]).length !== 0
) {
  throw new Error("bench set-up: the retained topics do not match as intended");
}

Deno.bench({
  name: "TopicMap.match, one filter among 100,000 topics",
  group: "retained-100k",
  baseline: true,
  fn: () => {
    retained.match("device/4242/+");
  },
});
Deno.bench({
  name: "topicMatches over 100,000 topics, one filter",
  group: "retained-100k",
  fn: () => {
    scanRetained("device/4242/+");
  },
});
Deno.bench({
  name: "TopicMap.match, a SUBSCRIBE of 20,000 non-matching filters",
  group: "retained-subscribe",
  fn: () => {
    for (const filter of subscribeFilters) retained.match(filter);
  },
});

Deno.bench({
  name: "TopicTree.add 10,000 filters",
  group: "build-subs",
  baseline: true,
  fn: () => {
    const fresh = new TopicTree<string>();
    for (const filter of filters) fresh.add(filter, filter);
  },
});
Deno.bench({
  name: "Map.set 10,000 filters",
  group: "build-subs",
  fn: () => {
    const fresh = new Map<string, string>();
    for (const filter of filters) fresh.set(filter, filter);
  },
});
Deno.bench({
  name: "TopicMap.set 100,000 topics",
  group: "build-retained",
  baseline: true,
  fn: () => {
    const fresh = new TopicMap<string>();
    for (const topic of topics) fresh.set(topic, topic);
  },
});
Deno.bench({
  name: "Map.set 100,000 topics",
  group: "build-retained",
  fn: () => {
    const fresh = new Map<string, string>();
    for (const topic of topics) fresh.set(topic, topic);
  },
});
