/**
 * The packet objects: one interface per MQTT control packet, joined in the
 * discriminated union {@linkcode Packet}.
 *
 * Fields are flat: every MQTT 5 property is an optional field named after the
 * property in lowerCamelCase. An absent property is an absent field.
 *
 * @module
 */

/**
 * Quality of Service level of a message: at most once (0), at least once (1),
 * exactly once (2).
 *
 * @example Usage
 * ```ts
 * import type { QoS } from "@mqtt/codec";
 * const qos: QoS = 1;
 * ```
 */
export type QoS = 0 | 1 | 2;

/**
 * The protocol level on the wire: 3 is MQTT 3.1 (protocol name "MQIsdp"), 4
 * is MQTT 3.1.1, 5 is MQTT 5.0.
 *
 * @example Usage
 * ```ts
 * import type { ProtocolVersion } from "@mqtt/codec";
 * const version: ProtocolVersion = 5;
 * ```
 */
export type ProtocolVersion = 3 | 4 | 5;

/**
 * The `type` of every control packet, as used in the {@linkcode Packet} union.
 *
 * @example Usage
 * ```ts
 * import type { PacketType } from "@mqtt/codec";
 * const type: PacketType = "publish";
 * ```
 */
export type PacketType =
  | "connect"
  | "connack"
  | "publish"
  | "puback"
  | "pubrec"
  | "pubrel"
  | "pubcomp"
  | "subscribe"
  | "suback"
  | "unsubscribe"
  | "unsuback"
  | "pingreq"
  | "pingresp"
  | "disconnect"
  | "auth";

/**
 * User Properties (0x26): name/value pairs in wire order, duplicates kept.
 *
 * @example Usage
 * ```ts
 * import type { UserProperties } from "@mqtt/codec";
 * const props: UserProperties = [["region", "eu"], ["region", "us"]];
 * ```
 */
export type UserProperties = [string, string][];

/**
 * The properties that describe an application message, shared by PUBLISH
 * and the Will of a CONNECT (MQTT 5.0 only).
 *
 * @example Usage
 * ```ts
 * import type { MessageProperties } from "@mqtt/codec";
 * const props: MessageProperties = { contentType: "text/plain" };
 * ```
 */
export interface MessageProperties {
  /** 0x01: the payload is UTF-8 text (true) or unspecified bytes (false). */
  payloadFormatIndicator?: boolean;
  /** 0x02: lifetime of the message in seconds. */
  messageExpiryInterval?: number;
  /** 0x03: a MIME type describing the payload. */
  contentType?: string;
  /** 0x08: the topic to send a response to. */
  responseTopic?: string;
  /** 0x09: data that ties a response to its request. */
  correlationData?: Uint8Array;
  /** 0x26: application defined name/value pairs. */
  userProperties?: UserProperties;
}

/**
 * The Will message of a CONNECT, published by the server when the client
 * goes away without a DISCONNECT.
 *
 * @example Usage
 * ```ts
 * import type { Will } from "@mqtt/codec";
 * const will: Will = {
 *   topic: "status/sensor-1",
 *   payload: new TextEncoder().encode("offline"),
 *   qos: 1,
 *   retain: true,
 *   willDelayInterval: 10,
 * };
 * ```
 */
export interface Will extends MessageProperties {
  /** The Will Topic (a topic name: no wildcards). */
  topic: string;
  /** The Will Payload. */
  payload: Uint8Array;
  /** The QoS the Will is published with. */
  qos: QoS;
  /** Whether the Will is published as a retained message. */
  retain: boolean;
  /** 0x18: seconds the server waits before publishing the Will. */
  willDelayInterval?: number;
}

/**
 * CONNECT: the first packet a client sends.
 *
 * @example Usage
 * ```ts
 * import type { ConnectPacket } from "@mqtt/codec";
 * const connect: ConnectPacket = {
 *   type: "connect",
 *   protocolVersion: 5,
 *   clientId: "sensor-1",
 *   cleanStart: true,
 *   keepAlive: 60,
 * };
 * ```
 */
