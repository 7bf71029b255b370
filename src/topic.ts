/**
 * Topic names and topic filters (MQTT 5.0 section 4.7, MQTT 3.1.1 section
 * 4.7): validation and matching.
 *
 * @module
 */

import type { ProtocolVersion } from "./packet.ts";
import { MQTT_5_0, type Protocol, protocolOf } from "./protocol.ts";

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;
const DOLLAR = 0x24;

/**
 * Whether a topic (or one topic level) starts with '$': such topics are not
 * matched by a wildcard at the first level [MQTT-4.7.2-1].
 */
export function startsWithDollar(text: string): boolean {
  return text.charCodeAt(0) === DOLLAR;
}
const SHARE_PREFIX = "$share/";

/** The last topic name {@linkcode topicNameProblem} found valid. */
let lastValidTopic = "/";

/**
 * Why a topic name is invalid, or `undefined` when it is valid. A topic name
 * is at least one character long [MQTT-4.7.3-1] and holds no wildcard
 * [MQTT-3.3.2-2].
 *
 * @param topic The topic name.
 * @returns A short description of the problem, or `undefined`.
 */
export function topicNameProblem(
  topic: string,
  wildcardRule = "[MQTT-3.3.2-2]",
): string | undefined {
  // A publisher sends to the same topic again and again: the last valid one
  // is recognised by one comparison.
  if (topic === lastValidTopic) return undefined;
  if (topic.length === 0) return "is empty [MQTT-4.7.3-1]";
  // Every PUBLISH passes here: two native searches are several times faster
  // than a charCodeAt loop; the loop below only finds where, for the message.
  if (topic.indexOf("+") === -1 && topic.indexOf("#") === -1) {
    lastValidTopic = topic;
    return undefined;
  }
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === PLUS || c === HASH) {
      return `contains the wildcard '${
        topic[i]
      }' at index ${i} ${wildcardRule}`;
    }
  }
  return undefined;
}

/**
 * Whether a string is a valid topic name: not empty, no `+` or `#`.
 *
 * @param topic The topic name.
 * @returns `true` when it may appear in a PUBLISH.
 *
 * @example Usage
 * ```ts
 * import { assert, assertFalse } from "@std/assert";
 * import { isValidTopicName } from "@mqtt/codec";
 *
 * assert(isValidTopicName("sensors/1/temperature"));
 * assertFalse(isValidTopicName("sensors/+/temperature"));
 * ```
 */
export function isValidTopicName(topic: string): boolean {
  return topicNameProblem(topic) === undefined;
}

function wildcardProblem(
  filter: string,
  from: number,
  protocol: Protocol,
): string | undefined {
  // Most filters hold no wildcard: native searches rule that out quickly.
  if (filter.indexOf("+", from) === -1 && filter.indexOf("#", from) === -1) {
    return undefined;
  }
  for (let i = from; i < filter.length; i++) {
    const c = filter.charCodeAt(i);
    if (c === HASH) {
      // '#' stands alone in its level and is the last character
      const alone = i === from || filter.charCodeAt(i - 1) === SLASH;
      if (!alone || i !== filter.length - 1) {
        return `has a misplaced '#' at index ${i} ${protocol.rules.hashPlacement}`;
      }
    } else if (c === PLUS) {
      // '+' occupies a whole level
      const before = i === from || filter.charCodeAt(i - 1) === SLASH;
      const after = i === filter.length - 1 ||
        filter.charCodeAt(i + 1) === SLASH;
      if (!before || !after) {
        return `has a misplaced '+' at index ${i} ${protocol.rules.plusPlacement}`;
      }
    }
  }
  return undefined;
}

/**
 * Why a topic filter is invalid, or `undefined` when it is valid. In MQTT
 * 5.0 a filter starting with `$share/` must be a valid Shared Subscription
 * (section 4.8.2); earlier versions have no shared subscriptions.
 *
 * @param filter The topic filter.
 * @param version The protocol version whose rules apply (5 by default).
 * @returns A short description of the problem, or `undefined`.
 */
