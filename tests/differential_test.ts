/**
 * Differential tests against npm:mqtt-packet, the codec behind MQTT.js and
 * aedes. Both directions: the bytes we encode parse with mqtt-packet to the
 * same meaning, and the bytes mqtt-packet generates decode with ours to the
 * same meaning — for random packets and for a fixed list.
 *
 * Where the two disagree the specification decides; each disagreement is a
 * test of its own below, named after the rule, asserting what each does.
 */

import fc from "fast-check";
import mqttPacket from "mqtt-packet";
import { Buffer } from "node:buffer";
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertThrows,
} from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { decode, encode, MqttError } from "../mod.ts";
import type {
  Packet,
  PacketType,
  ProtocolVersion,
  UserProperties,
} from "../mod.ts";
import { arbitraryOf, packetTypes } from "./arbitraries.ts";

const NUM_RUNS = 60;

// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

/** The fields of our packets that mqtt-packet keeps under `properties`. */
const PROPERTY_FIELDS = new Set([
  "payloadFormatIndicator",
  "messageExpiryInterval",
  "contentType",
  "responseTopic",
  "correlationData",
  "subscriptionIdentifiers",
  "subscriptionIdentifier",
  "sessionExpiryInterval",
  "assignedClientIdentifier",
  "serverKeepAlive",
  "authenticationMethod",
  "authenticationData",
  "requestProblemInformation",
  "willDelayInterval",
  "requestResponseInformation",
  "responseInformation",
  "serverReference",
  "reasonString",
  "receiveMaximum",
  "topicAliasMaximum",
  "topicAlias",
  "maximumQoS",
  "retainAvailable",
  "userProperties",
  "maximumPacketSize",
  "wildcardSubscriptionAvailable",
  "subscriptionIdentifiersAvailable",
  "sharedSubscriptionAvailable",
]);

// --- talking to mqtt-packet --------------------------------------------------

interface ParseResult {
  packets: Loose[];
  errors: Error[];
}

/** Feeds bytes to a fresh mqtt-packet parser and collects what it emits. */
function mqttPacketParse(
  bytes: Uint8Array,
  protocolVersion: ProtocolVersion,
): ParseResult {
  const parser = mqttPacket.parser({ protocolVersion });
  const result: ParseResult = { packets: [], errors: [] };
  parser.on("packet", (packet: Loose) => result.packets.push(packet));
  parser.on("error", (error: Error) => result.errors.push(error));
  parser.parse(Buffer.from(bytes));
  return result;
}

/** The one packet mqtt-packet parses from `bytes`; fails if it rejects them. */
function mqttPacketParseOne(
  bytes: Uint8Array,
  protocolVersion: ProtocolVersion,
): Loose {
  const { packets, errors } = mqttPacketParse(bytes, protocolVersion);
  assertEquals(errors.map((e) => e.message), [], "mqtt-packet rejected it");
  assertEquals(packets.length, 1);
  return packets[0];
}

function mqttPacketGenerate(
  object: Loose,
  protocolVersion: ProtocolVersion,
): Uint8Array {
  const generate = mqttPacket.generate as unknown as (
    packet: Loose,
    options: Loose,
  ) => Uint8Array;
  return new Uint8Array(generate(object, { protocolVersion }));
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes);
}

function toBytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value);
}

// --- converting between the two shapes ---------------------------------------

/** Our properties in mqtt-packet's shape: userProperties as an object, Buffers. */
function propertiesOf(source: Loose): Loose | undefined {
  const properties: Loose = {};
  for (const [field, value] of Object.entries(source)) {
    if (!PROPERTY_FIELDS.has(field)) continue;
    if (field === "userProperties") {
      const object: Loose = Object.create(null);
      for (const [name, text] of value as UserProperties) {
        const known = object[name];
        if (known === undefined) object[name] = text;
        else if (Array.isArray(known)) known.push(text);
        else object[name] = [known, text];
      }
      properties.userProperties = object;
    } else if (field === "subscriptionIdentifiers") {
      properties.subscriptionIdentifier = value;
    } else if (value instanceof Uint8Array) {
      properties[field] = toBuffer(value);
    } else {
      properties[field] = value;
    }
  }
  return Object.keys(properties).length > 0 ? properties : undefined;
}

/** mqtt-packet's properties as our flat fields. */
function fieldsOf(properties: Loose | undefined, type: PacketType): Loose {
  const fields: Loose = {};
  if (properties === undefined) return fields;
  for (const [name, value] of Object.entries(properties)) {
    if (name === "userProperties") {
      const pairs: UserProperties = [];
      for (const [key, text] of Object.entries(value as Loose)) {
        for (const item of Array.isArray(text) ? text : [text]) {
          pairs.push([key, item]);
        }
      }
      fields.userProperties = pairs;
    } else if (name === "subscriptionIdentifier" && type === "publish") {
      fields.subscriptionIdentifiers = Array.isArray(value) ? value : [value];
    } else if (value instanceof Uint8Array) {
      fields[name] = toBytes(value);
    } else {
      fields[name] = value;
    }
  }
  return fields;
}

