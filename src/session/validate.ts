/**
 * Checks of what the application hands to a session, so that a mistake
 * fails at the command that made it, with the rule it breaks, and never
 * later in the I/O loop.
 *
 * @module
 */

import { encode } from "../codec.ts";
import { MqttError } from "../error.ts";
import type { Packet, QoS } from "../packet.ts";
import { propertyOf, propertySize } from "../properties.ts";
import { topicNameProblem } from "../topic.ts";
import { messageSize } from "./packet_size.ts";
import { MAXIMUM_PACKET_ID } from "../defaults.ts";
import type { ApplicationMessage, SessionOptions } from "./types.ts";
import type { VersionRules } from "./version.ts";

const MALFORMED = 0x81;
const PROTOCOL_ERROR = 0x82;
const TOPIC_NAME_INVALID = 0x90;

/** A short description of a value, for messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value.slice(0, 40));
  if (typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  return typeof value;
}

/** Checks a time argument: a finite number of milliseconds. */
export function checkNow(now: unknown, where: string): number {
  if (typeof now !== "number" || !Number.isFinite(now)) {
    throw new MqttError(
      `${where}: now must be a finite number of milliseconds, got ${
        describe(now)
      }`,
      PROTOCOL_ERROR,
    );
  }
  return now;
}

/**
 * Checks that a packet handed to `handlePacket` is an object with a `type`.
 * Its fields are the codec's to check (the session takes packets as
 * `decode` makes them); a type no packet has is refused as a protocol
 * error where the session dispatches on it. This only turns a wrong
 * argument into an `MqttError`, cheaply: it runs for every packet.
 */
export function checkPacketObject(packet: unknown): void {
  if (
    typeof packet !== "object" || packet === null ||
    typeof (packet as { type?: unknown }).type !== "string"
  ) {
    throw new MqttError(
      `handlePacket: expected a packet object, got ${describe(packet)}`,
      MALFORMED,
    );
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
      PROTOCOL_ERROR,
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
      PROTOCOL_ERROR,
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
 * The last message found valid (or received, so decoded by the codec): a
 * broker delivers one message to many sessions in a row, and it is then
 * checked once, by an identity comparison, not once per subscriber. (A
 * message must not change once handed over, as the sessions keep it.)
 */
let lastChecked: object | undefined;
/** Its size as {@linkcode checkMessage} counts it; -1 until counted. */
let lastSize = -1;

/** Marks a message as valid: one decoded by the codec, say. */
export function markChecked(message: ApplicationMessage): void {
  lastChecked = message;
  lastSize = -1;
}

function refuseProperties(where: string): never {
  throw new MqttError(
    `${where}: MQTT 3.1.1 cannot carry message properties (payloadFormatIndicator, messageExpiryInterval, contentType, responseTopic, correlationData, userProperties)`,
    PROTOCOL_ERROR,
  );
}

/** The properties of an application message, with the codec's definitions of them. */
const MESSAGE_PROPERTIES = [
  "payloadFormatIndicator",
  "messageExpiryInterval",
  "contentType",
  "responseTopic",
  "correlationData",
  "userProperties",
] as const;
const MESSAGE_PROPERTY_DEFINITIONS = MESSAGE_PROPERTIES.map((field) =>
  propertyOf(field)!
);

/**
 * Checks the properties of a message with the codec's own check (as
 * `encode` would, without encoding), and returns the bytes they take.
 */
function messagePropertiesSize(
  message: ApplicationMessage,
  where: string,
): number {
  let size = 0;
  for (let i = 0; i < MESSAGE_PROPERTIES.length; i++) {
    const value = message[MESSAGE_PROPERTIES[i]];
    if (value !== undefined) {
      size += propertySize(MESSAGE_PROPERTY_DEFINITIONS[i], value, where);
    }
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
 * encoding). With `properties: "refuse"` (a 3.1.1 client's
 * own message) a property is an error, as MQTT 3.1.1 cannot carry it;
 * with `"ignore"` (a server forwarding to a 3.1.1 client) they are left
 * out when sent, as that version has no place for them.
 */
export function checkMessage(
  message: ApplicationMessage,
  rules: VersionRules,
  where: string,
  properties: "refuse" | "ignore",
): number {
  if (message === lastChecked) {
    if (
      properties === "refuse" && !rules.properties && hasProperties(message)
    ) {
      refuseProperties(where);
    }
    if (lastSize < 0) lastSize = messageSize(message);
    return lastSize;
  }
  if (typeof message !== "object" || message === null) {
    throw new MqttError(
      `${where}: expected a message object, got ${describe(message)}`,
      MALFORMED,
    );
  }
  const topic = message.topic;
  if (typeof topic !== "string") {
    throw new MqttError(
      `${where}: topic must be a string, got ${describe(topic)}`,
      TOPIC_NAME_INVALID,
    );
  }
  const problem = topicNameProblem(topic) ??
    (topic.includes("\0")
      ? "contains U+0000 [MQTT-4.7.3-2]"
      : !topic.isWellFormed()
      ? "is not well-formed UTF-16 (a lone surrogate) [MQTT-1.5.4-1]"
      : topic.length > 21_845 &&
          new TextEncoder().encode(topic).length > 65_535
      ? "is longer than 65,535 bytes [MQTT-4.7.3-3]"
      : undefined);
  if (problem !== undefined) {
    throw new MqttError(
      `${where}: topic ${describe(topic)} ${problem}`,
      TOPIC_NAME_INVALID,
    );
  }
  if (!(message.payload instanceof Uint8Array)) {
    throw new MqttError(
      `${where}: payload must be a Uint8Array, got ${
        describe(message.payload)
      }`,
      MALFORMED,
    );
  }
  const qos: QoS = message.qos;
  if (qos !== 0 && qos !== 1 && qos !== 2) {
    throw new MqttError(
      `${where}: qos must be 0, 1 or 2, got ${describe(qos)} [MQTT-3.3.1-4]`,
      MALFORMED,
    );
  }
  if (typeof message.retain !== "boolean") {
    throw new MqttError(
      `${where}: retain must be a boolean, got ${describe(message.retain)}`,
      MALFORMED,
    );
  }
  let size = message.payload.length + topic.length;
  if (hasProperties(message)) {
    if (!rules.properties && properties === "refuse") refuseProperties(where);
    size += messagePropertiesSize(message, where);
  }
  lastChecked = message;
  lastSize = size;
  return size;
}