export function topicFilterProblem(
  filter: string,
  version: ProtocolVersion = 5,
): string | undefined {
  const protocol = protocolOf(version) ?? MQTT_5_0;
  if (filter.length === 0) return "is empty [MQTT-4.7.3-1]";
  if (protocol.sharedSubscriptions && filter.startsWith(SHARE_PREFIX)) {
    const slash = filter.indexOf("/", SHARE_PREFIX.length);
    const shareName = filter.slice(
      SHARE_PREFIX.length,
      slash === -1 ? filter.length : slash,
    );
    // ShareName: at least one character, no '/', '+' or '#' [MQTT-4.8.2-1, MQTT-4.8.2-2]
    if (shareName.length === 0 || /[+#]/.test(shareName)) {
      return `has an invalid ShareName '${shareName}' [MQTT-4.8.2-1, MQTT-4.8.2-2]`;
    }
    if (slash === -1 || slash === filter.length - 1) {
      return "is a shared subscription without a topic filter [MQTT-4.8.2-2]";
    }
    return wildcardProblem(filter, slash + 1, protocol);
  }
  return wildcardProblem(filter, 0, protocol);
}

/**
 * Whether a string is a valid topic filter: not empty, `+` filling a whole
 * level, `#` alone in the last level; and for `$share/{ShareName}/{filter}`
 * a ShareName without `/`, `+` or `#` followed by a valid filter.
 *
 * @param filter The topic filter.
 * @returns `true` when it may appear in a SUBSCRIBE or UNSUBSCRIBE.
 *
 * @example Usage
 * ```ts
 * import { assert, assertFalse } from "@std/assert";
 * import { isValidTopicFilter } from "@mqtt/codec";
 *
 * assert(isValidTopicFilter("sensors/+/temperature"));
 * assert(isValidTopicFilter("$share/group/sensors/#"));
 * assertFalse(isValidTopicFilter("sensors/#/temperature"));
 * ```
 */
export function isValidTopicFilter(filter: string): boolean {
  return topicFilterProblem(filter) === undefined;
}

/**
 * Whether a topic filter is a Shared Subscription (`$share/{ShareName}/...`,
 * MQTT 5.0 section 4.8.2).
 *
 * @param filter The topic filter.
 * @returns `true` for a shared subscription filter.
 *
 * @example Usage
 * ```ts
 * import { assert } from "@std/assert";
 * import { isSharedSubscription } from "@mqtt/codec";
 *
 * assert(isSharedSubscription("$share/workers/jobs/#"));
 * ```
 */
export function isSharedSubscription(filter: string): boolean {
  return filter.startsWith(SHARE_PREFIX);
}

/**
 * Whether a topic name matches a topic filter. A filter starting with a
 * wildcard does not match a topic starting with `$` [MQTT-4.7.2-1]. For a
 * shared subscription, pass the filter without its `$share/{ShareName}/`.
 *
 * @param filter A valid topic filter.
 * @param topic A valid topic name.
 * @returns `true` when a message published to `topic` goes to `filter`.
 *
 * @example Usage
 * ```ts
 * import { assert, assertFalse } from "@std/assert";
 * import { topicMatches } from "@mqtt/codec";
 *
 * assert(topicMatches("sensors/+/temperature", "sensors/1/temperature"));
 * assert(topicMatches("sensors/#", "sensors"));
 * assertFalse(topicMatches("#", "$SYS/uptime"));
 * ```
 */
export function topicMatches(filter: string, topic: string): boolean {
  const first = filter.charCodeAt(0);
  if (startsWithDollar(topic) && (first === PLUS || first === HASH)) {
    return false;
  }
  let f = 0;
  let t = 0;
  while (f < filter.length) {
    const c = filter.charCodeAt(f);
    if (c === HASH) return true;
    if (c === PLUS) {
      while (t < topic.length && topic.charCodeAt(t) !== SLASH) t++;
      f++;
    } else {
      if (t >= topic.length || topic.charCodeAt(t) !== c) {
        // "a/#" also matches "a": the parent level of a multi-level wildcard
        return t === topic.length && filter.endsWith("/#") &&
          f === filter.length - 2;
      }
      f++;
      t++;
    }
  }
  return t === topic.length;
}
