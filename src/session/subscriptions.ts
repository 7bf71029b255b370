/**
 * A server session's subscriptions (sections 3.8 to 3.11, 4.8): the answer
 * it proposes to a SUBSCRIBE or UNSUBSCRIBE, the subscriptions it makes and
 * removes, the requests that wait for the application's answer, and which
 * subscriptions a delivered message is for. Pure functions over the
 * session's map of subscriptions, and one small table.
 *
 * @module
 */

import { MqttError } from "../error.ts";
import type {
  QoS,
  SubackPacket,
  SubscribePacket,
  UnsubackPacket,
  UnsubscribePacket,
} from "../packet.ts";
import { isValidReasonCode, ReasonCode } from "../reason_code.ts";
import { isSharedSubscription, topicMatches } from "../topic.ts";
import type { ServerSettings } from "./server_options.ts";
import type { Acknowledgement, GrantedSubscription } from "./types.ts";
import { checkPacket, describe } from "./validate.ts";
import { rule, subackReturnCode, type VersionRules } from "./version.ts";

/** A subscription as the session keeps it. */
export interface StoredSubscription {
  readonly qos: QoS;
  readonly noLocal: boolean;
  readonly retainAsPublished: boolean;
  readonly subscriptionIdentifier: number | undefined;
}

/** A session's subscriptions, by topic filter (shared ones with their `$share/` prefix). */
export type Subscriptions = Map<string, StoredSubscription>;

/** A SUBSCRIBE or UNSUBSCRIBE: a request the server answers. */
export type SubscriptionRequest = SubscribePacket | UnsubscribePacket;

/** The server's options that decide a SUBSCRIBE. */
export type SubscriptionLimits = Pick<
  ServerSettings,
  | "maximumQoS"
  | "wildcardSubscriptionAvailable"
  | "sharedSubscriptionAvailable"
  | "maximumSubscriptions"
>;

/** What a delivered message gets from the subscriptions it is for. */
export interface SubscriptionMatch {
  /** The highest granted QoS of them [MQTT-3.3.4-2]. */
  readonly qos: QoS;
  /** Whether one of them has Retain As Published. */
  readonly retainAsPublished: boolean;
  /** Their Subscription Identifiers [MQTT-3.3.4-3], if any. */
  readonly identifiers: number[] | undefined;
}

/** Whether a filter is a shared subscription in this version (in 3.1.1, a plain filter). */
export function isShared(filter: string, rules: VersionRules): boolean {
  return rules.sharedSubscriptions && isSharedSubscription(filter);
}

/** The filter to match topics with: a shared subscription's without `$share/{ShareName}/`. */
export function shareFilter(filter: string, rules: VersionRules): string {
  if (!isShared(filter, rules)) return filter;
  return filter.slice(filter.indexOf("/", 7) + 1);
}

/**
 * The answer the session proposes for a SUBSCRIBE or UNSUBSCRIBE, in MQTT
 * 5.0's reason codes (3.1.1's 0x80 for every refusal).
 */
export function proposeReasonCodes(
  request: SubscriptionRequest,
  subscriptions: Subscriptions,
  rules: VersionRules,
  limits: SubscriptionLimits,
): number[] {
  if (request.type === "unsubscribe") {
    return request.topicFilters.map((filter) =>
      rules.reasonCodes && !subscriptions.has(filter)
        ? ReasonCode.NoSubscriptionExisted
        : 0
    );
  }
  // (The SUBACK says it as the version can, see `addSubscriptions`.)
  const failure = (code: number) => rules.reasonCodes ? code : 0x80;
  let added = 0;
  return request.subscriptions.map(({ topicFilter, qos }) => {
    if (isShared(topicFilter, rules) && !limits.sharedSubscriptionAvailable) {
      return failure(ReasonCode.SharedSubscriptionsNotSupported); // section 3.2.2.3.13
    }
    const filter = shareFilter(topicFilter, rules);
    if (
      !limits.wildcardSubscriptionAvailable &&
      (filter.includes("+") || filter.includes("#"))
    ) {
      // [MQTT-3.8.3-2] (3.1.1), section 3.2.2.3.11
      return failure(ReasonCode.WildcardSubscriptionsNotSupported);
    }
    if (!subscriptions.has(topicFilter)) {
      if (subscriptions.size + added >= limits.maximumSubscriptions) {
        return failure(ReasonCode.QuotaExceeded);
      }
      added++;
    }
    return Math.min(qos, limits.maximumQoS);
  });
}

