/**
 * MQTT 5.0 properties (section 2.2.2): the table of all 27 identifiers with
 * their data types and the packets that may carry them, and their decoding
 * and encoding.
 *
 * @module
 */

import type { Cursor } from "./primitives/cursor.ts";
import {
  binaryLength,
  type ByteWriter,
  checkBoolean,
  checkInteger,
  encodeError,
  MAX_VARIABLE_BYTE_INTEGER,
  stringLength,
  vbiLength,
} from "./primitives/writer.ts";
import { utf8Length } from "./primitives/utf8.ts";

const MALFORMED = 0x81;
const PROTOCOL_ERROR = 0x82;
const RESPONSE_TOPIC = 0x08;
const WILDCARD_PROBLEM =
  "contains a wildcard character, but is used as a Topic Name [MQTT-3.3.2-14]";

/** A Response Topic is the Topic Name of the reply: '+' and '#' have no place in it. */
function hasWildcard(topic: string): boolean {
  return topic.includes("+") || topic.includes("#");
}

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

/** The data types of section 1.5, as properties use them. */
type PropertyType =
  | "flag" // a Byte of 0 or 1, as a boolean
  | "qos" // a Byte of 0 or 1, as a number (Maximum QoS)
  | "u16"
  | "u32"
  | "vbi"
  | "utf8"
  | "binary"
  | "pair";

