/**
 * MQTT 5.0 properties (section 2.2.2): the table of all 27 identifiers with
 * their data types and the packets that may carry them, and their decoding
 * and encoding. Each data type is one entry that reads, checks, measures
 * and writes its values; the table ties each identifier to a packet field
 * of that type, checked against the packet interfaces by the compiler.
 *
 * @module
 */

import type {
  AuthPacket,
  ConnackPacket,
  ConnectPacket,
  DisconnectPacket,
  PubackPacket,
  PublishPacket,
  SubackPacket,
  SubscribePacket,
  UnsubackPacket,
  UnsubscribePacket,
  Will,
} from "./packet.ts";
import type { Cursor } from "./primitives/cursor.ts";
import {
  binaryLength,
  type ByteWriter,
  checkBoolean,
  checkInteger,
  encodeError,
  stringLength,
} from "./primitives/writer.ts";
import {
  MAX_VARIABLE_BYTE_INTEGER,
  vbiLength,
} from "./primitives/variable_byte_integer.ts";
import { MAX_FOUR_BYTE_INTEGER } from "./primitives/four_byte_integer.ts";
import { measureUtf8 } from "./primitives/utf8.ts";
import { MQTT_5_0, type Protocol } from "./protocol.ts";
import { ReasonCode } from "./reason_code.ts";

const WILDCARD_PROBLEM =
  "contains a wildcard character, but is used as a Topic Name [MQTT-3.3.2-14]";

/** Where a property may appear: a packet, or the Will of a CONNECT. */
export const Context = {
  Connect: 1 << 0,
  Connack: 1 << 1,
  Publish: 1 << 2,
  /** PUBACK, PUBREC, PUBREL and PUBCOMP. */
  PublishAck: 1 << 3,
  Subscribe: 1 << 4,
  Suback: 1 << 5,
  Unsubscribe: 1 << 6,
  Unsuback: 1 << 7,
  Disconnect: 1 << 8,
  Auth: 1 << 9,
  Will: 1 << 10,
} as const;

/** One of the {@linkcode Context} bits. */
export type Context = typeof Context[keyof typeof Context];

/** The fields of a packet that are not properties. */
type BaseFields =
  | "type"
  | "protocolVersion"
  | "clientId"
  | "cleanStart"
  | "keepAlive"
  | "username"
  | "password"
  | "will"
  | "sessionPresent"
  | "reasonCode"
  | "reasonCodes"
  | "topic"
  | "payload"
  | "qos"
  | "retain"
  | "dup"
  | "packetId"
  | "subscriptions"
  | "topicFilters";

/**
 * Every property field of every packet (and of the Will), typed as the
 * packet interfaces type it: what {@linkcode decodeProperties} fills in.
 */
export type PropertyFields = Partial<
  & Omit<ConnectPacket, BaseFields>
  & Omit<ConnackPacket, BaseFields>
  & Omit<PublishPacket, BaseFields>
  & Omit<PubackPacket, BaseFields>
  & Omit<SubscribePacket, BaseFields>
  & Omit<SubackPacket, BaseFields>
  & Omit<UnsubscribePacket, BaseFields>
  & Omit<UnsubackPacket, BaseFields>
  & Omit<DisconnectPacket, BaseFields>
  & Omit<AuthPacket, BaseFields>
  & Omit<Will, BaseFields>
>;

/** The name of a property field. */
export type PropertyField = keyof PropertyFields;

/** The names of the data types of section 1.5 as properties use them. */
export type PropertyType =
  | "flag" // a Byte of 0 or 1, as a boolean
  | "qos" // a Byte of 0 or 1, as a number (Maximum QoS)
  | "u16"
  | "u32"
  | "vbi"
  | "utf8"
  | "binary"
  | "pair";

/**
 * One data type: reads a value (after its identifier), checks and measures
 * one to encode (the bytes after the identifier), and writes it.
 */
interface DataType<T> {
  readonly name: PropertyType;
  read(c: Cursor, definition: PropertyDefinition, at: number): T;
  size(value: unknown, definition: PropertyDefinition, where: string): number;
  write(w: ByteWriter, value: T): void;
}