export interface ConnectPacket {
  /** Discriminant. */
  type: "connect";
  /** 3 for MQTT 3.1 ("MQIsdp"), 4 for MQTT 3.1.1, 5 for MQTT 5.0. */
  protocolVersion: ProtocolVersion;
  /** The Client Identifier; may be empty (in MQTT 3.1: 1 to 23 characters). */
  clientId: string;
  /** Clean Start (MQTT 5.0) or Clean Session (MQTT 3.1 and 3.1.1). */
  cleanStart: boolean;
  /** Keep Alive in seconds; 0 turns the mechanism off. */
  keepAlive: number;
  /** The User Name. */
  username?: string;
  /** The Password, as binary data. */
  password?: Uint8Array;
  /** The Will message. */
  will?: Will;
  /** 0x11: seconds the session outlives the connection. */
  sessionExpiryInterval?: number;
  /** 0x21: how many QoS 1 and 2 publications the client accepts at once. */
  receiveMaximum?: number;
  /** 0x27: the largest packet the client accepts, in bytes. */
  maximumPacketSize?: number;
  /** 0x22: the highest Topic Alias the client accepts. */
  topicAliasMaximum?: number;
  /** 0x19: ask the server for Response Information in the CONNACK. */
  requestResponseInformation?: boolean;
  /** 0x17: whether the server may send Reason Strings and User Properties on failures. */
  requestProblemInformation?: boolean;
  /** 0x26: application defined name/value pairs. */
  userProperties?: UserProperties;
  /** 0x15: the name of the extended authentication method. */
  authenticationMethod?: string;
  /** 0x16: data of the extended authentication method. */
  authenticationData?: Uint8Array;
}

/**
 * CONNACK: the server's answer to a CONNECT.
 *
 * @example Usage
 * ```ts
 * import type { ConnackPacket } from "@mqtt/codec";
 * const connack: ConnackPacket = {
 *   type: "connack",
 *   sessionPresent: false,
 *   reasonCode: 0,
 * };
 * ```
 */
export interface ConnackPacket {
  /** Discriminant. */
  type: "connack";
  /** Whether the server resumes an existing session (always false in MQTT 3.1, which has no such flag). */
  sessionPresent: boolean;
  /** The Connect Reason Code (MQTT 5.0) or the Connect Return Code 0–5 (MQTT 3.1 and 3.1.1). */
  reasonCode: number;
  /** 0x11: seconds the session outlives the connection. */
  sessionExpiryInterval?: number;
  /** 0x21: how many QoS 1 and 2 publications the server accepts at once. */
  receiveMaximum?: number;
  /** 0x24: the highest QoS the server supports. */
  maximumQoS?: 0 | 1;
  /** 0x25: whether the server supports retained messages. */
  retainAvailable?: boolean;
  /** 0x27: the largest packet the server accepts, in bytes. */
  maximumPacketSize?: number;
  /** 0x12: the Client Identifier the server assigned. */
  assignedClientIdentifier?: string;
  /** 0x22: the highest Topic Alias the server accepts. */
  topicAliasMaximum?: number;
  /** 0x1F: a human readable reason. */
  reasonString?: string;
  /** 0x26: application defined name/value pairs. */
  userProperties?: UserProperties;
  /** 0x28: whether the server supports wildcard subscriptions. */
  wildcardSubscriptionAvailable?: boolean;
  /** 0x29: whether the server supports Subscription Identifiers. */
  subscriptionIdentifiersAvailable?: boolean;
  /** 0x2A: whether the server supports shared subscriptions. */
  sharedSubscriptionAvailable?: boolean;
  /** 0x13: the Keep Alive the server wants the client to use. */
  serverKeepAlive?: number;
  /** 0x1A: basis for the client to build response topics. */
  responseInformation?: string;
  /** 0x1C: another server the client should use. */
  serverReference?: string;
  /** 0x15: the name of the extended authentication method. */
  authenticationMethod?: string;
  /** 0x16: data of the extended authentication method. */
  authenticationData?: Uint8Array;
}

/**
 * PUBLISH: an application message.
 *
 * @example Usage
 * ```ts
 * import type { PublishPacket } from "@mqtt/codec";
 * const publish: PublishPacket = {
 *   type: "publish",
 *   topic: "sensors/1/temperature",
 *   payload: new TextEncoder().encode("21.5"),
 *   qos: 1,
 *   retain: false,
 *   dup: false,
 *   packetId: 7,
 * };
 * ```
 */
export interface PublishPacket extends MessageProperties {
  /** Discriminant. */
  type: "publish";
  /** The Topic Name; may be empty in MQTT 5.0 when a Topic Alias is set. */
  topic: string;
  /** The application message. */
  payload: Uint8Array;
  /** The QoS of this delivery. */
  qos: QoS;
  /** The RETAIN flag. */
  retain: boolean;
  /** The DUP flag: this may be a re-delivery (only with QoS 1 or 2). */
  dup: boolean;
  /** Packet Identifier, 1–65535; present exactly when qos > 0. */
  packetId?: number;
  /** 0x23: a number standing for the topic on this connection. */
  topicAlias?: number;
  /** 0x0B: the identifiers of the subscriptions that matched. */
  subscriptionIdentifiers?: number[];
}