/** Our packet as the object mqtt-packet's `generate` takes. */
function toMqttPacket(packet: Packet, version: ProtocolVersion): Loose {
  const p = packet as Loose;
  const out: Loose = { cmd: packet.type };
  const properties = propertiesOf(p);
  if (properties !== undefined) out.properties = properties;
  switch (packet.type) {
    case "connect": {
      out.protocolId = "MQTT";
      out.protocolVersion = packet.protocolVersion;
      out.clientId = packet.clientId;
      out.clean = packet.cleanStart;
      out.keepalive = packet.keepAlive;
      if (packet.username !== undefined) out.username = packet.username;
      if (packet.password !== undefined) {
        out.password = toBuffer(packet.password);
      }
      const will = packet.will;
      if (will !== undefined) {
        out.will = {
          topic: will.topic,
          payload: toBuffer(will.payload),
          qos: will.qos,
          retain: will.retain,
        };
        const willProperties = propertiesOf(will);
        if (willProperties !== undefined) {
          out.will.properties = willProperties;
        }
      }
      break;
    }
    case "connack":
      out.sessionPresent = packet.sessionPresent;
      if (version === 5) out.reasonCode = packet.reasonCode;
      else out.returnCode = packet.reasonCode;
      break;
    case "publish":
      out.topic = packet.topic;
      out.payload = toBuffer(packet.payload);
      out.qos = packet.qos;
      out.retain = packet.retain;
      out.dup = packet.dup;
      if (packet.packetId !== undefined) out.messageId = packet.packetId;
      break;
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
      out.messageId = packet.packetId;
      if (version === 5) out.reasonCode = packet.reasonCode ?? 0;
      break;
    case "subscribe":
      out.messageId = packet.packetId;
      out.subscriptions = packet.subscriptions.map((s) =>
        version === 5
          ? {
            topic: s.topicFilter,
            qos: s.qos,
            nl: s.noLocal,
            rap: s.retainAsPublished,
            rh: s.retainHandling,
          }
          : { topic: s.topicFilter, qos: s.qos }
      );
      break;
    case "suback":
    case "unsuback":
      out.messageId = packet.packetId;
      out.granted = packet.reasonCodes;
      break;
    case "unsubscribe":
      out.messageId = packet.packetId;
      out.unsubscriptions = packet.topicFilters;
      break;
    case "disconnect":
    case "auth":
      out.reasonCode = packet.reasonCode ?? 0;
      break;
  }
  return out;
}

/** A packet mqtt-packet parsed, as our packet object. */
function fromMqttPacket(object: Loose, version: ProtocolVersion): Packet {
  const type = object.cmd as PacketType;
  const properties = fieldsOf(object.properties, type);
  switch (type) {
    case "connect": {
      const packet: Loose = {
        type,
        protocolVersion: object.protocolVersion,
        clientId: object.clientId,
        cleanStart: object.clean,
        keepAlive: object.keepalive,
        ...properties,
      };
      if (object.username !== undefined) packet.username = object.username;
      if (object.password !== undefined) {
        packet.password = toBytes(object.password);
      }
      if (object.will !== undefined) {
        packet.will = {
          topic: object.will.topic,
          payload: toBytes(object.will.payload),
          qos: object.will.qos,
          retain: object.will.retain,
          ...fieldsOf(object.will.properties, "connect"),
        };
      }
      return packet as Packet;
    }
    case "connack":
      return {
        type,
        sessionPresent: object.sessionPresent,
        reasonCode: version === 5 ? object.reasonCode : object.returnCode,
        ...properties,
      };
    case "publish": {
      const packet: Loose = {
        type,
        topic: object.topic,
        payload: toBytes(object.payload),
        qos: object.qos,
        retain: object.retain,
        dup: object.dup,
        ...properties,
      };
      if (object.qos > 0) packet.packetId = object.messageId;
      return packet as Packet;
    }
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
      return version === 5
        ? {
          type,
          packetId: object.messageId,
          reasonCode: object.reasonCode,
          ...properties,
        }
        : { type, packetId: object.messageId };
    case "subscribe":
      return {
        type,
        packetId: object.messageId,
        subscriptions: object.subscriptions.map((s: Loose) =>
          version === 5
            ? {
              topicFilter: s.topic,
              qos: s.qos,
              noLocal: s.nl,
              retainAsPublished: s.rap,
              retainHandling: s.rh,
            }
            : { topicFilter: s.topic, qos: s.qos }
        ),
        ...properties,
      };
    case "suback":
      return {
        type,
        packetId: object.messageId,
        reasonCodes: object.granted,
        ...properties,
      };
    case "unsubscribe":
      return {
        type,
        packetId: object.messageId,
        topicFilters: object.unsubscriptions,
        ...properties,
      };
    case "unsuback":
      return {
        type,
        packetId: object.messageId,
        reasonCodes: version === 5 ? object.granted : [],
        ...properties,
      };
    case "pingreq":
    case "pingresp":
      return { type };
    case "disconnect":
      return version === 5
        ? { type, reasonCode: object.reasonCode, ...properties }
        : { type };
    case "auth":
      return { type, reasonCode: object.reasonCode, ...properties };
  }
}

/**
 * A packet's meaning, for comparison: User Properties grouped by name (the
 * values of one name in wire order), because mqtt-packet keeps them in an
 * object and cannot represent the order between different names; binary
 * fields as plain Uint8Arrays.
 */