/** One row of the property table of section 2.2.2.2. */
export interface PropertyDefinition {
  /** The Property Identifier. */
  readonly id: number;
  /** The packet field holding the value. */
  readonly field: PropertyField;
  /** The property's data type. */
  readonly type: PropertyType;
  /** How values of that type are read, checked, measured and written. */
  readonly data: DataType<unknown>;
  /** The contexts that may carry it. */
  readonly contexts: number;
  /** May appear more than once (User Property; Subscription Identifier in PUBLISH). */
  readonly repeats: boolean;
  /** Zero is a Protocol Error for this property. */
  readonly nonZero: boolean;
  /** The section that states the property's rules. */
  readonly section: string;
  /** `section` as messages cite it, made once rather than per encode. */
  readonly rule: string;
}

function readByteFlag(
  c: Cursor,
  definition: PropertyDefinition,
  at: number,
): number {
  const value = c.u8(definition.field);
  if (value > 1) {
    c.fail(
      definition.field,
      `must be 0 or 1, got ${value} (section ${definition.section})`,
      ReasonCode.ProtocolError,
      at,
    );
  }
  return value;
}

function checkNonZero(
  c: Cursor,
  definition: PropertyDefinition,
  value: number,
  at: number,
): number {
  if (value === 0 && definition.nonZero) {
    c.fail(
      definition.field,
      `must not be 0 (section ${definition.section})`,
      ReasonCode.ProtocolError,
      at,
    );
  }
  return value;
}

function integerSize(
  max: number,
  bytes: number,
): DataType<number>["size"] {
  return (value, definition, where) => {
    checkInteger(
      value,
      definition.nonZero ? 1 : 0,
      max,
      where,
      definition.field,
      definition.rule,
      ReasonCode.ProtocolError,
    );
    return bytes;
  };
}

/** A Response Topic is the Topic Name of the reply (section 3.3.2.3.5). */
const RESPONSE_TOPIC = 0x08;

/** The Response Topic is a Topic Name: not empty [MQTT-4.7.3-1], no wildcards [MQTT-3.3.2-14]. */
function responseTopicProblem(topic: string): string | undefined {
  if (topic.length === 0) {
    return "is empty, but is used as a Topic Name [MQTT-4.7.3-1] (section 3.3.2.3.5)";
  }
  if (topic.includes("+") || topic.includes("#")) return WILDCARD_PROBLEM;
  return undefined;
}

const FLAG: DataType<boolean> = {
  name: "flag",
  read: (c, definition, at) => readByteFlag(c, definition, at) === 1,
  size(value, definition, where) {
    checkBoolean(value, where, definition.field);
    return 1;
  },
  write: (w, value) => w.u8(value ? 1 : 0),
};

const QOS: DataType<number> = {
  name: "qos",
  read: readByteFlag,
  size: integerSize(1, 1),
  write: (w, value) => w.u8(value),
};

const U16: DataType<number> = {
  name: "u16",
  read: (c, definition, at) =>
    checkNonZero(c, definition, c.u16(definition.field), at),
  size: integerSize(0xffff, 2),
  write: (w, value) => w.u16(value),
};

const U32: DataType<number> = {
  name: "u32",
  read: (c, definition, at) =>
    checkNonZero(c, definition, c.u32(definition.field), at),
  size: integerSize(MAX_FOUR_BYTE_INTEGER, 4),
  write: (w, value) => w.u32(value),
};

const VBI: DataType<number> = {
  name: "vbi",
  read: (c, definition, at) =>
    checkNonZero(c, definition, c.vbi(definition.field), at),
  size(value, definition, where) {
    return vbiLength(
      checkInteger(
        value,
        1,
        MAX_VARIABLE_BYTE_INTEGER,
        where,
        definition.field,
        definition.rule,
        ReasonCode.ProtocolError,
      ),
    );
  },
  write: (w, value) => w.vbi(value),
};

const UTF8: DataType<string> = {
  name: "utf8",
  read(c, definition, at) {
    const value = c.utf8(definition.field);
    if (definition.id === RESPONSE_TOPIC) {
      const problem = responseTopicProblem(value);
      if (problem !== undefined) {
        c.fail(definition.field, problem, ReasonCode.MalformedPacket, at);
      }
    }
    return value;
  },
  size(value, definition, where) {
    const length = stringLength(value, where, definition.field, MQTT_5_0);
    if (definition.id === RESPONSE_TOPIC) {
      const problem = responseTopicProblem(value as string);
      if (problem !== undefined) {
        throw encodeError(where, definition.field, problem);
      }
    }
    return 2 + length;
  },
  write: (w, value) => w.utf8(value, measureUtf8(value)),
};