/**
 * The four acknowledgements of the QoS 1 and QoS 2 flows share one shape.
 *
 * @example Usage
 * ```ts
 * import type { PubackPacket } from "@mqtt/codec";
 * const puback: PubackPacket = { type: "puback", packetId: 7 };
 * ```
 */
export interface PublishAcknowledgement<
  T extends "puback" | "pubrec" | "pubrel" | "pubcomp",
> {
  /** Discriminant. */
  type: T;
  /** Packet Identifier of the PUBLISH (or PUBREL) acknowledged, 1–65535. */
  packetId: number;
  /** The Reason Code; absent means Success (0x00). */
  reasonCode?: number;
  /** 0x1F: a human readable reason. */
  reasonString?: string;
  /** 0x26: application defined name/value pairs. */
  userProperties?: UserProperties;
}

/**
 * PUBACK: acknowledges a QoS 1 PUBLISH.
 *
 * @example Usage
 * ```ts
 * import type { PubackPacket } from "@mqtt/codec";
 * const puback: PubackPacket = { type: "puback", packetId: 7 };
 * ```
 */
export type PubackPacket = PublishAcknowledgement<"puback">;

/**
 * PUBREC: first answer to a QoS 2 PUBLISH.
 *
 * @example Usage
 * ```ts
 * import type { PubrecPacket } from "@mqtt/codec";
 * const pubrec: PubrecPacket = { type: "pubrec", packetId: 7 };
 * ```
 */
export type PubrecPacket = PublishAcknowledgement<"pubrec">;

/**
 * PUBREL: releases a QoS 2 PUBLISH after its PUBREC.
 *
 * @example Usage
 * ```ts
 * import type { PubrelPacket } from "@mqtt/codec";
 * const pubrel: PubrelPacket = { type: "pubrel", packetId: 7 };
 * ```
 */
export type PubrelPacket = PublishAcknowledgement<"pubrel">;

/**
 * PUBCOMP: completes a QoS 2 exchange.
 *
 * @example Usage
 * ```ts
 * import type { PubcompPacket } from "@mqtt/codec";
 * const pubcomp: PubcompPacket = { type: "pubcomp", packetId: 7 };
 * ```
 */
export type PubcompPacket = PublishAcknowledgement<"pubcomp">;

/**
 * One Topic Filter of a SUBSCRIBE with its Subscription Options.
 *
 * @example Usage
 * ```ts
 * import type { Subscription } from "@mqtt/codec";
 * const subscription: Subscription = {
 *   topicFilter: "sensors/+/temperature",
 *   qos: 1,
 *   noLocal: true,
 * };
 * ```
 */
export interface Subscription {
  /** The Topic Filter; may contain `+` and `#` wildcards. */
  topicFilter: string;
  /** The maximum QoS the server may deliver with. */
  qos: QoS;
  /** MQTT 5.0: do not send my own publications back to me. */
  noLocal?: boolean;
  /** MQTT 5.0: keep the RETAIN flag as published. */
  retainAsPublished?: boolean;
  /** MQTT 5.0: 0 send retained on subscribe, 1 only for a new subscription, 2 never. */
  retainHandling?: 0 | 1 | 2;
}

/**
 * SUBSCRIBE: asks for the messages of one or more topic filters.
 *
 * @example Usage
 * ```ts
 * import type { SubscribePacket } from "@mqtt/codec";
 * const subscribe: SubscribePacket = {
 *   type: "subscribe",
 *   packetId: 1,
 *   subscriptions: [{ topicFilter: "sensors/#", qos: 1 }],
 * };
 * ```
 */
export interface SubscribePacket {
  /** Discriminant. */
  type: "subscribe";
  /** Packet Identifier, 1–65535. */
  packetId: number;
  /** At least one subscription. */
  subscriptions: Subscription[];
  /** 0x0B: the identifier the server sends back in matching PUBLISH packets. */
  subscriptionIdentifier?: number;
  /** 0x26: application defined name/value pairs. */
  userProperties?: UserProperties;
}

/**
 * SUBACK: one reason code per subscription of the SUBSCRIBE.
 *
 * @example Usage
 * ```ts
 * import type { SubackPacket } from "@mqtt/codec";
 * const suback: SubackPacket = { type: "suback", packetId: 1, reasonCodes: [1] };
 * ```
 */
export interface SubackPacket {
  /** Discriminant. */
  type: "suback";
  /** Packet Identifier of the SUBSCRIBE, 1–65535. */
  packetId: number;
  /** Granted QoS or failure, one per subscription, in order. */
  reasonCodes: number[];
  /** 0x1F: a human readable reason. */
  reasonString?: string;
  /** 0x26: application defined name/value pairs. */
  userProperties?: UserProperties;
}

