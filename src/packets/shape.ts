/**
 * Strict objects on encode: the fields each kind of object may have (a
 * packet type, the Will, a subscription), checked in one pass over the
 * object's own keys. A field the object cannot have is an
 * {@linkcode MqttError} naming it, with a hint for mqtt-packet's names and
 * for near misses; nothing a user gives is silently dropped.
 *
 * Only own keys count, and the pass says which fields are there: the
 * encoders read a field only when it is the object's own, never one
 * inherited from a prototype (another library may have added fields to
 * `Object.prototype`).
 *
 * @module
 */

import { encodeError } from "../primitives/writer.ts";
import {
  type Context,
  PROPERTIES,
  propertyOf,
  propertySize,
} from "../properties.ts";
import type { Protocol } from "../protocol.ts";

const MALFORMED = 0x81;
const PROTOCOL_ERROR = 0x82;

const hasOwnProperty = Object.prototype.hasOwnProperty;

/** Whether `key` is an own property of `source` (never an inherited one). */
export function isOwn(source: object, key: string): boolean {
  return hasOwnProperty.call(source, key);
}

/** The fields one kind of object may have. */
export interface Shape<F extends string = string> {
  /** What the object is, for messages: "a PUBLISH packet", "a Will". */
  readonly label: string;
  /** Each field that is not a property, with its bit in what {@linkcode checkFields} returns. */
  readonly bits: Readonly<Record<F, number>>;
  /** The same, without a prototype, for lookups by any key. */
  readonly lookup: Readonly<Record<string, number | undefined>>;
  /** Where its properties may appear, or 0 when it has none. */
  readonly context: Context | 0;
}

/**
 * What {@linkcode checkFields} returns packs two numbers: the bits of the
 * fields present (below this, so at most 10 fields a shape) and, above it,
 * the size of the properties. One pass over the keys gives both.
 */
const FIELD_LIMIT = 1024;

/** The size of the properties found by {@linkcode checkFields} (without the Property Length). */
export function propertiesSizeOf(scan: number): number {
  return Math.floor(scan / FIELD_LIMIT);
}

/** Makes the shape of an object with these fields (besides its properties). */
export function shape<F extends string>(
  label: string,
  fields: readonly F[],
  context: Context | 0,
): Shape<F> {
  const bits = {} as Record<F, number>;
  const lookup: Record<string, number | undefined> = Object.create(null);
  if (fields.length > Math.log2(FIELD_LIMIT)) {
    throw new RangeError(`${label}: more fields than checkFields can report`);
  }
  fields.forEach((field, i) => {
    bits[field] = 1 << i;
    lookup[field] = 1 << i;
  });
  return Object.freeze({ label, bits, lookup, context });
}

/**
 * Checks the own keys of `source` against `shape`, and the value of each
 * property, and returns which fields it has: test a field with
 * `scan & shape.bits.field` (the low bits), and get the size of its
 * properties with {@linkcode propertiesSizeOf}. A field whose value is
 * `undefined` counts as absent. Throws for a key the shape does not have
 * (0x81), and for a property the protocol has none of (0x82), the context
 * does not allow (0x81, as decode does) or whose value is invalid.
 *
 * @param path Prefix of the keys in messages, such as "will." or
 * "subscriptions[0].".
 */
export function checkFields(
  source: object,
  shape: Shape,
  protocol: Protocol,
  where: string,
  path = "",
): number {
  const values = source as Record<string, unknown>;
  const lookup = shape.lookup;
  let present = 0;
  let size = 0;
  // for-in with an own-key test: V8 runs it from the object's enum cache,
  // faster than Object.keys, and inherited keys are skipped
  for (const key in values) {
    if (!hasOwnProperty.call(values, key)) continue;
    const value = values[key];
    if (value === undefined) continue;
    const bit = lookup[key];
    if (bit !== undefined) {
      present |= bit;
      continue;
    }
    const definition = shape.context === 0 ? undefined : propertyOf(key);
    if (definition === undefined) unknownField(key, value, shape, where, path);
    if (!protocol.properties) {
      // an empty list of User Properties says nothing: nothing is lost
      if (Array.isArray(value) && value.length === 0) continue;
      throw encodeError(
        where,
        path + key,
        `is an MQTT 5.0 property, which ${protocol.label} cannot carry`,
        PROTOCOL_ERROR,
      );
    }
    if (!(definition.contexts & shape.context)) {
      throw encodeError(
        where,
        path + key,
        `(0x${
          definition.id.toString(16).padStart(2, "0").toUpperCase()
        }) is not a property ${shape.label} may carry (section 2.2.2.2)${
          hintFor(key, shape)
        }`,
        MALFORMED,
      );
    }
    size += propertySize(definition, value, where);
  }
  return present + size * FIELD_LIMIT;
}

/** mqtt-packet's names for our fields, and what to write instead. */
const MQTT_PACKET_NAMES: Readonly<Record<string, string>> = {
  cmd: 'the packet type is "type"',
  messageId: "the Packet Identifier is packetId",
  clean: "Clean Start / Clean Session is cleanStart",
  keepalive: "Keep Alive is keepAlive",
  protocolId:
    'the Protocol Name follows protocolVersion ("MQIsdp" for 3, "MQTT" for 4 and 5)',
  returnCode: "the return code is reasonCode",
  granted: "the return codes are reasonCodes",
  unsubscriptions: "the topic filters are topicFilters",
  length: "the Remaining Length is computed by encode: leave it out",
  bridgeMode: "bridge mode (a Protocol Level with bit 7 set) is not MQTT",
  nl: "No Local is noLocal",
  rap: "Retain As Published is retainAsPublished",
  rh: "Retain Handling is retainHandling",
};

/** A hint for a field of another shape that means something else here. */
function hintFor(key: string, shape: Shape): string {
  if (key === "subscriptionIdentifier" && shape.lookup.topic !== undefined) {
    return ": a PUBLISH carries subscriptionIdentifiers, a list";
  }
  if (key === "topic" && shape.lookup.topicFilter !== undefined) {
    return ": a subscription's topic is topicFilter";
  }
  return "";
}

function unknownField(
  key: string,
  value: unknown,
  shape: Shape,
  where: string,
  path: string,
): never {
  let hint = hintFor(key, shape);
  if (hint === "" && key === "properties") {
    const names = typeof value === "object" && value !== null
      ? Object.keys(value)
      : [];
    hint = `: MQTT 5 properties are flat fields of the packet${
      names.length > 0 ? ` (write ${names.join(", ")} next to "type")` : ""
    }`;
  } else if (hint === "" && Object.hasOwn(MQTT_PACKET_NAMES, key)) {
    hint = ` (mqtt-packet's name: ${MQTT_PACKET_NAMES[key]})`;
  } else if (hint === "") {
    const near = nearest(key, shape);
    if (near !== undefined) hint = `; did you mean ${near}?`;
  }
  throw encodeError(
    where,
    path + key,
    `is not a field of ${shape.label}${hint}`,
    MALFORMED,
  );
}

/** The field name closest to `key` (at most 2 edits away), if any. */
function nearest(key: string, shape: Shape): string | undefined {
  const names = Object.keys(shape.lookup);
  if (shape.context !== 0) {
    for (const definition of PROPERTIES) {
      if (definition.contexts & shape.context) names.push(definition.field);
    }
  }
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of names) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase());
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance, for the "did you mean" hint (error path only). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}
