/**
 * A server session's options: what the application may set, and the
 * settings a session runs on, checked and with the defaults filled in.
 *
 * @module
 */

import {
  DEFAULT_MAXIMUM_PACKET_SIZE,
  DEFAULT_MAXIMUM_QOS,
  DEFAULT_RECEIVE_MAXIMUM,
  DEFAULT_TOPIC_ALIAS_MAXIMUM,
  MAXIMUM_PACKET_ID,
  MAXIMUM_TOPIC_ALIAS,
  SESSION_NEVER_EXPIRES,
} from "../defaults.ts";
import { MqttError } from "../error.ts";
import type { QoS } from "../packet.ts";
import type { SessionOptions } from "./types.ts";
import {
  checkDuration,
  checkInteger,
  checkLimit,
  checkObject,
  checkSessionOptions,
  describe,
} from "./validate.ts";
import { ReasonCode } from "../reason_code.ts";

/**
 * Options of a {@linkcode ServerSession}: the server's limits, announced in
 * the CONNACK (MQTT 5.0) and enforced, and how the session behaves (with
 * those of `SessionOptions`). One object usually serves every session of a
 * server.
 *
 * @example A server with bounded sessions
 * ```ts
 * import type { ServerSessionOptions } from "@mqtt/codec/session";
 *
 * const options: ServerSessionOptions = {
 *   receiveMaximum: 100,
 *   maximumPacketSize: 1_048_576,
 *   topicAliasMaximum: 10,
 *   maximumKeepAlive: 300,
 *   maximumQueuedMessages: 1_000,
 * };
 * ```
 */
export interface ServerSessionOptions extends SessionOptions {
  /** How many QoS 1 and 2 messages we take at once from a client (default 65,535). */
  receiveMaximum?: number;
  /** The largest packet we take (default: no limit); pass it to the `PacketReader` too. */
  maximumPacketSize?: number;
  /** The highest Topic Alias a client may use (default 0: none). */
  topicAliasMaximum?: number;
  /** The highest QoS we take in a PUBLISH and grant in a subscription (default 2). */
  maximumQoS?: QoS;
  /** Whether we take retained messages (default true). */
  retainAvailable?: boolean;
  /** Whether subscriptions may hold wildcards (default true). */
  wildcardSubscriptionAvailable?: boolean;
  /** Whether SUBSCRIBE may carry a Subscription Identifier (default true). */
  subscriptionIdentifiersAvailable?: boolean;
  /** Whether shared subscriptions (`$share/...`) are taken (default true). */
  sharedSubscriptionAvailable?: boolean;
  /**
   * The longest Keep Alive, in seconds (default: the client's). MQTT 5.0: a
   * client asking for more, or for 0, is told this one as Server Keep Alive
   * and held to it. MQTT 3.1.1 and 3.1, which have no way to tell a client
   * another Keep Alive: such a client is refused with return code 2
   * (Identifier rejected, which mosquitto's `max_keepalive` sends too)
   * [MQTT-3.2.2-6].
   */
  maximumKeepAlive?: number;
  /**
   * The longest Session Expiry Interval, in seconds (default: never
   * expires); also the expiry of MQTT 3.1.1 and 3.1 sessions with Clean
   * Session 0.
   */
  maximumSessionExpiryInterval?: number;

  /** Queue QoS 0 messages for a client while it is disconnected (default false). */
  queueQoS0WhileDisconnected?: boolean;
  /** At most this many subscriptions per session (default 1,000); more are refused with 0x97. */
  maximumSubscriptions?: number;
  /**
   * Milliseconds a CONNECT may wait for `accept()` or `reject()`, enhanced
   * authentication included (default 30,000); then it is refused with
   * 0x87 Not authorized. Also, once {@linkcode ServerSession.connectionOpened}
   * was called, the time the CONNECT itself may take to arrive; then the
   * connection is closed without a word (section 3.1.4).
   */
  connectTimeout?: number;
}

/** The options a {@linkcode ServerSession} runs on, checked, defaults filled in. */
export interface ServerSettings {
  readonly receiveMaximum: number;
  readonly maximumPacketSize: number | undefined;
  readonly topicAliasMaximum: number;
  readonly maximumQoS: QoS;
  readonly retainAvailable: boolean;
  readonly wildcardSubscriptionAvailable: boolean;
  readonly subscriptionIdentifiersAvailable: boolean;
  readonly sharedSubscriptionAvailable: boolean;
  readonly maximumKeepAlive: number | undefined;
  readonly maximumSessionExpiryInterval: number;
  readonly manualAcknowledgement: boolean;
  readonly strictReceiveMaximum: boolean;
  readonly useTopicAliases: boolean;
  readonly maximumInFlight: number;
  readonly maximumQueuedMessages: number;
  readonly maximumQueuedBytes: number;
  readonly queueQoS0WhileDisconnected: boolean;
  readonly maximumSubscriptions: number;
  readonly connectTimeout: number;
}

/**
 * Checks a server session's options and fills in the defaults.
 *
 * @throws {MqttError} For an invalid option.
 */
export function serverSettings(options: ServerSessionOptions): ServerSettings {
  const where = "ServerSession";
  checkObject(options, where, "options");
  const maximumQoS = options.maximumQoS ?? DEFAULT_MAXIMUM_QOS;
  if (maximumQoS !== 0 && maximumQoS !== 1 && maximumQoS !== 2) {
    throw new MqttError(
      `${where}: maximumQoS must be 0, 1 or 2, got ${describe(maximumQoS)}`,
      ReasonCode.ProtocolError,
    );
  }
  return {
    receiveMaximum: checkInteger(
      options.receiveMaximum,
      where,
      "receiveMaximum",
      1,
      MAXIMUM_PACKET_ID,
    ) ?? DEFAULT_RECEIVE_MAXIMUM,
    maximumPacketSize: checkInteger(
      options.maximumPacketSize,
      where,
      "maximumPacketSize",
      1,
      DEFAULT_MAXIMUM_PACKET_SIZE,
    ),
    topicAliasMaximum: checkInteger(
      options.topicAliasMaximum,
      where,
      "topicAliasMaximum",
      0,
      MAXIMUM_TOPIC_ALIAS,
    ) ?? DEFAULT_TOPIC_ALIAS_MAXIMUM,
    maximumQoS,
    retainAvailable: options.retainAvailable ?? true,
    wildcardSubscriptionAvailable: options.wildcardSubscriptionAvailable ??
      true,
    subscriptionIdentifiersAvailable:
      options.subscriptionIdentifiersAvailable ?? true,
    sharedSubscriptionAvailable: options.sharedSubscriptionAvailable ?? true,
    maximumKeepAlive: checkInteger(
      options.maximumKeepAlive,
      where,
      "maximumKeepAlive",
      1,
      65_535,
    ),
    maximumSessionExpiryInterval: checkInteger(
      options.maximumSessionExpiryInterval,
      where,
      "maximumSessionExpiryInterval",
      0,
      SESSION_NEVER_EXPIRES,
    ) ?? SESSION_NEVER_EXPIRES,
    ...checkSessionOptions(options, where, {
      maximumInFlight: 100,
      maximumQueuedMessages: 1_000,
      maximumQueuedBytes: 16 * 1024 * 1024,
    }),
    queueQoS0WhileDisconnected: options.queueQoS0WhileDisconnected ?? false,
    maximumSubscriptions: checkLimit(
      options.maximumSubscriptions,
      where,
      "maximumSubscriptions",
    ) ?? 1_000,
    connectTimeout: checkDuration(
      options.connectTimeout,
      where,
      "connectTimeout",
    ) ?? 30_000,
  };
}
