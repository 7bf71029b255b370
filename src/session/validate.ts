/**
 * Checks of what the application hands to a session, so that a mistake
 * fails at the command that made it, with the rule it breaks, and never
 * later in the I/O loop.
 *
 * @module
 */

import { encode } from "../codec.ts";
import { MqttError } from "../error.ts";
import { describe } from "../primitives/data_type_error.ts";
import {
  LONE_SURROGATE,
  NULL_CHARACTER,
  utf8Length,
} from "../primitives/utf8.ts";
import { MAX_STRING_BYTES } from "../primitives/utf8_string.ts";
import type { Packet, PubackPacket, PublishPacket, QoS } from "../packet.ts";
import { propertyOf, propertySize } from "../properties.ts";
import { topicNameProblem } from "../topic.ts";
import { messageSize } from "./packet_size.ts";
import { MAXIMUM_PACKET_ID } from "../defaults.ts";
import type { ApplicationMessage, SessionOptions } from "./types.ts";
import { isKnownVersion, type VersionRules } from "./version.ts";
import { ReasonCode } from "../reason_code.ts";

// A short description of a value, for messages: the codec's own.
export { describe };

/** Checks a time argument: a finite number of milliseconds. */
export function checkNow(now: unknown, where: string): number {
  if (typeof now !== "number" || !Number.isFinite(now)) {
    throw new MqttError(
      `${where}: now must be a finite number of milliseconds, got ${
        describe(now)
      }`,
      ReasonCode.ProtocolError,
    );
  }
  return now;
}

/**
 * Checks that an argument is an object (`undefined` too, with
 * `optional`): a command's request, a session's options.
 */
export function checkObject(
  value: unknown,
  where: string,
  name: string,
  optional = false,
): void {
  if (typeof value === "object" && value !== null) return;
  if (optional && value === undefined) return;
  throw new MqttError(
    `${where}: ${name} must be an object, got ${describe(value)}`,
    ReasonCode.MalformedPacket,
  );
}

/** Checks the answer given to `acknowledge`: an object with an integer `id`. */
export function checkAcknowledgement(answer: unknown): void {
  checkObject(answer, "acknowledge", "the answer");
  const id = (answer as { id?: unknown }).id;
  if (!Number.isInteger(id)) {
    throw new MqttError(
      `acknowledge: id must be the integer id of an event, got ${describe(id)}`,
      ReasonCode.MalformedPacket,
    );
  }
}

/**
 * Checks the error given to `handleError`: an `MqttError` (or an error
 * with a numeric `reasonCode`, as another copy of this library throws).
 */
export function checkReaderError(error: unknown, where: string): void {
  if (
    typeof error !== "object" || error === null ||
    typeof (error as { reasonCode?: unknown }).reasonCode !== "number"
  ) {
    throw new MqttError(
      `${where}: error must be the MqttError the reader threw, got ${
        describe(error)
      }`,
      ReasonCode.MalformedPacket,
    );
  }
}

function wrongField(
  type: string,
  field: string,
  expected: string,
  value: unknown,
): MqttError {
  return new MqttError(
    `handlePacket: ${type.toUpperCase()} ${field} must be ${expected}, got ${
      describe(value)
    } (not a packet as the codec decodes it)`,
    ReasonCode.MalformedPacket,
  );
}

/** Whether `value` is a Packet Identifier: an integer from 1 to 65,535. */
function isPacketId(value: unknown): boolean {
  // (an integer in range is its own 16-bit truncation)
  return typeof value === "number" && (value & 0xffff) === value &&
    value !== 0;
}

function checkPacketId(type: string, value: unknown): void {
  if (!isPacketId(value)) {
    throw wrongField(type, "packetId", "an integer from 1 to 65,535", value);
  }
}

function checkField(
  packet: Record<string, unknown>,
  field: string,
  kind: "number" | "string" | "boolean",
  optional: boolean,
): void {
  const value = packet[field];
  if (typeof value === kind || (optional && value === undefined)) return;
  throw wrongField(
    packet.type as string,
    field,
    `a ${kind}${optional ? " or absent" : ""}`,
    value,
  );
}

function checkArray(
  packet: Record<string, unknown>,
  field: string,
  item: (value: unknown) => boolean,
  expected: string,
): void {
  const list = packet[field];
  if (!Array.isArray(list) || !list.every(item)) {
    throw wrongField(packet.type as string, field, expected, list);
  }
}