/**
 * Checks the application's answer to a request: one valid reason code per
 * filter, properties the answer can carry, no granted QoS above the
 * requested one [MQTT-3.8.4-7].
 */
export function checkRequestAnswer(
  request: SubscriptionRequest,
  codes: unknown,
  answer: Omit<Acknowledgement, "id">,
  rules: VersionRules,
): asserts codes is number[] {
  const type = request.type === "subscribe" ? "suback" : "unsuback";
  const count = request.type === "subscribe"
    ? request.subscriptions.length
    : request.topicFilters.length;
  if (
    !Array.isArray(codes) || codes.length !== count ||
    !codes.every((code) => isValidReasonCode(type, code))
  ) {
    throw new MqttError(
      `acknowledge: ${type.toUpperCase()} needs ${count} valid reason codes, got ${
        describe(codes)
      } (section ${type === "suback" ? "3.9.3" : "3.11.3"})`,
      ReasonCode.ProtocolError,
    );
  }
  if (
    rules.properties &&
    (answer.reasonString !== undefined || answer.userProperties !== undefined)
  ) {
    // Checked now, not when the packet is written.
    checkPacket(
      answerPacket(request, codes, answer, rules),
      rules,
      "acknowledge",
    );
  }
  if (request.type !== "subscribe") return;
  request.subscriptions.forEach((subscription, i) => {
    if (codes[i] < 0x80 && codes[i] > subscription.qos) {
      throw new MqttError(
        `acknowledge: granted QoS ${
          codes[i]
        } is above the requested ${subscription.qos} for ${
          describe(subscription.topicFilter)
        } [MQTT-3.8.4-7]`,
        ReasonCode.ProtocolError,
      );
    }
  });
}

/** The answer to a request, before its reason codes are final. */
export function answerPacket(
  request: SubscriptionRequest,
  codes: number[],
  answer: Omit<Acknowledgement, "id">,
  rules: VersionRules,
): SubackPacket | UnsubackPacket {
  const packet: SubackPacket | UnsubackPacket = request.type === "subscribe"
    ? { type: "suback", packetId: request.packetId, reasonCodes: codes }
    : {
      type: "unsuback",
      packetId: request.packetId,
      // MQTT 3.1.1's UNSUBACK has no reason codes: a refusal cannot be said
      // (the filter stays).
      reasonCodes: rules.reasonCodes ? codes : [],
    };
  if (!rules.properties) return packet;
  if (answer.reasonString !== undefined) {
    packet.reasonString = answer.reasonString;
  }
  if (answer.userProperties !== undefined) {
    packet.userProperties = answer.userProperties;
  }
  return packet;
}

/**
 * Makes the subscriptions of a SUBSCRIBE that `codes` (MQTT 5.0's) grant,
 * each as if in its own SUBSCRIBE [MQTT-3.8.4-5], and replacing one to the
 * same filter [MQTT-3.8.4-3]; the quota may refuse more. Returns what was
 * granted, and the SUBACK's codes as the version can say them (3.1.1: 0x80;
 * 3.1: no refusal at all).
 */
export function addSubscriptions(
  subscriptions: Subscriptions,
  request: SubscribePacket,
  codes: readonly number[],
  rules: VersionRules,
  limits: SubscriptionLimits,
): { granted: GrantedSubscription[]; reasonCodes: number[] } {
  const granted: GrantedSubscription[] = [];
  const decided = codes.slice();
  request.subscriptions.forEach((subscription, i) => {
    const code = decided[i];
    if (code >= 0x80) return;
    const filter = subscription.topicFilter;
    const existed = subscriptions.has(filter);
    if (!existed && subscriptions.size >= limits.maximumSubscriptions) {
      decided[i] = ReasonCode.QuotaExceeded;
      return;
    }
    const stored: StoredSubscription = {
      qos: code as QoS,
      noLocal: subscription.noLocal === true,
      retainAsPublished: subscription.retainAsPublished === true,
      subscriptionIdentifier: request.subscriptionIdentifier,
    };
    subscriptions.set(filter, stored);
    const retainHandling = rules.subscriptionOptions
      ? subscription.retainHandling ?? 0
      : 0;
    const entry: GrantedSubscription = {
      topicFilter: filter,
      qos: code as QoS,
      isNew: !existed,
      sendRetained: !isShared(filter, rules) &&
        (retainHandling === 0 || (retainHandling === 1 && !existed)),
    };
    if (rules.subscriptionOptions) {
      entry.noLocal = stored.noLocal;
      entry.retainAsPublished = stored.retainAsPublished;
      entry.retainHandling = retainHandling;
      if (stored.subscriptionIdentifier !== undefined) {
        entry.subscriptionIdentifier = stored.subscriptionIdentifier;
      }
    }
    granted.push(entry);
  });
  const reasonCodes = request.subscriptions.map((subscription, i) =>
    subackReturnCode(
      rules,
      decided[i],
      Math.min(subscription.qos, limits.maximumQoS) as QoS,
    )
  );
  return { granted, reasonCodes };
}