function meaning(packet: Packet): Loose {
  const normalize = (value: unknown, key: string): unknown => {
    if (value instanceof Uint8Array) return new Uint8Array(value);
    if (key === "userProperties") {
      const groups = new Map<string, string[]>();
      for (const [name, text] of value as UserProperties) {
        groups.set(name, [...(groups.get(name) ?? []), text]);
      }
      return [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    }
    if (Array.isArray(value)) return value.map((item) => normalize(item, ""));
    if (typeof value === "object" && value !== null) {
      const out: Loose = {};
      for (const [k, v] of Object.entries(value)) out[k] = normalize(v, k);
      return out;
    }
    return value;
  };
  return normalize(packet, "") as Loose;
}

// --- where mqtt-packet cannot follow -----------------------------------------

/**
 * mqtt-packet's parser keeps a repeated User Property only when the value
 * before it is non-empty (see the named test below): give repeated names
 * non-empty values so random packets stay within what it can parse.
 */
function repeatedNamesNonEmpty(
  pairs: UserProperties | undefined,
): UserProperties | undefined {
  if (pairs === undefined) return undefined;
  const counts = new Map<string, number>();
  for (const [name] of pairs) counts.set(name, (counts.get(name) ?? 0) + 1);
  return pairs.map(([name, value]) => [
    name,
    value === "" && counts.get(name)! > 1 ? "-" : value,
  ]);
}

/** Restricts a random packet to what mqtt-packet can express. */
function withinMqttPacket(packet: Packet): Packet {
  const p = structuredClone(packet) as Loose;
  for (const holder of [p, p.will]) {
    if (holder?.userProperties !== undefined) {
      holder.userProperties = repeatedNamesNonEmpty(holder.userProperties);
    }
  }
  if (p.type === "connect" && p.protocolVersion === 5) {
    // mqtt-packet demands a user name with a password, and a client id
    // without Clean Start, even in MQTT 5.0 (named tests below)
    if (p.password !== undefined && p.username === undefined) p.username = "";
    if (p.clientId === "") p.cleanStart = true;
  }
  if (p.type === "disconnect" && p.reasonCode === 0x8c) {
    // mqtt-packet rejects Bad authentication method (named test below)
    p.reasonCode = 0x8b;
  }
  return p as Packet;
}

/** The AUTH short form, which mqtt-packet can neither parse nor generate. */
function isEmptyAuth(packet: Packet): boolean {
  return packet.type === "auth" && packet.authenticationMethod === undefined;
}

function bytesOf(...parts: (number | string)[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === "number") out.push(part);
    else out.push(...new TextEncoder().encode(part));
  }
  return new Uint8Array(out);
}

/** Asserts that our decode rejects `bytes` with `reasonCode`. */
function assertWeReject(
  bytes: Uint8Array,
  version: ProtocolVersion,
  reasonCode: number,
  rule: string,
): void {
  const error = assertThrows(
    () => decode(bytes, { protocolVersion: version }),
    MqttError,
  );
  assertEquals(error.reasonCode, reasonCode, error.message);
  assert(
    error.message.includes(rule),
    `expected ${rule} in: ${error.message}`,
  );
}

/** Asserts that mqtt-packet parses `bytes` to one packet without complaint. */
function assertMqttPacketAccepts(
  bytes: Uint8Array,
  version: ProtocolVersion,
): Loose {
  return mqttPacketParseOne(bytes, version);
}

// --- random packets ----------------------------------------------------------

for (const version of [5, 4] as const) {
  const label = version === 5 ? "MQTT 5.0" : "MQTT 3.1.1";
  describe(`differential against mqtt-packet, ${label}, random packets`, () => {
    for (const type of packetTypes(version)) {
      const packets = arbitraryOf(type, version)
        .filter((p) => !isEmptyAuth(p))
        .map(withinMqttPacket);

      it(`${type}: our bytes parse with mqtt-packet to the same meaning`, () => {
        fc.assert(
          fc.property(packets, (packet) => {
            const bytes = encode(packet, { protocolVersion: version });
            const parsed = mqttPacketParseOne(bytes, version);
            assertEquals(
              meaning(fromMqttPacket(parsed, version)),
              meaning(packet),
            );
          }),
          { numRuns: NUM_RUNS },
        );
      });

      it(`${type}: mqtt-packet's bytes decode with ours to the same meaning`, () => {
        fc.assert(
          fc.property(packets, (packet) => {
            const bytes = mqttPacketGenerate(
              toMqttPacket(packet, version),
              version,
            );
            assertEquals(
              meaning(decode(bytes, { protocolVersion: version })),
              meaning(packet),
            );
          }),
          { numRuns: NUM_RUNS },
        );
      });
    }
  });
}

// --- a fixed list ------------------------------------------------------------

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