const isNumber = (value: unknown) => typeof value === "number";
const isString = (value: unknown) => typeof value === "string";
const isSubscription = (value: unknown) =>
  typeof value === "object" && value !== null &&
  typeof (value as { topicFilter?: unknown }).topicFilter === "string" &&
  isQoS((value as { qos?: unknown }).qos);
const isQoS = (value: unknown) => value === 0 || value === 1 || value === 2;

/** The numeric properties a session reads from a CONNECT or CONNACK. */
const CONNECT_NUMBERS = [
  "sessionExpiryInterval",
  "receiveMaximum",
  "maximumPacketSize",
  "topicAliasMaximum",
] as const;
const CONNACK_NUMBERS = [
  ...CONNECT_NUMBERS,
  "serverKeepAlive",
  "maximumQoS",
] as const;

/**
 * Checks that a packet handed to `handlePacket` is an object with a
 * `type`, and has the fields the session reads, of the right types: the
 * shape `decode` gives every packet, so a packet built by hand that lacks
 * one fails here with an `MqttError` naming it, not later with a
 * `TypeError` or a wrong answer. The values' rules are the codec's (the
 * session takes packets as `decode` makes them); a type no packet has is
 * refused as a protocol error where the session dispatches on it. Cheap:
 * it runs for every packet.
 */
export function checkPacketShape(packet: unknown): void {
  if (
    typeof packet !== "object" || packet === null ||
    typeof (packet as { type?: unknown }).type !== "string"
  ) {
    throw new MqttError(
      `handlePacket: expected a packet object, got ${describe(packet)}`,
      ReasonCode.MalformedPacket,
    );
  }
  const p = packet as Record<string, unknown>;
  const type = p.type as string;
  switch (type) {
    case "publish": {
      // The common packets by direct reads: this runs for every one.
      const publish = packet as PublishPacket;
      const qos = publish.qos;
      if (
        typeof publish.topic === "string" &&
        publish.payload instanceof Uint8Array &&
        (qos === 0 || qos === 1 || qos === 2) &&
        typeof publish.retain === "boolean" &&
        (qos === 0 || isPacketId(publish.packetId)) &&
        (publish.topicAlias === undefined ||
          typeof publish.topicAlias === "number")
      ) {
        return;
      }
      checkField(p, "topic", "string", false);
      if (!(p.payload instanceof Uint8Array)) {
        throw wrongField(type, "payload", "a Uint8Array", p.payload);
      }
      if (!isQoS(qos)) throw wrongField(type, "qos", "0, 1 or 2", qos);
      checkField(p, "retain", "boolean", false);
      if (qos !== 0) checkPacketId(type, p.packetId);
      checkField(p, "topicAlias", "number", true);
      return;
    }
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp": {
      const ack = packet as PubackPacket;
      const code = ack.reasonCode;
      if (
        isPacketId(ack.packetId) &&
        (code === undefined || typeof code === "number")
      ) {
        return;
      }
      checkPacketId(type, p.packetId);
      checkField(p, "reasonCode", "number", true);
      return;
    }
    case "suback":
    case "unsuback":
      checkPacketId(type, p.packetId);
      checkArray(p, "reasonCodes", isNumber, "an array of numbers");
      return;
    case "subscribe":
      checkPacketId(type, p.packetId);
      checkArray(
        p,
        "subscriptions",
        isSubscription,
        "an array of { topicFilter, qos }",
      );
      checkField(p, "subscriptionIdentifier", "number", true);
      return;
    case "unsubscribe":
      checkPacketId(type, p.packetId);
      checkArray(p, "topicFilters", isString, "an array of strings");
      return;
    case "connect": {
      if (!isKnownVersion(p.protocolVersion)) {
        throw wrongField(
          type,
          "protocolVersion",
          "3, 4 or 5",
          p.protocolVersion,
        );
      }
      checkField(p, "clientId", "string", false);
      checkField(p, "cleanStart", "boolean", false);
      checkField(p, "keepAlive", "number", false);
      for (const field of CONNECT_NUMBERS) checkField(p, field, "number", true);
      checkField(p, "authenticationMethod", "string", true);
      const will = p.will;
      if (will !== undefined) {
        const w = will as Record<string, unknown>;
        if (
          typeof will !== "object" || will === null || !isQoS(w.qos) ||
          typeof w.topic !== "string" || typeof w.retain !== "boolean" ||
          !(w.payload instanceof Uint8Array)
        ) {
          throw wrongField(type, "will", "a Will", will);
        }
      }
      return;
    }
    case "connack":
      checkField(p, "sessionPresent", "boolean", false);
      checkField(p, "reasonCode", "number", false);
      for (const field of CONNACK_NUMBERS) checkField(p, field, "number", true);
      return;
    case "disconnect":
      checkField(p, "reasonCode", "number", true);
      checkField(p, "sessionExpiryInterval", "number", true);
      return;
    case "auth":
      checkField(p, "reasonCode", "number", true);
      return;
  }
}

