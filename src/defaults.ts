/**
 * The default values the MQTT 5.0 specification gives to what a packet may
 * leave out: what an absent property means. A receiver that finds a property
 * absent must act as if it held the value here; the session layer does.
 *
 * @example Reading a CONNACK with the defaults filled in
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import {
 *   DEFAULT_RECEIVE_MAXIMUM,
 *   DEFAULT_TOPIC_ALIAS_MAXIMUM,
 * } from "@mqtt/codec";
 * import type { ConnackPacket } from "@mqtt/codec";
 *
 * const connack: ConnackPacket = {
 *   type: "connack",
 *   sessionPresent: false,
 *   reasonCode: 0,
 * };
 * const receiveMaximum = connack.receiveMaximum ?? DEFAULT_RECEIVE_MAXIMUM;
 * const topicAliasMaximum = connack.topicAliasMaximum ??
 *   DEFAULT_TOPIC_ALIAS_MAXIMUM;
 * assertEquals([receiveMaximum, topicAliasMaximum], [65_535, 0]);
 * ```
 *
 * @module
 */

import { MAX_VARIABLE_BYTE_INTEGER } from "./primitives/variable_byte_integer.ts";

/**
 * Receive Maximum when absent: 65,535 QoS 1 and QoS 2 publications in flight
 * at once (sections 3.1.2.11.3 and 3.2.2.3.3).
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_RECEIVE_MAXIMUM } from "@mqtt/codec";
 *
 * assertEquals(DEFAULT_RECEIVE_MAXIMUM, 65_535);
 * ```
 */
export const DEFAULT_RECEIVE_MAXIMUM = 65_535;

/**
 * Topic Alias Maximum when absent: 0, the receiver accepts no Topic Alias
 * (sections 3.1.2.11.5 and 3.2.2.3.8).
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_TOPIC_ALIAS_MAXIMUM } from "@mqtt/codec";
 *
 * assertEquals(DEFAULT_TOPIC_ALIAS_MAXIMUM, 0);
 * ```
 */
export const DEFAULT_TOPIC_ALIAS_MAXIMUM = 0;

/**
 * Maximum QoS when absent from a CONNACK: 2, the server supports every QoS
 * (section 3.2.2.3.4).
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_MAXIMUM_QOS } from "@mqtt/codec";
 *
 * assertEquals(DEFAULT_MAXIMUM_QOS, 2);
 * ```
 */
export const DEFAULT_MAXIMUM_QOS = 2;

/**
 * Retain Available when absent from a CONNACK: retained messages are
 * supported (section 3.2.2.3.5).
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_RETAIN_AVAILABLE } from "@mqtt/codec";
 *
 * assertEquals(DEFAULT_RETAIN_AVAILABLE, true);
 * ```
 */
export const DEFAULT_RETAIN_AVAILABLE = true;

/**
 * Maximum Packet Size when absent: no limit beyond what MQTT can frame,
 * 268,435,460 bytes (sections 3.1.2.11.4 and 3.2.2.3.6).
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_MAXIMUM_PACKET_SIZE, MAXIMUM_PACKET_SIZE } from "@mqtt/codec";
 *
 * assertEquals(DEFAULT_MAXIMUM_PACKET_SIZE, MAXIMUM_PACKET_SIZE);
 * ```
 */
export const DEFAULT_MAXIMUM_PACKET_SIZE: number =
  // a 1-byte type, a 4-byte Remaining Length, and that many bytes
  1 + 4 + MAX_VARIABLE_BYTE_INTEGER;

/**
 * Session Expiry Interval when absent: 0 seconds, the session ends when the
 * network connection closes (section 3.1.2.11.2).
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_SESSION_EXPIRY_INTERVAL } from "@mqtt/codec";
 *
 * assertEquals(DEFAULT_SESSION_EXPIRY_INTERVAL, 0);
 * ```
 */
export const DEFAULT_SESSION_EXPIRY_INTERVAL = 0;

/**
 * The Session Expiry Interval that means "never expires": 0xFFFFFFFF
 * seconds (section 3.1.2.11.2).
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { SESSION_NEVER_EXPIRES } from "@mqtt/codec";
 *
 * assertEquals(SESSION_NEVER_EXPIRES, 4_294_967_295);
 * ```
 */
export const SESSION_NEVER_EXPIRES = 0xffff_ffff;

/**
 * Will Delay Interval when absent: 0 seconds, the Will is published as soon
 * as the network connection is lost (section 3.1.3.2.2).
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_WILL_DELAY_INTERVAL } from "@mqtt/codec";
 *
 * assertEquals(DEFAULT_WILL_DELAY_INTERVAL, 0);
 * ```
 */
export const DEFAULT_WILL_DELAY_INTERVAL = 0;