const FIXED: [string, ProtocolVersion, Packet][] = [
  ["CONNECT, the least", 5, {
    type: "connect",
    protocolVersion: 5,
    clientId: "",
    cleanStart: true,
    keepAlive: 0,
  }],
  ["CONNECT, every field and property", 5, {
    type: "connect",
    protocolVersion: 5,
    clientId: "client-😀",
    cleanStart: false,
    keepAlive: 65_535,
    username: "user",
    password: text("secret"),
    will: {
      topic: "status/client",
      payload: text("gone"),
      qos: 2,
      retain: true,
      willDelayInterval: 0xffffffff,
      payloadFormatIndicator: true,
      messageExpiryInterval: 0,
      contentType: "text/plain",
      responseTopic: "replies/client",
      correlationData: new Uint8Array([0, 1, 2]),
      userProperties: [["w", "1"], ["w", "2"]],
    },
    sessionExpiryInterval: 0xffffffff,
    receiveMaximum: 1,
    maximumPacketSize: 0xffffffff,
    topicAliasMaximum: 0,
    requestResponseInformation: false,
    requestProblemInformation: true,
    userProperties: [["a", "1"], ["b", "2"], ["a", "3"]],
    authenticationMethod: "SCRAM-SHA-256",
    authenticationData: new Uint8Array(0),
  }],
  ["CONNECT with a Will and credentials", 4, {
    type: "connect",
    protocolVersion: 4,
    clientId: "c",
    cleanStart: false,
    keepAlive: 60,
    username: "",
    password: new Uint8Array(0),
    will: {
      topic: "$SYS/x",
      payload: new Uint8Array(0),
      qos: 1,
      retain: false,
    },
  }],
  ["CONNACK, every property", 5, {
    type: "connack",
    sessionPresent: true,
    reasonCode: 0,
    sessionExpiryInterval: 0,
    receiveMaximum: 65_535,
    maximumQoS: 0,
    retainAvailable: false,
    maximumPacketSize: 1,
    assignedClientIdentifier: "auto-1",
    topicAliasMaximum: 65_535,
    reasonString: "ok",
    userProperties: [["", ""]],
    wildcardSubscriptionAvailable: true,
    subscriptionIdentifiersAvailable: false,
    sharedSubscriptionAvailable: true,
    serverKeepAlive: 0,
    responseInformation: "resp/",
    serverReference: "other:1883",
    authenticationMethod: "m",
    authenticationData: text("d"),
  }],
  ["CONNACK, a failure", 5, {
    type: "connack",
    sessionPresent: false,
    reasonCode: 0x9f,
  }],
  ["CONNACK, return code 5", 4, {
    type: "connack",
    sessionPresent: false,
    reasonCode: 5,
  }],
  ["PUBLISH QoS 0, empty payload", 5, {
    type: "publish",
    topic: "a",
    payload: new Uint8Array(0),
    qos: 0,
    retain: false,
    dup: false,
  }],
  ["PUBLISH QoS 2, DUP, RETAIN, boundary properties", 5, {
    type: "publish",
    topic: "a/b/😀",
    payload: new Uint8Array(20_000).fill(7),
    qos: 2,
    retain: true,
    dup: true,
    packetId: 65_535,
    messageExpiryInterval: 0xffffffff,
    subscriptionIdentifiers: [1, 127, 128, 16_384, 268_435_455],
    topicAlias: 65_535,
  }],
  ["PUBLISH to a Topic Alias with an empty Topic Name", 5, {
    type: "publish",
    topic: "",
    payload: text("x"),
    qos: 1,
    retain: false,
    dup: false,
    packetId: 1,
    topicAlias: 1,
  }],
  ["PUBLISH QoS 1", 4, {
    type: "publish",
    topic: "\uFEFFbom/日本語",
    payload: text("hi"),
    qos: 1,
    retain: true,
    dup: true,
    packetId: 1,
  }],
  ["PUBACK, No matching subscribers, with a reason", 5, {
    type: "puback",
    packetId: 7,
    reasonCode: 0x10,
    reasonString: "nobody",
  }],
  ["PUBREC, Success", 5, { type: "pubrec", packetId: 1, reasonCode: 0 }],
  ["PUBREL, Packet Identifier not found", 5, {
    type: "pubrel",
    packetId: 65_535,
    reasonCode: 0x92,
  }],
  ["PUBCOMP, Success with User Properties", 5, {
    type: "pubcomp",
    packetId: 2,
    reasonCode: 0,
    userProperties: [["k", "v"]],
  }],
  ["PUBACK", 4, { type: "puback", packetId: 65_535 }],
  ["PUBREL", 4, { type: "pubrel", packetId: 3 }],
  ["SUBSCRIBE, every option", 5, {
    type: "subscribe",
    packetId: 9,
    subscriptions: [
      {
        topicFilter: "$share/group/sensors/+/t",
        qos: 2,
        noLocal: false,
        retainAsPublished: true,
        retainHandling: 2,
      },
      {
        topicFilter: "#",
        qos: 0,
        noLocal: true,
        retainAsPublished: false,
        retainHandling: 1,
      },
    ],
    subscriptionIdentifier: 268_435_455,
    userProperties: [["s", "1"]],
  }],
  ["SUBSCRIBE", 4, {
    type: "subscribe",
    packetId: 1,
    subscriptions: [{ topicFilter: "a/+/#", qos: 1 }, {
      topicFilter: "/",
      qos: 2,
    }],
  }],
  ["SUBACK, mixed codes", 5, {
    type: "suback",
    packetId: 9,
    reasonCodes: [0, 1, 2, 0x80, 0x9e, 0xa2],
    reasonString: "partly",
  }],
  ["SUBACK", 4, { type: "suback", packetId: 9, reasonCodes: [0, 1, 2, 0x80] }],
  ["UNSUBSCRIBE", 5, {
    type: "unsubscribe",
    packetId: 4,
    topicFilters: ["a/#", "$share/g/b"],
    userProperties: [["u", "1"]],
  }],
  ["UNSUBSCRIBE", 4, { type: "unsubscribe", packetId: 4, topicFilters: ["+"] }],
  ["UNSUBACK", 5, {
    type: "unsuback",
    packetId: 4,
    reasonCodes: [0, 0x11, 0x8f],
  }],
  ["UNSUBACK", 4, { type: "unsuback", packetId: 4, reasonCodes: [] }],
  ["PINGREQ", 5, { type: "pingreq" }],
  ["PINGRESP", 4, { type: "pingresp" }],
  ["DISCONNECT, Normal", 5, { type: "disconnect", reasonCode: 0 }],
  ["DISCONNECT with Will and properties", 5, {
    type: "disconnect",
    reasonCode: 0x04,
    sessionExpiryInterval: 0,
    reasonString: "bye",
    serverReference: "elsewhere",
    userProperties: [["d", "1"]],
  }],
  ["DISCONNECT", 4, { type: "disconnect" }],
  ["AUTH, Continue authentication", 5, {
    type: "auth",
    reasonCode: 0x18,
    authenticationMethod: "SCRAM-SHA-256",
    authenticationData: text("client-first"),
    reasonString: "step 1",
  }],
];