/** Checks an optional integer option within bounds. */
export function checkInteger(
  value: unknown,
  where: string,
  name: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== "number" || !Number.isInteger(value) || value < min ||
    value > max
  ) {
    throw new MqttError(
      `${where}: ${name} must be an integer from ${min} to ${max}, got ${
        describe(value)
      }`,
      ReasonCode.ProtocolError,
    );
  }
  return value;
}

/** Checks an optional limit: a positive integer or Infinity. */
export function checkLimit(
  value: unknown,
  where: string,
  name: string,
): number | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== "number" || value < 1 ||
    !(Number.isInteger(value) || value === Infinity)
  ) {
    throw new MqttError(
      `${where}: ${name} must be a positive integer or Infinity, got ${
        describe(value)
      }`,
      ReasonCode.ProtocolError,
    );
  }
  return value;
}

/** Checks an optional duration option, in milliseconds. */
export function checkDuration(
  value: unknown,
  where: string,
  name: string,
): number | undefined {
  return checkInteger(value, where, name, 1, Number.MAX_SAFE_INTEGER);
}

/** Checks the options both sessions take, and fills in the defaults. */
export function checkSessionOptions(
  options: SessionOptions,
  where: string,
  defaults: Required<
    Pick<
      SessionOptions,
      "maximumInFlight" | "maximumQueuedMessages" | "maximumQueuedBytes"
    >
  >,
): Required<SessionOptions> {
  return {
    manualAcknowledgement: options.manualAcknowledgement ?? false,
    strictReceiveMaximum: options.strictReceiveMaximum ?? true,
    useTopicAliases: options.useTopicAliases ?? true,
    maximumInFlight: checkInteger(
      options.maximumInFlight,
      where,
      "maximumInFlight",
      1,
      MAXIMUM_PACKET_ID,
    ) ?? defaults.maximumInFlight,
    maximumQueuedMessages: checkLimit(
      options.maximumQueuedMessages,
      where,
      "maximumQueuedMessages",
    ) ?? defaults.maximumQueuedMessages,
    maximumQueuedBytes: checkLimit(
      options.maximumQueuedBytes,
      where,
      "maximumQueuedBytes",
    ) ?? defaults.maximumQueuedBytes,
  };
}

/** Encodes `packet` only to check it; rethrows the codec's error under `where`. */
export function checkPacket(
  packet: Packet,
  rules: VersionRules,
  where: string,
): void {
  try {
    encode(packet, { protocolVersion: rules.version });
  } catch (error) {
    if (!(error instanceof MqttError)) throw error;
    throw new MqttError(`${where}: ${error.message}`, error.reasonCode, {
      cause: error,
    });
  }
}

/**
 * The last message found valid (or received, so decoded by the codec), and
 * every value its validity and size rest on: a broker delivers one message
 * to many sessions in a row, and it is then checked once, not once per
 * subscriber. The message is the same only if the object is, and each of
 * those values too (strings by value, byte arrays by identity and length,
 * each User Property's strings), so an object changed since — as the
 * application may, once the sessions let go of it — is checked again.
 * (Module variables rather than an object's fields: this runs for every
 * message, and V8 keeps them cheaper.)
 */
let memoMessage: ApplicationMessage | undefined;
let memoTopic = "";
let memoPayload: Uint8Array | undefined;
let memoPayloadLength = 0;
let memoQoS = 0;
let memoRetain = false;
/** Whether it has properties; the rest is only recorded when it does. */
let memoHasProperties = false;
let memoPayloadFormatIndicator: boolean | undefined;
let memoMessageExpiryInterval: number | undefined;
let memoContentType: string | undefined;
let memoResponseTopic: string | undefined;
let memoCorrelationData: Uint8Array | undefined;
let memoCorrelationDataLength = 0;
let memoUserProperties: unknown;
/** The User Properties' names and values, flattened; `memoPairCount` pairs. */
const memoPairs: unknown[] = [];
let memoPairCount = 0;
/** Its size as {@linkcode checkMessage} counts it; -1 until counted. */
let memoSize = -1;

