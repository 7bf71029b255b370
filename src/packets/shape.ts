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

import { type ByteWriter, encodeError } from "../primitives/writer.ts";
import {
  checkProperties,
  type Context,
  PROPERTIES,
  propertiesOf,
  type PropertyDefinition,
  propertyOf,
  writeProperties,
} from "../properties.ts";
import type { Protocol } from "../protocol.ts";
import { ReasonCode } from "../reason_code.ts";

const hasOwnProperty = Object.prototype.hasOwnProperty;

/** Whether `key` is an own property of `source` (never an inherited one). */
export function isOwn(source: object, key: string): boolean {
  return hasOwnProperty.call(source, key);
}

/**
 * What {@linkcode checkFields} returns is a set of bits: one per field of
 * the shape (below this many bits, so at most 10 fields a shape) and, above
 * them, one per property its context allows, in the order of
 * {@linkcode propertiesOf} (at most 17, CONNACK's).
 */
const FIELD_BITS = 10;
const FIELD_LIMIT = 1 << FIELD_BITS;

/**
 * How many keys of an object the memo of a shape remembers: more than any
 * object of the shape can have without failing the check.
 */
const MEMO_LENGTH = 32;

/**
 * The keys of the last object of a shape that was checked, by position, with
 * the bit each stands for. Objects of one shape are mostly made by the same
 * code and have the same keys in the same order: a key that is the one seen
 * at its position last time (one comparison of interned strings) needs no
 * lookup by name, which costs more than the rest of the check (V8 keeps
 * `Object.create(null)` lookups as dictionaries). Only keys that passed the
 * check are kept, and what a key stands for depends on the shape alone, so a
 * hit needs no further check; a miss costs the lookup, as without the memo.
 */
interface KeyMemo {
  readonly keys: string[];
  readonly bits: number[];
}

/** The fields one kind of object may have. */
export interface Shape<F extends string = string> {
  /** What the object is, for messages: "a PUBLISH packet", "a Will". */
  readonly label: string;
  /** Each field that is not a property, with its bit in what {@linkcode checkFields} returns. */
  readonly bits: Readonly<Record<F, number>>;
  /** The bit of each field and of each property its context allows; no prototype, for lookups by any key. */
  readonly lookup: Readonly<Record<string, number | undefined>>;
  /** Where its properties may appear, or 0 when it has none. */
  readonly context: Context | 0;
  /** The properties the context allows, in identifier order: bit `FIELD_BITS + i` is `properties[i]`. */
  readonly properties: readonly PropertyDefinition[];
  /** The keys seen last, for {@linkcode checkFields}. */
  readonly memo: KeyMemo;
}

/** Makes the shape of an object with these fields (besides its properties). */
export function shape<F extends string>(
  label: string,
  fields: readonly F[],
  context: Context | 0,
): Shape<F> {
  const bits = {} as Record<F, number>;
  const lookup: Record<string, number | undefined> = Object.create(null);
  const properties = context === 0 ? [] : propertiesOf(context);
  if (
    fields.length > FIELD_BITS || FIELD_BITS + properties.length > 31
  ) {
    throw new RangeError(`${label}: more fields than checkFields can report`);
  }
  fields.forEach((field, i) => {
    bits[field] = 1 << i;
    lookup[field] = 1 << i;
  });
  properties.forEach((definition, i) => {
    lookup[definition.field] = 1 << (FIELD_BITS + i);
  });
  return Object.freeze({
    label,
    bits,
    lookup,
    context,
    properties,
    memo: { keys: [], bits: [] },
  });
}

/**
 * The bit that stands for property `field` in what {@linkcode checkFields}
 * returns for `shape`; throws when the shape's context does not allow it.
 */
export function propertyBit(shape: Shape, field: string): number {
  const index = shape.properties.findIndex((d) => d.field === field);
  if (index < 0) throw new RangeError(`${shape.label} has no ${field}`);
  return 1 << (FIELD_BITS + index);
}

/**
 * Checks the own keys of `source` against `shape` and returns which fields
 * and properties it has: test a field with `scan & shape.bits.field`; pass
 * `scan` to {@linkcode measureProperties} and `writeProperties` for the
 * properties. A key whose value is `undefined` counts as absent. Throws for
 * a key the shape does not have (0x81), and for a property the protocol has
 * none of (0x82) or the context does not allow (0x81, as decode does). The
 * values of the properties are checked by {@linkcode measureProperties}.
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
  const { keys, bits } = shape.memo;
  let present = 0;
  let position = 0;
  // for-in with an own-key test: V8 runs it from the object's enum cache,
  // faster than Object.keys, and inherited keys are skipped
  for (const key in values) {
    if (!hasOwnProperty.call(values, key)) continue;
    const value = values[key];
    if (value === undefined) continue;
    let bit: number;
    if (keys[position] === key) {
      bit = bits[position];
    } else {
      bit = bitOf(key, value, shape, protocol, where, path);
      if (bit === 0) continue; // nothing to write, nothing lost
      if (position < MEMO_LENGTH) {
        keys[position] = key;
        bits[position] = bit;
      }
    }
    position++;
    if (bit >= FIELD_LIMIT && !protocol.properties) {
      noProperties(key, value, protocol, where, path);
      continue;
    }
    present |= bit;
  }
  return present;
}

/**
 * The bit of `key` in `shape`, or 0 for a key to skip (a property that says
 * nothing where the protocol has none); throws when the shape cannot have it.
 */
function bitOf(
  key: string,
  value: unknown,
  shape: Shape,
  protocol: Protocol,
  where: string,
  path: string,
): number {
  const bit = shape.lookup[key];
  if (bit !== undefined) return bit;
  const definition = shape.context === 0 ? undefined : propertyOf(key);
  if (definition === undefined) unknownField(key, value, shape, where, path);
  if (!protocol.properties) {
    noProperties(key, value, protocol, where, path);
    return 0;
  }
  throw encodeError(
    where,
    path + key,
    `(0x${
      definition.id.toString(16).padStart(2, "0").toUpperCase()
    }) is not a property ${shape.label} may carry (section 2.2.2.2)${
      hintFor(key, shape)
    }`,
    ReasonCode.MalformedPacket,
  );
}

/** Refuses a property under a protocol without properties, unless it says nothing. */
function noProperties(
  key: string,
  value: unknown,
  protocol: Protocol,
  where: string,
  path: string,
): void {
  // an empty list of User Properties says nothing: nothing is lost
  if (Array.isArray(value) && value.length === 0) return;
  throw encodeError(
    where,
    path + key,
    `is an MQTT 5.0 property, which ${protocol.label} cannot carry`,
    ReasonCode.ProtocolError,
  );
}

/**
 * Checks the values of the properties {@linkcode checkFields} found in
 * `source` and returns the bytes they take, without the Property Length.
 */
export function measureProperties(
  source: object,
  shape: Shape,
  scan: number,
  where: string,
): number {
  const properties = scan >>> FIELD_BITS;
  return properties === 0
    ? 0
    : checkProperties(source, shape.properties, properties, where);
}

/**
 * Writes the Property Length `length`, as {@linkcode measureProperties}
 * measured it, and the properties {@linkcode checkFields} found in `source`,
 * in the order of their identifiers.
 */
export function writeFoundProperties(
  w: ByteWriter,
  source: object,
  shape: Shape,
  scan: number,
  length: number,
): void {
  writeProperties(
    w,
    source,
    shape.properties,
    scan >>> FIELD_BITS,
    length,
  );
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
    ReasonCode.MalformedPacket,
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