/**
 * Request Response Information when absent: false, the server sends no
 * Response Information (section 3.1.2.11.6).
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_REQUEST_RESPONSE_INFORMATION } from "@mqtt/codec";
 *
 * assertEquals(DEFAULT_REQUEST_RESPONSE_INFORMATION, false);
 * ```
 */
export const DEFAULT_REQUEST_RESPONSE_INFORMATION = false;

/**
 * Request Problem Information when absent: true, Reason Strings and User
 * Properties may be sent on any packet (section 3.1.2.11.7).
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_REQUEST_PROBLEM_INFORMATION } from "@mqtt/codec";
 *
 * assertEquals(DEFAULT_REQUEST_PROBLEM_INFORMATION, true);
 * ```
 */
export const DEFAULT_REQUEST_PROBLEM_INFORMATION = true;

/**
 * Wildcard Subscription Available when absent from a CONNACK: true
 * (section 3.2.2.3.11).
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_WILDCARD_SUBSCRIPTION_AVAILABLE } from "@mqtt/codec";
 *
 * assertEquals(DEFAULT_WILDCARD_SUBSCRIPTION_AVAILABLE, true);
 * ```
 */
export const DEFAULT_WILDCARD_SUBSCRIPTION_AVAILABLE = true;

/**
 * Subscription Identifiers Available when absent from a CONNACK: true
 * (section 3.2.2.3.12).
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_SUBSCRIPTION_IDENTIFIERS_AVAILABLE } from "@mqtt/codec";
 *
 * assertEquals(DEFAULT_SUBSCRIPTION_IDENTIFIERS_AVAILABLE, true);
 * ```
 */
export const DEFAULT_SUBSCRIPTION_IDENTIFIERS_AVAILABLE = true;

/**
 * Shared Subscription Available when absent from a CONNACK: true
 * (section 3.2.2.3.13).
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_SHARED_SUBSCRIPTION_AVAILABLE } from "@mqtt/codec";
 *
 * assertEquals(DEFAULT_SHARED_SUBSCRIPTION_AVAILABLE, true);
 * ```
 */
export const DEFAULT_SHARED_SUBSCRIPTION_AVAILABLE = true;

/**
 * A client's Keep Alive when the application chooses none: 60 seconds. Not
 * a value of the specification (Keep Alive is always sent); the common
 * choice of MQTT clients.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_KEEP_ALIVE } from "@mqtt/codec";
 *
 * assertEquals(DEFAULT_KEEP_ALIVE, 60);
 * ```
 */
export const DEFAULT_KEEP_ALIVE = 60;

/**
 * The largest Packet Identifier: identifiers run from 1 to 65,535
 * (section 2.2.1).
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { MAXIMUM_PACKET_ID } from "@mqtt/codec";
 *
 * assertEquals(MAXIMUM_PACKET_ID, 65_535);
 * ```
 */
export const MAXIMUM_PACKET_ID = 65_535;

/**
 * The largest Topic Alias a receiver may allow (Topic Alias Maximum is a Two
 * Byte Integer, section 3.2.2.3.8).
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { MAXIMUM_TOPIC_ALIAS } from "@mqtt/codec";
 *
 * assertEquals(MAXIMUM_TOPIC_ALIAS, 65_535);
 * ```
 */
export const MAXIMUM_TOPIC_ALIAS = 65_535;

/**
 * Payload Format Indicator when absent: the payload is unspecified bytes,
 * not declared UTF-8 (section 3.3.2.3.2).
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_PAYLOAD_FORMAT_INDICATOR } from "@mqtt/codec";
 *
 * assertEquals(DEFAULT_PAYLOAD_FORMAT_INDICATOR, false);
 * ```
 */
export const DEFAULT_PAYLOAD_FORMAT_INDICATOR = false;

/**
 * The reason code of a PUBACK, PUBREC, PUBREL, PUBCOMP, DISCONNECT or AUTH
 * that leaves it out (the short forms of sections 3.4.2.1, 3.14.2.1 and
 * 3.15.2.1): 0x00, Success or Normal disconnection. `decode` fills it in.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decode, DEFAULT_REASON_CODE } from "@mqtt/codec";
 *
 * const puback = decode(new Uint8Array([0x40, 0x02, 0x00, 0x07]));
 * assertEquals(puback, { type: "puback", packetId: 7, reasonCode: DEFAULT_REASON_CODE });
 * ```
 */
export const DEFAULT_REASON_CODE = 0;

/**
 * Retain Handling of a subscription that leaves it out: 0, retained
 * messages are sent when the subscription is made (section 3.8.3.1).
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_RETAIN_HANDLING } from "@mqtt/codec";
 *
 * assertEquals(DEFAULT_RETAIN_HANDLING, 0);
 * ```
 */
export const DEFAULT_RETAIN_HANDLING = 0;