/**
 * The last topic found valid: a publisher sends to the same topic again
 * and again (a string cannot change, so this one is safe as it is).
 */
let lastValidTopic: string | undefined;

/** Records `message` (valid) and what its validity rests on. */
function remember(message: ApplicationMessage, size: number): void {
  memoMessage = message;
  memoTopic = message.topic;
  const payload = message.payload;
  memoPayload = payload;
  memoPayloadLength = payload.length;
  memoQoS = message.qos;
  memoRetain = message.retain;
  memoSize = size;
  memoHasProperties = hasProperties(message);
  if (!memoHasProperties) return;
  memoPayloadFormatIndicator = message.payloadFormatIndicator;
  memoMessageExpiryInterval = message.messageExpiryInterval;
  memoContentType = message.contentType;
  memoResponseTopic = message.responseTopic;
  const data = message.correlationData;
  memoCorrelationData = data;
  memoCorrelationDataLength = data === undefined ? 0 : data.length;
  const list = message.userProperties;
  memoUserProperties = list;
  memoPairCount = 0;
  if (list === undefined) return;
  for (let i = 0; i < list.length; i++) {
    // Not a pair (a packet built by hand): isRemembered says no, so the
    // message is checked when delivered.
    const pair: unknown = list[i];
    const isPair = Array.isArray(pair);
    memoPairs[2 * i] = isPair ? pair[0] : undefined;
    memoPairs[2 * i + 1] = isPair ? pair[1] : undefined;
  }
  memoPairCount = list.length;
}

/** Whether `message` is the one remembered, unchanged. */
function isRemembered(message: ApplicationMessage): boolean {
  if (
    message !== memoMessage || message === undefined ||
    message.topic !== memoTopic || message.payload !== memoPayload ||
    message.qos !== memoQoS || message.retain !== memoRetain ||
    message.payload.length !== memoPayloadLength
  ) {
    return false;
  }
  if (!memoHasProperties) return !hasProperties(message);
  const data = message.correlationData;
  if (
    message.payloadFormatIndicator !== memoPayloadFormatIndicator ||
    message.messageExpiryInterval !== memoMessageExpiryInterval ||
    message.contentType !== memoContentType ||
    message.responseTopic !== memoResponseTopic ||
    data !== memoCorrelationData ||
    (data !== undefined && data.length !== memoCorrelationDataLength)
  ) {
    return false;
  }
  const list = message.userProperties;
  if (list !== memoUserProperties) return false;
  if (list === undefined) return true;
  if (list.length !== memoPairCount) return false;
  for (let i = 0; i < list.length; i++) {
    const pair = list[i];
    if (
      !Array.isArray(pair) || pair.length !== 2 ||
      pair[0] !== memoPairs[2 * i] || pair[1] !== memoPairs[2 * i + 1]
    ) {
      return false;
    }
  }
  return true;
}

/**
 * Marks a message as valid without checking it: one the codec decoded
 * (a received PUBLISH), which a broker then delivers to many sessions.
 */
export function markChecked(message: ApplicationMessage): void {
  remember(message, -1);
}

function refuseProperties(where: string): never {
  throw new MqttError(
    `${where}: MQTT 3.1.1 cannot carry message properties (payloadFormatIndicator, messageExpiryInterval, contentType, responseTopic, correlationData, userProperties)`,
    ReasonCode.ProtocolError,
  );
}

/** The codec's definitions of the properties of an application message. */
const PAYLOAD_FORMAT_INDICATOR = propertyOf("payloadFormatIndicator")!;
const MESSAGE_EXPIRY_INTERVAL = propertyOf("messageExpiryInterval")!;
const CONTENT_TYPE = propertyOf("contentType")!;
const RESPONSE_TOPIC = propertyOf("responseTopic")!;
const CORRELATION_DATA = propertyOf("correlationData")!;
const USER_PROPERTIES = propertyOf("userProperties")!;

/**
 * Checks the properties of a message with the codec's own check (as
 * `encode` would, without encoding), and returns the bytes they take.
 */