const BINARY: DataType<Uint8Array> = {
  name: "binary",
  read: (c, definition) => c.binary(definition.field),
  size: (value, definition, where) =>
    2 + binaryLength(value, where, definition.field),
  write: (w, value) => w.binary(value),
};

const PAIR: DataType<[string, string]> = {
  name: "pair",
  read: (c, definition) => [c.utf8(definition.field), c.utf8(definition.field)],
  size(value, definition, where) {
    if (
      !Array.isArray(value) || value.length !== 2 ||
      typeof value[0] !== "string" || typeof value[1] !== "string"
    ) {
      throw encodeError(
        where,
        definition.field,
        "must be a list of [name, value] string pairs",
      );
    }
    return 4 + stringLength(value[0], where, "userProperties name", MQTT_5_0) +
      stringLength(value[1], where, "userProperties value", MQTT_5_0);
  },
  write(w, pair) {
    // by index: destructuring would go through the array iterator
    w.utf8(pair[0], measureUtf8(pair[0]));
    w.utf8(pair[1], measureUtf8(pair[1]));
  },
};

const C = Context;
const ALL_WITH_PROPERTIES = C.Connect | C.Connack | C.Publish | C.PublishAck |
  C.Subscribe | C.Suback | C.Unsubscribe | C.Unsuback | C.Disconnect |
  C.Auth | C.Will;

/** The value type of a property field; a repeated property's items. */
type ValueOf<K extends PropertyField> = NonNullable<PropertyFields[K]>;

/** A row whose data type matches the field's type in the packet interfaces. */
function row<K extends PropertyField>(
  id: number,
  field: K,
  data: DataType<ValueOf<K>>,
  contexts: number,
  section: string,
  extra: { nonZero?: boolean } = {},
): PropertyDefinition {
  return definition(id, field, data, contexts, section, false, extra);
}

/** A row of a property that may repeat: the field is a list of the data type's values. */
function repeatedRow<K extends PropertyField, T>(
  id: number,
  field: K & (ValueOf<K> extends T[] ? K : never),
  data: DataType<T>,
  contexts: number,
  section: string,
  extra: { nonZero?: boolean } = {},
): PropertyDefinition {
  return definition(id, field, data, contexts, section, true, extra);
}

function definition<T>(
  id: number,
  field: PropertyField,
  data: DataType<T>,
  contexts: number,
  section: string,
  repeats: boolean,
  extra: { nonZero?: boolean },
): PropertyDefinition {
  return Object.freeze({
    id,
    field,
    type: data.name,
    data: data as DataType<unknown>,
    contexts,
    section,
    rule: `(section ${section})`,
    repeats,
    nonZero: extra.nonZero ?? false,
  });
}