/**
 * UNSUBSCRIBE: removes one or more subscriptions.
 *
 * @example Usage
 * ```ts
 * import type { UnsubscribePacket } from "@mqtt/codec";
 * const unsubscribe: UnsubscribePacket = {
 *   type: "unsubscribe",
 *   packetId: 2,
 *   topicFilters: ["sensors/#"],
 * };
 * ```
 */
export interface UnsubscribePacket {
  /** Discriminant. */
  type: "unsubscribe";
  /** Packet Identifier, 1–65535. */
  packetId: number;
  /** At least one topic filter. */
  topicFilters: string[];
  /** 0x26: application defined name/value pairs. */
  userProperties?: UserProperties;
}

/**
 * UNSUBACK: acknowledges an UNSUBSCRIBE.
 *
 * @example Usage
 * ```ts
 * import type { UnsubackPacket } from "@mqtt/codec";
 * const unsuback: UnsubackPacket = { type: "unsuback", packetId: 2, reasonCodes: [0] };
 * ```
 */
export interface UnsubackPacket {
  /** Discriminant. */
  type: "unsuback";
  /** Packet Identifier of the UNSUBSCRIBE, 1–65535. */
  packetId: number;
  /** One reason code per topic filter (MQTT 5.0); empty in MQTT 3.1 and 3.1.1. */
  reasonCodes: number[];
  /** 0x1F: a human readable reason. */
  reasonString?: string;
  /** 0x26: application defined name/value pairs. */
  userProperties?: UserProperties;
}

/**
 * PINGREQ: the client is alive.
 *
 * @example Usage
 * ```ts
 * import type { PingreqPacket } from "@mqtt/codec";
 * const ping: PingreqPacket = { type: "pingreq" };
 * ```
 */
export interface PingreqPacket {
  /** Discriminant. */
  type: "pingreq";
}

/**
 * PINGRESP: the server is alive.
 *
 * @example Usage
 * ```ts
 * import type { PingrespPacket } from "@mqtt/codec";
 * const pong: PingrespPacket = { type: "pingresp" };
 * ```
 */
export interface PingrespPacket {
  /** Discriminant. */
  type: "pingresp";
}

/**
 * DISCONNECT: the connection is about to close, and why.
 *
 * @example Usage
 * ```ts
 * import type { DisconnectPacket } from "@mqtt/codec";
 * const bye: DisconnectPacket = { type: "disconnect", reasonCode: 0x04 };
 * ```
 */
export interface DisconnectPacket {
  /** Discriminant. */
  type: "disconnect";
  /** The Disconnect Reason Code; absent means Normal disconnection (0x00). */
  reasonCode?: number;
  /** 0x11: a new Session Expiry Interval (client to server only). */
  sessionExpiryInterval?: number;
  /** 0x1F: a human readable reason. */
  reasonString?: string;
  /** 0x26: application defined name/value pairs. */
  userProperties?: UserProperties;
  /** 0x1C: another server the client should use. */
  serverReference?: string;
}

/**
 * AUTH (MQTT 5.0 only): a step of extended authentication.
 *
 * @example Usage
 * ```ts
 * import type { AuthPacket } from "@mqtt/codec";
 * const auth: AuthPacket = {
 *   type: "auth",
 *   reasonCode: 0x18,
 *   authenticationMethod: "SCRAM-SHA-256",
 * };
 * ```
 */
export interface AuthPacket {
  /** Discriminant. */
  type: "auth";
  /** 0x00 Success, 0x18 Continue authentication, 0x19 Re-authenticate; absent means 0x00. */
  reasonCode?: number;
  /** 0x15: the name of the extended authentication method. */
  authenticationMethod?: string;
  /** 0x16: data of the extended authentication method. */
  authenticationData?: Uint8Array;
  /** 0x1F: a human readable reason. */
  reasonString?: string;
  /** 0x26: application defined name/value pairs. */
  userProperties?: UserProperties;
}

/**
 * Every MQTT control packet, discriminated on `type`.
 *
 * @example Usage
 * ```ts
 * import type { Packet } from "@mqtt/codec";
 * function describe(packet: Packet): string {
 *   return packet.type === "publish" ? `message on ${packet.topic}` : packet.type;
 * }
 * ```
 */
export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | PubackPacket
  | PubrecPacket
  | PubrelPacket
  | PubcompPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | PingreqPacket
  | PingrespPacket
  | DisconnectPacket
  | AuthPacket;