/**
 * Removes the filters of an UNSUBSCRIBE that `codes` do not refuse,
 * compared character by character [MQTT-3.10.4-1]; returns the ones that
 * existed.
 */
export function removeSubscriptions(
  subscriptions: Subscriptions,
  request: UnsubscribePacket,
  codes: readonly number[],
): string[] {
  const removed: string[] = [];
  request.topicFilters.forEach((filter, i) => {
    if (codes[i] < 0x80 && subscriptions.delete(filter)) removed.push(filter);
  });
  return removed;
}

/**
 * Which of the session's subscriptions a message on `topic` is for: those
 * named in `topicFilters` (held by the session, matching the topic), or
 * without them every non-shared one that matches; none that No Local
 * excludes for the publisher's own messages [MQTT-3.8.3-3]. `undefined`
 * when none is left.
 */
export function matchSubscriptions(
  subscriptions: Subscriptions,
  topic: string,
  topicFilters: readonly string[] | undefined,
  fromSelf: boolean,
  rules: VersionRules,
): SubscriptionMatch | undefined {
  let qos = -1;
  let retainAsPublished = false;
  let identifiers: number[] | undefined;
  const take = (filter: string, subscription: StoredSubscription) => {
    if (subscription.noLocal && fromSelf) return;
    if (!topicMatches(shareFilter(filter, rules), topic)) return;
    if (subscription.qos > qos) qos = subscription.qos;
    if (subscription.retainAsPublished) retainAsPublished = true;
    if (subscription.subscriptionIdentifier !== undefined) {
      (identifiers ??= []).push(subscription.subscriptionIdentifier);
    }
  };
  if (topicFilters === undefined) {
    for (const [filter, subscription] of subscriptions) {
      if (!isShared(filter, rules)) take(filter, subscription);
    }
  } else {
    for (let i = 0; i < topicFilters.length; i++) {
      const filter = topicFilters[i];
      if (typeof filter !== "string") {
        throw new MqttError(
          `deliver: topicFilters must hold strings, got ${describe(filter)}`,
          ReasonCode.MalformedPacket,
        );
      }
      const subscription = subscriptions.get(filter);
      if (subscription !== undefined) take(filter, subscription);
    }
  }
  if (qos < 0) return undefined;
  return { qos: qos as QoS, retainAsPublished, identifiers };
}

/**
 * The requests that wait for the application's answer (manual
 * acknowledgement), by the id of their event. Their Packet Identifiers
 * are in use until answered: a client that sends another request with one
 * breaks [MQTT-2.2.1-3], and so cannot pile up more than 65,535 requests.
 */
export class PendingRequests {
  readonly #byId = new Map<number, SubscriptionRequest>();
  readonly #packetIds = new Set<number>();

  /** How many wait. */
  get size(): number {
    return this.#byId.size;
  }

  /** Keeps a request under the id of its event; throws for a Packet Identifier in use. */
  hold(id: number, request: SubscriptionRequest, rules: VersionRules): void {
    const packetId = request.packetId;
    if (this.#packetIds.has(packetId)) {
      throw new MqttError(
        `${request.type.toUpperCase()}: Packet Identifier ${packetId} is in use by a request not answered yet ${
          rule(rules, "[MQTT-2.2.1-3]", "[MQTT-2.3.1-2]")
        }`,
        ReasonCode.ProtocolError,
      );
    }
    this.#byId.set(id, request);
    this.#packetIds.add(packetId);
  }

  /** The request waiting under an id. */
  get(id: number): SubscriptionRequest | undefined {
    return this.#byId.get(id);
  }

  /** The request under an id is answered: its Packet Identifier is free. */
  delete(id: number): void {
    const request = this.#byId.get(id);
    if (request === undefined) return;
    this.#byId.delete(id);
    this.#packetIds.delete(request.packetId);
  }

  /** The connection ended: no request will be answered. */
  clear(): void {
    this.#byId.clear();
    this.#packetIds.clear();
  }
}