/** The property table of section 2.2.2.2, one row per identifier and field. */
export const PROPERTIES: readonly PropertyDefinition[] = [
  row(0x01, "payloadFormatIndicator", FLAG, C.Publish | C.Will, "3.3.2.3.2"),
  row(0x02, "messageExpiryInterval", U32, C.Publish | C.Will, "3.3.2.3.3"),
  row(0x03, "contentType", UTF8, C.Publish | C.Will, "3.3.2.3.9"),
  row(0x08, "responseTopic", UTF8, C.Publish | C.Will, "3.3.2.3.5"),
  row(0x09, "correlationData", BINARY, C.Publish | C.Will, "3.3.2.3.6"),
  repeatedRow(0x0b, "subscriptionIdentifiers", VBI, C.Publish, "3.3.2.3.8", {
    nonZero: true,
  }),
  row(0x0b, "subscriptionIdentifier", VBI, C.Subscribe, "3.8.2.1.2", {
    nonZero: true,
  }),
  row(
    0x11,
    "sessionExpiryInterval",
    U32,
    C.Connect | C.Connack | C.Disconnect,
    "3.1.2.11.2",
  ),
  row(0x12, "assignedClientIdentifier", UTF8, C.Connack, "3.2.2.3.7"),
  row(0x13, "serverKeepAlive", U16, C.Connack, "3.2.2.3.14"),
  row(
    0x15,
    "authenticationMethod",
    UTF8,
    C.Connect | C.Connack | C.Auth,
    "3.1.2.11.9",
  ),
  row(
    0x16,
    "authenticationData",
    BINARY,
    C.Connect | C.Connack | C.Auth,
    "3.1.2.11.10",
  ),
  row(0x17, "requestProblemInformation", FLAG, C.Connect, "3.1.2.11.7"),
  row(0x18, "willDelayInterval", U32, C.Will, "3.1.3.2.2"),
  row(0x19, "requestResponseInformation", FLAG, C.Connect, "3.1.2.11.6"),
  row(0x1a, "responseInformation", UTF8, C.Connack, "3.2.2.3.15"),
  row(0x1c, "serverReference", UTF8, C.Connack | C.Disconnect, "3.2.2.3.16"),
  row(
    0x1f,
    "reasonString",
    UTF8,
    C.Connack | C.PublishAck | C.Suback | C.Unsuback | C.Disconnect | C.Auth,
    "3.2.2.3.9",
  ),
  row(0x21, "receiveMaximum", U16, C.Connect | C.Connack, "3.1.2.11.3", {
    nonZero: true,
  }),
  row(0x22, "topicAliasMaximum", U16, C.Connect | C.Connack, "3.1.2.11.5"),
  row(0x23, "topicAlias", U16, C.Publish, "3.3.2.3.4 [MQTT-3.3.2-8]", {
    nonZero: true,
  }),
  row(0x24, "maximumQoS", QOS as DataType<0 | 1>, C.Connack, "3.2.2.3.4"),
  row(0x25, "retainAvailable", FLAG, C.Connack, "3.2.2.3.5"),
  repeatedRow(
    0x26,
    "userProperties",
    PAIR,
    ALL_WITH_PROPERTIES,
    "3.1.2.11.8",
  ),
  row(0x27, "maximumPacketSize", U32, C.Connect | C.Connack, "3.1.2.11.4", {
    nonZero: true,
  }),
  row(
    0x28,
    "wildcardSubscriptionAvailable",
    FLAG,
    C.Connack,
    "3.2.2.3.11",
  ),
  row(
    0x29,
    "subscriptionIdentifiersAvailable",
    FLAG,
    C.Connack,
    "3.2.2.3.12",
  ),
  row(
    0x2a,
    "sharedSubscriptionAvailable",
    FLAG,
    C.Connack,
    "3.2.2.3.13",
  ),
];

const CONTEXTS = [
  C.Connect,
  C.Connack,
  C.Publish,
  C.PublishAck,
  C.Subscribe,
  C.Suback,
  C.Unsubscribe,
  C.Unsuback,
  C.Disconnect,
  C.Auth,
  C.Will,
];

/** Per context: the definitions indexed by identifier. */
const byId = new Map<number, (PropertyDefinition | undefined)[]>();
/** Per context: the definitions it allows, in identifier order. */
const allowed = new Map<number, PropertyDefinition[]>();
for (const context of CONTEXTS) {
  const table: (PropertyDefinition | undefined)[] = new Array(0x2b).fill(
    undefined,
  );
  const list: PropertyDefinition[] = [];
  for (const definition of PROPERTIES) {
    if (definition.contexts & context) {
      table[definition.id] = definition;
      list.push(definition);
    }
  }
  byId.set(context, table);
  allowed.set(context, list);
}

/** Every property definition by its packet field name (no prototype: only own keys match). */
const byField: Record<string, PropertyDefinition | undefined> = Object
  .create(null);
for (const definition of PROPERTIES) byField[definition.field] = definition;

/** The definition of the property held in a packet field, if the field is one. */
export function propertyOf(field: string): PropertyDefinition | undefined {
  return byField[field];
}

/** The definitions a context allows. */
export function propertiesOf(context: Context): readonly PropertyDefinition[] {
  return allowed.get(context)!;
}

function hex(id: number): string {
  return `0x${id.toString(16).padStart(2, "0").toUpperCase()}`;
}

/**
 * Reads a Property Length and the properties after it into `target`
 * (section 2.2.2). Rejects an identifier that is unknown or not allowed here
 * (0x81), a property given twice that may not repeat (0x82), and a value out
 * of range (0x82). Writes only fields of `target` it created itself: a
 * repeated property's list is one it made on the first occurrence.
 */