function messagePropertiesSize(
  message: ApplicationMessage,
  where: string,
): number {
  // Each field read by name: one shape for V8, not six keyed loads.
  let size = 0;
  const { payloadFormatIndicator, messageExpiryInterval, contentType } =
    message;
  if (payloadFormatIndicator !== undefined) {
    size += propertySize(
      PAYLOAD_FORMAT_INDICATOR,
      payloadFormatIndicator,
      where,
    );
  }
  if (messageExpiryInterval !== undefined) {
    size += propertySize(MESSAGE_EXPIRY_INTERVAL, messageExpiryInterval, where);
  }
  if (contentType !== undefined) {
    size += propertySize(CONTENT_TYPE, contentType, where);
  }
  const { responseTopic, correlationData, userProperties } = message;
  if (responseTopic !== undefined) {
    size += propertySize(RESPONSE_TOPIC, responseTopic, where);
  }
  if (correlationData !== undefined) {
    size += propertySize(CORRELATION_DATA, correlationData, where);
  }
  if (userProperties !== undefined) {
    size += propertySize(USER_PROPERTIES, userProperties, where);
  }
  return size;
}

/** Whether a message has any MQTT 5 property. */
export function hasProperties(message: ApplicationMessage): boolean {
  return message.payloadFormatIndicator !== undefined ||
    message.messageExpiryInterval !== undefined ||
    message.contentType !== undefined ||
    message.responseTopic !== undefined ||
    message.correlationData !== undefined ||
    message.userProperties !== undefined;
}

/**
 * Checks an application message as cheaply as the common case allows, and
 * returns the bytes it holds as a session's queue limit counts them
 * (payload, topic, properties as encoded): its
 * topic, payload, QoS and RETAIN by hand; its properties, when it has any,
 * with the codec's check of properties (as `encode` would, without
 * encoding).
 *
 * @param use `"publish"`: a client's own message. In 3.1.1 a property is
 * an error, as that version cannot carry it; and it is not remembered (a
 * client sends a message once). `"deliver"`: a message a server forwards
 * to one of its clients. In 3.1.1 its properties are left out when sent,
 * as that version has no place for them; and it is remembered, unchanged,
 * for the next sessions it goes to.
 */
export function checkMessage(
  message: ApplicationMessage,
  rules: VersionRules,
  use: "publish" | "deliver",
): number {
  const where = use;
  if (isRemembered(message)) {
    if (use === "publish" && !rules.properties && memoHasProperties) {
      refuseProperties(where);
    }
    if (memoSize < 0) memoSize = messageSize(message);
    return memoSize;
  }
  if (typeof message !== "object" || message === null) {
    throw new MqttError(
      `${where}: expected a message object, got ${describe(message)}`,
      ReasonCode.MalformedPacket,
    );
  }
  const topic = message.topic;
  if (typeof topic !== "string") {
    throw new MqttError(
      `${where}: topic must be a string, got ${describe(topic)}`,
      ReasonCode.TopicNameInvalid,
    );
  }
  if (topic !== lastValidTopic) {
    const bytes = utf8Length(topic);
    const problem = topicNameProblem(topic) ??
      (bytes === NULL_CHARACTER
        ? "contains U+0000 [MQTT-4.7.3-2]"
        : bytes === LONE_SURROGATE
        ? "is not well-formed UTF-16 (a lone surrogate) [MQTT-1.5.4-1]"
        : bytes > MAX_STRING_BYTES
        ? "is longer than 65,535 bytes [MQTT-4.7.3-3]"
        : undefined);
    if (problem !== undefined) {
      throw new MqttError(
        `${where}: topic ${describe(topic)} ${problem}`,
        ReasonCode.TopicNameInvalid,
      );
    }
    lastValidTopic = topic;
  }
  if (!(message.payload instanceof Uint8Array)) {
    throw new MqttError(
      `${where}: payload must be a Uint8Array, got ${
        describe(message.payload)
      }`,
      ReasonCode.MalformedPacket,
    );
  }
  const qos: QoS = message.qos;
  if (qos !== 0 && qos !== 1 && qos !== 2) {
    throw new MqttError(
      `${where}: qos must be 0, 1 or 2, got ${describe(qos)} [MQTT-3.3.1-4]`,
      ReasonCode.MalformedPacket,
    );
  }
  if (typeof message.retain !== "boolean") {
    throw new MqttError(
      `${where}: retain must be a boolean, got ${describe(message.retain)}`,
      ReasonCode.MalformedPacket,
    );
  }
  let size = message.payload.length + topic.length;
  if (hasProperties(message)) {
    if (!rules.properties && use === "publish") refuseProperties(where);
    size += messagePropertiesSize(message, where);
  }
  if (use === "deliver") remember(message, size);
  return size;
}
