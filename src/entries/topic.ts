/**
 * Topic names and topic filters: validation by the rules of MQTT 5.0 and
 * 3.1.1 (section 4.7), shared subscriptions, and matching a topic name
 * against a filter with `+` and `#` wildcards.
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
 * @module
 */

export {
  isSharedSubscription,
  isValidTopicFilter,
  isValidTopicName,
  topicMatches,
} from "../topic.ts";
