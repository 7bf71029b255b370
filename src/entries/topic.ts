/**
 * Topic names and topic filters: validation by the rules of MQTT 5.0 and
 * 3.1.1 (section 4.7), shared subscriptions, and matching a topic name
 * against a filter with `+` and `#` wildcards; and the two indexes a broker
 * routes with, whose cost follows the matches rather than what is stored:
 * {@linkcode TopicTree} (subscriptions by topic filter, searched by topic
 * name) and {@linkcode TopicMap} (retained messages by topic name, searched
 * by topic filter). Invalid names and filters are an {@linkcode MqttError}.
 *
 * @example Matching topics
 * ```ts
 * import { assert } from "@std/assert";
 * import { isValidTopicFilter, topicMatches } from "@mqtt/codec/topic";
 *
 * assert(isValidTopicFilter("home/+/temperature"));
 * assert(topicMatches("home/+/temperature", "home/kitchen/temperature"));
 * assert(!topicMatches("home/#", "office/desk"));
 * ```
 *
 * @example A broker's two indexes
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { TopicMap, TopicTree } from "@mqtt/codec/topic";
 *
 * const subscriptions = new TopicTree<string>();
 * subscriptions.add("home/+/temperature", "client-1");
 * assertEquals(subscriptions.match("home/kitchen/temperature"), ["client-1"]);
 *
 * const retained = new TopicMap<string>();
 * retained.set("home/kitchen/temperature", "21.5");
 * assertEquals(retained.match("home/+/temperature"), ["21.5"]);
 * ```
 *
 * @module
 */

export {
  isSharedSubscription,
  isValidTopicFilter,
  isValidTopicName,
  topicMatches,
} from "../topic.ts";
export { type SharedSubscriptionGroup, TopicTree } from "../topic_tree.ts";
export { TopicMap } from "../topic_map.ts";
export { MqttError } from "../error.ts";