export function decodeProperties(
  c: Cursor,
  context: Context,
  target: PropertyFields,
): void {
  const length = c.vbi("Property Length");
  if (length > c.end - c.pos) {
    c.fail(
      "Property Length",
      `announces ${length} bytes but the packet has ${c.end - c.pos} left`,
      ReasonCode.MalformedPacket,
      c.pos - vbiLength(length),
    );
  }
  const packetEnd = c.end;
  const end = c.pos + length;
  c.end = end;
  const table = byId.get(context)!;
  const values = target as Record<PropertyField, unknown>;
  // one bit per identifier seen: identifiers run up to 0x2A
  let seenLow = 0;
  let seenHigh = 0;
  while (c.pos < end) {
    const at = c.pos;
    const id = c.vbi("Property Identifier");
    const definition = id < table.length ? table[id] : undefined;
    if (definition === undefined) {
      c.fail(
        `Property Identifier ${hex(id)}`,
        PROPERTIES.some((d) => d.id === id)
          ? "is not allowed in this packet (section 2.2.2.2)"
          : "is unknown (section 2.2.2.2)",
        ReasonCode.MalformedPacket,
        at,
      );
    }
    const bit = 1 << (id & 31);
    const seen = ((id < 32 ? seenLow : seenHigh) & bit) !== 0;
    if (seen && !definition.repeats) {
      c.fail(
        definition.field,
        `(${hex(id)}) appears more than once (section ${definition.section})`,
        ReasonCode.ProtocolError,
        at,
      );
    }
    if (id < 32) seenLow |= bit;
    else seenHigh |= bit;
    const value = definition.data.read(c, definition, at);
    if (!definition.repeats) {
      values[definition.field] = value;
    } else if (seen) {
      (values[definition.field] as unknown[]).push(value);
    } else {
      values[definition.field] = [value];
    }
  }
  c.end = packetEnd;
}

/**
 * Checks one property value to encode (every item of a repeated one) and
 * returns the bytes it takes, identifiers included.
 */
export function propertySize(
  definition: PropertyDefinition,
  value: unknown,
  where: string,
): number {
  // every identifier is below 128: one byte each
  if (!definition.repeats) {
    return 1 + definition.data.size(value, definition, where);
  }
  if (!Array.isArray(value)) {
    throw encodeError(where, definition.field, "must be an array");
  }
  let length = 0;
  // an index loop: a hole in the list is refused by the check, not skipped
  for (let i = 0; i < value.length; i++) {
    length += 1 + definition.data.size(value[i], definition, where);
  }
  return length;
}

/** The index of the lowest bit set in `bits` (not 0). */
function lowestBit(bits: number): number {
  return 31 - Math.clz32(bits & -bits);
}

/**
 * Checks the values of the properties `present` names in `source` and
 * returns the bytes they take, identifiers included, without the Property
 * Length. Bit `i` of `present` stands for `list[i]`, a property `source`
 * has as its own; `list` is {@linkcode propertiesOf} a context.
 */
export function checkProperties(
  source: object,
  list: readonly PropertyDefinition[],
  present: number,
  where: string,
): number {
  const values = source as Record<string, unknown>;
  let size = 0;
  for (let rest = present; rest !== 0; rest &= rest - 1) {
    const definition = list[lowestBit(rest)];
    size += propertySize(definition, values[definition.field], where);
  }
  return size;
}

function writeValue(
  w: ByteWriter,
  definition: PropertyDefinition,
  value: unknown,
): void {
  w.u8(definition.id);
  definition.data.write(w, value);
}

/**
 * Writes the Property Length `length` and the properties `present` names in
 * `source` (as for {@linkcode checkProperties}, which checked and measured
 * them), in the order of their identifiers: the same bytes whatever the
 * order of the object's keys.
 */
export function writeProperties(
  w: ByteWriter,
  source: object,
  list: readonly PropertyDefinition[],
  present: number,
  length: number,
): void {
  w.vbi(length);
  const values = source as Record<string, unknown>;
  for (let rest = present; rest !== 0; rest &= rest - 1) {
    const definition = list[lowestBit(rest)];
    const value = values[definition.field];
    if (definition.repeats) {
      const items = value as unknown[];
      for (let j = 0; j < items.length; j++) {
        writeValue(w, definition, items[j]);
      }
    } else {
      writeValue(w, definition, value);
    }
  }
}

/** The bytes a Property Length and `size` bytes of properties take under `protocol`. */
export function propertiesSize(size: number, protocol: Protocol): number {
  return protocol.properties ? vbiLength(size) + size : 0;
}