/** One row of the property table of section 2.2.2.2. */
export interface PropertyDefinition {
  /** The Property Identifier. */
  readonly id: number;
  /** The packet field holding the value. */
  readonly field: string;
  /** The property's data type. */
  readonly type: PropertyType;
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

const C = Context;
const ALL_WITH_PROPERTIES = C.Connect | C.Connack | C.Publish | C.PublishAck |
  C.Subscribe | C.Suback | C.Unsubscribe | C.Unsuback | C.Disconnect |
  C.Auth | C.Will;

function row(
  id: number,
  field: string,
  type: PropertyType,
  contexts: number,
  section: string,
  extra: { repeats?: boolean; nonZero?: boolean } = {},
): PropertyDefinition {
  return {
    id,
    field,
    type,
    contexts,
    section,
    rule: `(section ${section})`,
    repeats: extra.repeats ?? false,
    nonZero: extra.nonZero ?? false,
  };
}

/** The property table of section 2.2.2.2, one row per identifier and field. */
export const PROPERTIES: readonly PropertyDefinition[] = [
  row(0x01, "payloadFormatIndicator", "flag", C.Publish | C.Will, "3.3.2.3.2"),
  row(0x02, "messageExpiryInterval", "u32", C.Publish | C.Will, "3.3.2.3.3"),
  row(0x03, "contentType", "utf8", C.Publish | C.Will, "3.3.2.3.9"),
  row(0x08, "responseTopic", "utf8", C.Publish | C.Will, "3.3.2.3.5"),
  row(0x09, "correlationData", "binary", C.Publish | C.Will, "3.3.2.3.6"),
  row(0x0b, "subscriptionIdentifiers", "vbi", C.Publish, "3.3.2.3.8", {
    repeats: true,
    nonZero: true,
  }),
  row(0x0b, "subscriptionIdentifier", "vbi", C.Subscribe, "3.8.2.1.2", {
    nonZero: true,
  }),
  row(
    0x11,
    "sessionExpiryInterval",
    "u32",
    C.Connect | C.Connack | C.Disconnect,
    "3.1.2.11.2",
  ),
  row(0x12, "assignedClientIdentifier", "utf8", C.Connack, "3.2.2.3.7"),
  row(0x13, "serverKeepAlive", "u16", C.Connack, "3.2.2.3.14"),
  row(
    0x15,
    "authenticationMethod",
    "utf8",
    C.Connect | C.Connack | C.Auth,
    "3.1.2.11.9",
  ),
  row(
    0x16,
    "authenticationData",
    "binary",
    C.Connect | C.Connack | C.Auth,
    "3.1.2.11.10",
  ),
  row(0x17, "requestProblemInformation", "flag", C.Connect, "3.1.2.11.7"),
  row(0x18, "willDelayInterval", "u32", C.Will, "3.1.3.2.2"),
  row(0x19, "requestResponseInformation", "flag", C.Connect, "3.1.2.11.6"),
  row(0x1a, "responseInformation", "utf8", C.Connack, "3.2.2.3.15"),
  row(0x1c, "serverReference", "utf8", C.Connack | C.Disconnect, "3.2.2.3.16"),
  row(
    0x1f,
    "reasonString",
    "utf8",
    C.Connack | C.PublishAck | C.Suback | C.Unsuback | C.Disconnect | C.Auth,
    "3.2.2.3.9",
  ),
  row(0x21, "receiveMaximum", "u16", C.Connect | C.Connack, "3.1.2.11.3", {
    nonZero: true,
  }),
  row(0x22, "topicAliasMaximum", "u16", C.Connect | C.Connack, "3.1.2.11.5"),
  row(0x23, "topicAlias", "u16", C.Publish, "3.3.2.3.4 [MQTT-3.3.2-8]", {
    nonZero: true,
  }),
  row(0x24, "maximumQoS", "qos", C.Connack, "3.2.2.3.4"),
  row(0x25, "retainAvailable", "flag", C.Connack, "3.2.2.3.5"),
  row(0x26, "userProperties", "pair", ALL_WITH_PROPERTIES, "3.1.2.11.8", {
    repeats: true,
  }),
  row(0x27, "maximumPacketSize", "u32", C.Connect | C.Connack, "3.1.2.11.4", {
    nonZero: true,
  }),
  row(
    0x28,
    "wildcardSubscriptionAvailable",
    "flag",
    C.Connack,
    "3.2.2.3.11",
  ),
  row(
    0x29,
    "subscriptionIdentifiersAvailable",
    "flag",
    C.Connack,
    "3.2.2.3.12",
  ),
  row(
    0x2a,
    "sharedSubscriptionAvailable",
    "flag",
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

/** Every property definition by its packet field name. */
const byField: Record<string, PropertyDefinition | undefined> = Object
  .create(null);
for (const definition of PROPERTIES) byField[definition.field] = definition;

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
 * of range (0x82).
 */
export function decodeProperties(
  c: Cursor,
  context: Context,
  target: Record<string, unknown>,
): void {
  const length = c.vbi("Property Length");
  if (length > c.end - c.pos) {
    c.fail(
      "Property Length",
      `announces ${length} bytes but the packet has ${c.end - c.pos} left`,
      MALFORMED,
      c.pos - vbiLength(length),
    );
  }
  const packetEnd = c.end;
  const end = c.pos + length;
  c.end = end;
  const table = byId.get(context)!;
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
        MALFORMED,
        at,
      );
    }
    const field = definition.field;
    if (!definition.repeats) {
      const bit = 1 << (id & 31);
      const seen = id < 32 ? seenLow : seenHigh;
      if (seen & bit) {
        c.fail(
          field,
          `(${hex(id)}) appears more than once (section ${definition.section})`,
          PROTOCOL_ERROR,
          at,
        );
      }
      if (id < 32) seenLow |= bit;
      else seenHigh |= bit;
    }
    switch (definition.type) {
      case "flag": {
        const value = c.u8(field);
        if (value > 1) {
          c.fail(
            field,
            `must be 0 or 1, got ${value} (section ${definition.section})`,
            PROTOCOL_ERROR,
            at,
          );
        }
        target[field] = value === 1;
        break;
      }
      case "qos": {
        const value = c.u8(field);
        if (value > 1) {
          c.fail(
            field,
            `must be 0 or 1, got ${value} (section ${definition.section})`,
            PROTOCOL_ERROR,
            at,
          );
        }
        target[field] = value;
        break;
      }
      case "u16":
      case "u32":
      case "vbi": {
        const value = definition.type === "u16"
          ? c.u16(field)
          : definition.type === "u32"
          ? c.u32(field)
          : c.vbi(field);
        if (value === 0 && definition.nonZero) {
          c.fail(
            field,
            `must not be 0 (section ${definition.section})`,
            PROTOCOL_ERROR,
            at,
          );
        }
        if (definition.repeats) {
          const list = target[field] as number[] | undefined;
          if (list === undefined) target[field] = [value];
          else list.push(value);
        } else {
          target[field] = value;
        }
        break;
      }
      case "utf8": {
        const value = c.utf8(field);
        if (id === RESPONSE_TOPIC && hasWildcard(value)) {
          c.fail(field, WILDCARD_PROBLEM, MALFORMED, at);
        }
        target[field] = value;
        break;
      }
      case "binary":
        target[field] = c.binary(field);
        break;
      case "pair": {
        const pair: [string, string] = [c.utf8(field), c.utf8(field)];
        const list = target[field] as [string, string][] | undefined;
        if (list === undefined) target[field] = [pair];
        else list.push(pair);
        break;
      }
    }
  }
  c.end = packetEnd;
}