describe("differential against mqtt-packet, a fixed list", () => {
  for (const [name, version, packet] of FIXED) {
    const label = `${name} (MQTT ${version === 5 ? "5.0" : "3.1.1"})`;
    it(`${label}: both directions, same meaning`, () => {
      const ours = encode(packet, { protocolVersion: version });
      const parsed = mqttPacketParseOne(ours, version);
      assertEquals(meaning(fromMqttPacket(parsed, version)), meaning(packet));
      const theirs = mqttPacketGenerate(toMqttPacket(packet, version), version);
      assertEquals(
        meaning(decode(theirs, { protocolVersion: version })),
        meaning(packet),
      );
    });
  }
});

// --- disagreements: the specification decides --------------------------------

describe("where mqtt-packet and the specification disagree", () => {
  it("mqtt-packet accepts a wildcard in a PUBLISH Topic Name, the spec forbids it [MQTT-3.3.2-2]", () => {
    const bytes = bytesOf(0x30, 0x06, 0x00, 0x03, "a/+", 0x00);
    assertEquals(assertMqttPacketAccepts(bytes, 5).topic, "a/+");
    assertWeReject(bytes, 5, 0x81, "[MQTT-3.3.2-2]");
  });

  it("mqtt-packet accepts ill-formed UTF-8 (it substitutes U+FFFD), the spec forbids it [MQTT-1.5.3-1]", () => {
    const bytes = bytesOf(0x30, 0x04, 0x00, 0x02, 0xc3, 0x28);
    assertEquals(assertMqttPacketAccepts(bytes, 4).topic, "\uFFFD(");
    assertWeReject(bytes, 4, 0x81, "MQTT-1.5.3-1");
    assertWeReject(bytes, 5, 0x81, "MQTT-1.5.4-1");
  });

  it("mqtt-packet accepts an encoded surrogate (U+D800), the spec forbids it [MQTT-1.5.3-1]", () => {
    const bytes = bytesOf(0x30, 0x06, 0x00, 0x04, "a", 0xed, 0xa0, 0x80);
    assertMqttPacketAccepts(bytes, 4);
    assertWeReject(bytes, 4, 0x81, "MQTT-1.5.3-1");
  });

  it("mqtt-packet accepts U+0000 in a string, the spec forbids it [MQTT-1.5.3-2]", () => {
    const bytes = bytesOf(0x30, 0x05, 0x00, 0x03, "a", 0x00, "b");
    assertEquals(assertMqttPacketAccepts(bytes, 4).topic, "a\0b");
    assertWeReject(bytes, 4, 0x81, "MQTT-1.5.3-2");
  });

  it("mqtt-packet accepts Packet Identifier 0, the spec forbids it [MQTT-2.2.1-3] ([MQTT-2.3.1-1] in 3.1.1)", () => {
    // a PUBACK repeats the identifier of its PUBLISH, which cannot be 0
    const bytes = bytesOf(0x40, 0x02, 0x00, 0x00);
    assertEquals(assertMqttPacketAccepts(bytes, 5).messageId, 0);
    assertWeReject(bytes, 5, 0x82, "[MQTT-2.2.1-5]");
    assertEquals(assertMqttPacketAccepts(bytes, 4).messageId, 0);
    assertWeReject(bytes, 4, 0x82, "[MQTT-2.3.1-6]");
    const publish = bytesOf(0x32, 0x05, 0x00, 0x01, "a", 0x00, 0x00);
    assertWeReject(publish, 4, 0x82, "[MQTT-2.3.1-1]");
  });

  it("mqtt-packet accepts a Remaining Length not in the fewest bytes, the spec forbids it [MQTT-1.5.5-1]", () => {
    const bytes = bytesOf(0xc0, 0x80, 0x00);
    assertEquals(assertMqttPacketAccepts(bytes, 5).cmd, "pingreq");
    assertWeReject(bytes, 5, 0x81, "[MQTT-1.5.5-1]");
  });

  it("mqtt-packet accepts DUP on a QoS 0 PUBLISH, the spec forbids it [MQTT-3.3.1-2]", () => {
    const bytes = bytesOf(0x38, 0x04, 0x00, 0x01, "a", 0x00);
    assertEquals(assertMqttPacketAccepts(bytes, 5).dup, true);
    assertWeReject(bytes, 5, 0x81, "[MQTT-3.3.1-2]");
  });

  it("mqtt-packet accepts a repeated Content Type (it makes a list), the spec forbids it (section 3.3.2.3.9)", () => {
    const bytes = bytesOf(
      0x30,
      0x0c,
      0x00,
      0x01,
      "a",
      0x08, // Property Length
      0x03,
      0x00,
      0x01,
      "x",
      0x03,
      0x00,
      0x01,
      "y",
    );
    const parsed = assertMqttPacketAccepts(bytes, 5);
    assertEquals(parsed.properties.contentType, ["x", "y"]);
    assertWeReject(bytes, 5, 0x82, "appears more than once");
  });

  it("mqtt-packet accepts a property the packet may not carry (Topic Alias in a PUBACK), the spec forbids it (section 2.2.2.2)", () => {
    const bytes = bytesOf(0x40, 0x07, 0x00, 0x01, 0x00, 0x03, 0x23, 0x00, 0x05);
    assertEquals(assertMqttPacketAccepts(bytes, 5).properties.topicAlias, 5);
    assertWeReject(bytes, 5, 0x81, "is not allowed in this packet");
  });

  it("mqtt-packet reads Request Problem Information 2 as true, the spec forbids values other than 0 and 1 (section 3.1.2.11.7)", () => {
    const connect = encode({
      type: "connect",
      protocolVersion: 5,
      clientId: "c",
      cleanStart: true,
      keepAlive: 0,
      requestProblemInformation: true,
    });
    const bytes = connect.slice();
    const at = bytes.indexOf(0x17) + 1; // the value after identifier 0x17
    assertEquals(bytes[at], 1);
    bytes[at] = 2;
    const parsed = assertMqttPacketAccepts(bytes, 5);
    assertEquals(parsed.properties.requestProblemInformation, true);
    assertWeReject(bytes, 5, 0x82, "must be 0 or 1");
  });

  it("mqtt-packet accepts Receive Maximum 0, the spec forbids it (section 3.2.2.3.3)", () => {
    const bytes = bytesOf(0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x00);
    const parsed = assertMqttPacketAccepts(bytes, 5);
    assertEquals(parsed.properties.receiveMaximum, 0);
    assertWeReject(bytes, 5, 0x82, "must not be 0");
  });

  it("mqtt-packet accepts Topic Alias 0, the spec forbids it [MQTT-3.3.2-8]", () => {
    const bytes = bytesOf(0x30, 0x07, 0x00, 0x01, "a", 0x03, 0x23, 0x00, 0x00);
    assertEquals(assertMqttPacketAccepts(bytes, 5).properties.topicAlias, 0);
    assertWeReject(bytes, 5, 0x82, "must not be 0");
  });

  it("mqtt-packet accepts Subscription Identifier 0, the spec forbids it (section 3.3.2.3.8)", () => {
    const bytes = bytesOf(0x30, 0x06, 0x00, 0x01, "a", 0x02, 0x0b, 0x00);
    const parsed = assertMqttPacketAccepts(bytes, 5);
    assertEquals(parsed.properties.subscriptionIdentifier, 0);
    assertWeReject(bytes, 5, 0x82, "must not be 0");
  });

  it("mqtt-packet accepts Maximum QoS 2, the spec allows only 0 and 1 (section 3.2.2.3.4)", () => {
    const bytes = bytesOf(0x20, 0x05, 0x00, 0x00, 0x02, 0x24, 0x02);
    assertEquals(assertMqttPacketAccepts(bytes, 5).properties.maximumQoS, 2);
    assertWeReject(bytes, 5, 0x82, "must be 0 or 1");
  });

  it("mqtt-packet accepts a Will QoS of 3, the spec forbids it [MQTT-3.1.2-12]", () => {
    const bytes = encode({
      type: "connect",
      protocolVersion: 5,
      clientId: "c",
      cleanStart: true,
      keepAlive: 0,
      will: { topic: "w", payload: new Uint8Array(0), qos: 2, retain: false },
    });
    bytes[9] |= 0x18; // Connect Flags: Will QoS 3
    assertEquals(assertMqttPacketAccepts(bytes, 5).will.qos, 3);
    assertWeReject(bytes, 5, 0x81, "[MQTT-3.1.2-12]");
  });

  it("mqtt-packet accepts a wildcard in the Will Topic, the spec forbids it [MQTT-4.7.1-1]", () => {
    const bytes = encode({
      type: "connect",
      protocolVersion: 4,
      clientId: "c",
      cleanStart: true,
      keepAlive: 0,
      will: { topic: "w", payload: new Uint8Array(0), qos: 0, retain: false },
    });
    bytes[bytes.length - 3] = 0x23; // Will Topic "w" becomes "#"
    assertEquals(assertMqttPacketAccepts(bytes, 4).will.topic, "#");
    assertWeReject(bytes, 4, 0x81, "[MQTT-4.7.1-1]");
  });

  it("mqtt-packet accepts a wildcard in a Response Topic, the spec forbids it [MQTT-3.3.2-14]", () => {
    const publish: Packet = {
      type: "publish",
      topic: "requests",
      payload: new Uint8Array(0),
      qos: 0,
      retain: false,
      dup: false,
      responseTopic: "replies/+",
    };
    const bytes = mqttPacketGenerate(toMqttPacket(publish, 5), 5);
    const parsed = assertMqttPacketAccepts(bytes, 5);
    assertEquals(parsed.properties.responseTopic, "replies/+");
    assertWeReject(bytes, 5, 0x81, "[MQTT-3.3.2-14]");
    const error = assertThrows(() => encode(publish), MqttError);
    assert(error.message.includes("[MQTT-3.3.2-14]"), error.message);
    // the same in a Will, whose Response Topic is the Topic Name of the reply
    const connect: Packet = {
      type: "connect",
      protocolVersion: 5,
      clientId: "c",
      cleanStart: true,
      keepAlive: 0,
      will: {
        topic: "w",
        payload: new Uint8Array(0),
        qos: 0,
        retain: false,
        responseTopic: "r/#",
      },
    };
    const willBytes = mqttPacketGenerate(toMqttPacket(connect, 5), 5);
    const parsedWill = assertMqttPacketAccepts(willBytes, 5);
    assertEquals(parsedWill.will.properties.responseTopic, "r/#");
    assertWeReject(willBytes, 5, 0x81, "[MQTT-3.3.2-14]");
    assertThrows(() => encode(connect), MqttError, "[MQTT-3.3.2-14]");
  });

  it("mqtt-packet accepts a 3.1.1 Password without a User Name, the spec forbids it [MQTT-3.1.2-22]", () => {
    const bytes = bytesOf(
      0x10,
      0x11,
      0x00,
      0x04,
      "MQTT",
      0x04,
      0x42, // Password Flag, Clean Session
      0x00,
      0x00,
      0x00,
      0x01,
      "c",
      0x00,
      0x02,
      "pw",
    );
    assertEquals(assertMqttPacketAccepts(bytes, 4).password.length, 2);
    assertWeReject(bytes, 4, 0x81, "[MQTT-3.1.2-22]");
  });

  it("mqtt-packet refuses to generate an MQTT 5.0 Password without a User Name, the spec allows it (section 3.1.2.9)", () => {
    const packet: Packet = {
      type: "connect",
      protocolVersion: 5,
      clientId: "c",
      cleanStart: true,
      keepAlive: 0,
      password: text("token"),
    };
    assertThrows(
      () => mqttPacketGenerate(toMqttPacket(packet, 5), 5),
      Error,
      "Username is required to use password",
    );
    assertEquals(decode(encode(packet)), packet);
    // and mqtt-packet parses what it will not write
    const parsed = mqttPacketParseOne(encode(packet), 5);
    assertEquals(parsed.username, undefined);
    assertEquals(new Uint8Array(parsed.password), text("token"));
  });

  it("mqtt-packet refuses to generate an MQTT 5.0 empty Client Identifier without Clean Start, the spec allows it [MQTT-3.1.3-6]", () => {
    const packet: Packet = {
      type: "connect",
      protocolVersion: 5,
      clientId: "",
      cleanStart: false,
      keepAlive: 0,
    };
    assertThrows(
      () => mqttPacketGenerate(toMqttPacket(packet, 5), 5),
      Error,
      "clientId must be given",
    );
    assertEquals(decode(encode(packet)), packet);
  });

  it("mqtt-packet accepts a SUBSCRIBE without Topic Filters, the spec forbids it [MQTT-3.8.3-2] ([MQTT-3.8.3-3] in 3.1.1)", () => {
    const v4 = bytesOf(0x82, 0x02, 0x00, 0x01);
    assertEquals(assertMqttPacketAccepts(v4, 4).subscriptions, []);
    assertWeReject(v4, 4, 0x82, "[MQTT-3.8.3-3]");
    const v5 = bytesOf(0x82, 0x03, 0x00, 0x01, 0x00);
    assertEquals(assertMqttPacketAccepts(v5, 5).subscriptions, []);
    assertWeReject(v5, 5, 0x82, "[MQTT-3.8.3-2]");
  });

  it("mqtt-packet accepts an UNSUBSCRIBE without Topic Filters, the spec forbids it [MQTT-3.10.3-2]", () => {
    const bytes = bytesOf(0xa2, 0x02, 0x00, 0x01);
    assertEquals(assertMqttPacketAccepts(bytes, 4).unsubscriptions, []);
    assertWeReject(bytes, 4, 0x82, "[MQTT-3.10.3-2]");
  });

  it("mqtt-packet accepts a SUBACK or UNSUBACK without reason codes, the spec requires one per filter (sections 3.9.3, 3.11.3)", () => {
    const suback = bytesOf(0x90, 0x03, 0x00, 0x01, 0x00);
    assertEquals(assertMqttPacketAccepts(suback, 5).granted, []);
    assertWeReject(suback, 5, 0x82, "at least one reason code");
    const unsuback = bytesOf(0xb0, 0x03, 0x00, 0x01, 0x00);
    assertEquals(assertMqttPacketAccepts(unsuback, 5).granted, []);
    assertWeReject(unsuback, 5, 0x82, "at least one reason code");
  });

  it("mqtt-packet accepts a misplaced '#' in a Topic Filter, the spec forbids it [MQTT-4.7.1-1]", () => {
    const bytes = bytesOf(0x82, 0x09, 0x00, 0x01, 0x00, 0x00, 0x03, "ab#", 0);
    // 3.1.1 has no Property Length: the filter follows the Packet Identifier
    const v4 = bytesOf(0x82, 0x08, 0x00, 0x01, 0x00, 0x03, "ab#", 0x00);
    assertEquals(assertMqttPacketAccepts(v4, 4).subscriptions[0].topic, "ab#");
    assertWeReject(v4, 4, 0x81, "[MQTT-4.7.1-2]");
    assertEquals(
      assertMqttPacketAccepts(bytes, 5).subscriptions[0].topic,
      "ab#",
    );
    assertWeReject(bytes, 5, 0x81, "[MQTT-4.7.1-1]");
  });

  it("mqtt-packet accepts No Local on a Shared Subscription, the spec forbids it [MQTT-3.8.3-4]", () => {
    const filter = "$share/g/t";
    const bytes = bytesOf(
      0x82,
      6 + filter.length,
      0x00,
      0x01,
      0x00,
      0x00,
      filter.length,
      filter,
      0x04, // No Local
    );
    assertEquals(assertMqttPacketAccepts(bytes, 5).subscriptions[0].nl, true);
    assertWeReject(bytes, 5, 0x82, "[MQTT-3.8.3-4]");
  });

  it("mqtt-packet accepts Session Present with a failing CONNACK, the spec forbids it [MQTT-3.2.2-6] ([MQTT-3.2.2-4] in 3.1.1)", () => {
    const v5 = bytesOf(0x20, 0x03, 0x01, 0x80, 0x00);
    assertEquals(assertMqttPacketAccepts(v5, 5).sessionPresent, true);
    assertWeReject(v5, 5, 0x82, "[MQTT-3.2.2-6]");
    const v4 = bytesOf(0x20, 0x02, 0x01, 0x05);
    assertEquals(assertMqttPacketAccepts(v4, 4).sessionPresent, true);
    assertWeReject(v4, 4, 0x82, "[MQTT-3.2.2-4]");
  });

  it("mqtt-packet accepts any CONNACK code, the spec lists which are valid (sections 3.2.2.2 and, in 3.1.1, 3.2.2.3)", () => {
    const v5 = bytesOf(0x20, 0x03, 0x00, 0x04, 0x00); // 0x04 is a DISCONNECT code
    assertEquals(assertMqttPacketAccepts(v5, 5).reasonCode, 0x04);
    assertWeReject(v5, 5, 0x81, "is not valid in this packet");
    const v4 = bytesOf(0x20, 0x02, 0x00, 0x06); // 6-255 are reserved
    assertEquals(assertMqttPacketAccepts(v4, 4).returnCode, 6);
    assertWeReject(v4, 4, 0x81, "is not valid in this packet");
  });

  it("mqtt-packet accepts an empty Topic Name in MQTT 3.1.1, the spec forbids it [MQTT-4.7.3-1]", () => {
    const bytes = bytesOf(0x30, 0x02, 0x00, 0x00);
    assertEquals(assertMqttPacketAccepts(bytes, 4).topic, "");
    assertWeReject(bytes, 4, 0x81, "[MQTT-4.7.3-1]");
  });

  it("mqtt-packet accepts an MQTT 5.0 empty Topic Name without a Topic Alias, the spec forbids it (section 3.3.2.3.4)", () => {
    const bytes = bytesOf(0x30, 0x03, 0x00, 0x00, 0x00);
    assertEquals(assertMqttPacketAccepts(bytes, 5).topic, "");
    assertWeReject(bytes, 5, 0x82, "no Topic Alias");
  });

  it("mqtt-packet ignores bytes after the end of a 3.1.1 PUBACK or a PINGREQ, the spec gives them no room (sections 3.4.1, 3.12)", () => {
    const puback = bytesOf(0x40, 0x03, 0x00, 0x01, 0x00);
    assertEquals(assertMqttPacketAccepts(puback, 4).messageId, 1);
    assertWeReject(puback, 4, 0x81, "unexpected byte");
    const pingreq = bytesOf(0xc0, 0x01, 0x00);
    assertEquals(assertMqttPacketAccepts(pingreq, 4).cmd, "pingreq");
    assertWeReject(pingreq, 4, 0x81, "unexpected byte");
  });

  it("mqtt-packet accepts the bridge-mode levels, the spec requires level 3 with MQIsdp, 4 or 5 with MQTT [MQTT-3.1.2-2]", () => {
    const mqisdp = bytesOf(
      0x10,
      0x0f,
      0x00,
      0x06,
      "MQIsdp",
      0x03,
      0x02,
      0x00,
      0x00,
      0x00,
      0x01,
      "c",
    );
    // MQTT 3.1 itself both read alike
    assertEquals(assertMqttPacketAccepts(mqisdp, 4).protocolVersion, 3);
    assertEquals(decode(mqisdp), {
      type: "connect",
      protocolVersion: 3,
      clientId: "c",
      cleanStart: true,
      keepAlive: 0,
    });
    const bridge = encode({
      type: "connect",
      protocolVersion: 4,
      clientId: "c",
      cleanStart: true,
      keepAlive: 0,
    });
    bridge[8] = 0x84; // level 4 with mqtt-packet's bridge bit
    assertEquals(assertMqttPacketAccepts(bridge, 4).bridgeMode, true);
    assertWeReject(bridge, 4, 0x84, "[MQTT-3.1.2-2]");
  });

  it("mqtt-packet drops a repeated User Property after an empty value, the spec keeps every pair (section 3.3.2.3.7)", () => {
    const packet: Packet = {
      type: "puback",
      packetId: 1,
      reasonCode: 0,
      userProperties: [["a", ""], ["a", "x"]],
    };
    const bytes = encode(packet);
    const parsed = mqttPacketParseOne(bytes, 5);
    assertEquals({ ...parsed.properties.userProperties }, { a: "x" });
    assertEquals(decode(bytes), packet);
  });

  it("mqtt-packet rejects a DISCONNECT with Bad authentication method (0x8C), the spec allows it (section 3.14.2.1)", () => {
    const bytes = bytesOf(0xe0, 0x01, 0x8c);
    const { packets, errors } = mqttPacketParse(bytes, 5);
    assertEquals(packets, []);
    assertEquals(errors.map((e) => e.message), [
      "Invalid disconnect reason code",
    ]);
    assertEquals(decode(bytes), { type: "disconnect", reasonCode: 0x8c });
  });

  it("mqtt-packet rejects the AUTH short form (Remaining Length 0), the spec allows it (section 3.15.2.1)", () => {
    const bytes = bytesOf(0xf0, 0x00);
    const { packets, errors } = mqttPacketParse(bytes, 5);
    assertEquals(packets, []);
    assertEquals(errors.map((e) => e.message), ["Invalid auth reason code"]);
    assertEquals(decode(bytes), { type: "auth", reasonCode: 0 });
    assertEquals(encode({ type: "auth", reasonCode: 0 }), bytes);
  });

  it("mqtt-packet generates an AUTH without an Authentication Method, the spec forbids it (section 3.15.2.2.2)", () => {
    const bytes = mqttPacketGenerate({ cmd: "auth", reasonCode: 0x18 }, 5);
    assertEquals(bytes, bytesOf(0xf0, 0x02, 0x18, 0x00));
    assertWeReject(bytes, 5, 0x82, "Authentication Method is missing");
    const error = assertThrows(
      () => encode({ type: "auth", reasonCode: 0x18 }),
      MqttError,
    );
    assertInstanceOf(error, MqttError);
    assertEquals(error.reasonCode, 0x82);
  });
});