function checkValue(
  definition: PropertyDefinition,
  value: unknown,
  where: string,
): number {
  const field = definition.field;
  const rule = definition.rule;
  switch (definition.type) {
    case "flag":
      checkBoolean(value, where, field);
      return 1;
    case "qos":
      checkInteger(value, 0, 1, where, field, rule, PROTOCOL_ERROR);
      return 1;
    case "u16":
      checkInteger(
        value,
        definition.nonZero ? 1 : 0,
        0xffff,
        where,
        field,
        rule,
        PROTOCOL_ERROR,
      );
      return 2;
    case "u32":
      checkInteger(
        value,
        definition.nonZero ? 1 : 0,
        0xffffffff,
        where,
        field,
        rule,
        PROTOCOL_ERROR,
      );
      return 4;
    case "vbi":
      return vbiLength(
        checkInteger(
          value,
          1,
          MAX_VARIABLE_BYTE_INTEGER,
          where,
          field,
          rule,
          PROTOCOL_ERROR,
        ),
      );
    case "utf8": {
      const length = stringLength(value, where, field);
      if (definition.id === RESPONSE_TOPIC && hasWildcard(value as string)) {
        throw encodeError(where, field, WILDCARD_PROBLEM);
      }
      return 2 + length;
    }
    case "binary":
      return 2 + binaryLength(value, where, field);
    case "pair": {
      if (
        !Array.isArray(value) || value.length !== 2 ||
        typeof value[0] !== "string" || typeof value[1] !== "string"
      ) {
        throw encodeError(
          where,
          field,
          "must be a list of [name, value] string pairs",
        );
      }
      return 4 + stringLength(value[0], where, "userProperties name") +
        stringLength(value[1], where, "userProperties value");
    }
  }
}

/**
 * Checks the properties of `source` that `context` allows and returns the
 * bytes they take, without the Property Length in front.
 */
export function propertiesLength(
  source: object,
  context: Context,
  where: string,
): number {
  const values = source as Record<string, unknown>;
  let length = 0;
  // The packet's own keys, not the property table, drive the loop: a packet
  // carries few properties, and a property this packet cannot carry must be
  // refused rather than left out.
  for (const field in values) {
    const definition = byField[field];
    if (definition === undefined) continue;
    const value = values[field];
    if (value === undefined) continue;
    if (!(definition.contexts & context)) notAllowed(definition, where);
    // every identifier is below 128: one byte each
    if (definition.repeats) {
      if (!Array.isArray(value)) {
        throw encodeError(where, field, "must be an array");
      }
      for (const item of value) {
        length += 1 + checkValue(definition, item, where);
      }
    } else {
      length += 1 + checkValue(definition, value, where);
    }
  }
  return length;
}

function notAllowed(definition: PropertyDefinition, where: string): never {
  throw encodeError(
    where,
    definition.field,
    `(${
      hex(definition.id)
    }) is not a property this packet may carry (section 2.2.2.2)`,
    MALFORMED,
  );
}

/**
 * Throws when `source` carries a property of `context`: used for MQTT 3.1.1,
 * which has no properties, so that none is dropped silently.
 */
export function assertNoProperties(source: object, where: string): void {
  const values = source as Record<string, unknown>;
  for (const field in values) {
    if (byField[field] === undefined) continue;
    const value = values[field];
    if (
      value !== undefined && !(Array.isArray(value) && value.length === 0)
    ) {
      throw encodeError(
        where,
        field,
        "is an MQTT 5.0 property, which MQTT 3.1.1 cannot carry",
        PROTOCOL_ERROR,
      );
    }
  }
}

function writeValue(
  w: ByteWriter,
  definition: PropertyDefinition,
  value: unknown,
): void {
  w.u8(definition.id);
  switch (definition.type) {
    case "flag":
      w.u8(value ? 1 : 0);
      break;
    case "qos":
      w.u8(value as number);
      break;
    case "u16":
      w.u16(value as number);
      break;
    case "u32":
      w.u32(value as number);
      break;
    case "vbi":
      w.vbi(value as number);
      break;
    case "utf8":
      w.utf8(value as string, utf8Length(value as string));
      break;
    case "binary":
      w.binary(value as Uint8Array);
      break;
    case "pair": {
      const [name, text] = value as [string, string];
      w.utf8(name, utf8Length(name));
      w.utf8(text, utf8Length(text));
      break;
    }
  }
}

/**
 * Writes the Property Length and the properties of `source`, checked and
 * measured before by {@linkcode propertiesLength}.
 */
export function writeProperties(
  w: ByteWriter,
  source: object,
  length: number,
): void {
  w.vbi(length);
  if (length === 0) return;
  const values = source as Record<string, unknown>;
  for (const field in values) {
    const definition = byField[field];
    if (definition === undefined) continue;
    const value = values[field];
    if (value === undefined) continue;
    if (definition.repeats) {
      for (const item of value as unknown[]) writeValue(w, definition, item);
    } else {
      writeValue(w, definition, value);
    }
  }
}
