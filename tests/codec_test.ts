/**
 * The table of spec rules: one row per rule, named by its conformance id
 * (or section), each a malformed or invalid input that `decode` must reject
 * with `MqttError` and the right reason code; and the matching table of
 * invalid packet objects that `encode` must reject (encode is as strict as
 * decode, and never throws anything but `MqttError`).
 *
 * Conformance ids are those of the version the row is for: MQTT 3.1.1
 * numbers its rules differently from 5.0.
 */

import { assert, assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { decode, encode, MqttError, packetSize } from "../mod.ts";
import { checkVersionOption } from "../src/codec.ts";
import type { Packet, ProtocolVersion } from "../mod.ts";

const VERSION_NAMES = { 3: "3.1", 4: "3.1.1", 5: "5.0" } as const;
const MALFORMED = 0x81;
const PROTOCOL_ERROR = 0x82;
const UNSUPPORTED_PROTOCOL_VERSION = 0x84;
const CLIENT_IDENTIFIER_NOT_VALID = 0x85;
const PACKET_TOO_LARGE = 0x95;

// ---------------------------------------------------------------------------
// Builders for the malformed inputs (the well-formed ones are hand-derived
// vectors in tests/packets/).

/** A packet: its first byte, a one-byte Remaining Length, then `body`. */
function p(first: number, ...body: number[]): number[] {
  if (body.length > 127) throw new Error("body too long for this helper");
  return [first, body.length, ...body];
}

/** A UTF-8 Encoded String: two length bytes, then the UTF-8 bytes. */
function s(text: string): number[] {
  const bytes = new TextEncoder().encode(text);
  return [bytes.length >> 8, bytes.length & 0xff, ...bytes];
}

/** A UTF-8 Encoded String field holding `raw` bytes as they are. */
function raw(...bytes: number[]): number[] {
  return [0x00, bytes.length, ...bytes];
}

const MQTT = [0x00, 0x04, 0x4d, 0x51, 0x54, 0x54]; // Protocol Name "MQTT"

/** A CONNECT: Protocol Name "MQTT", the level, the flags, Keep Alive 60, then `rest`. */
function connect(level: number, flags: number, ...rest: number[]): number[] {
  return p(0x10, ...MQTT, level, flags, 0x00, 0x3c, ...rest);
}

/** An MQTT 5.0 CONNECT with Clean Start, these properties and Client Identifier "c". */
function connectProps(...props: number[]): number[] {
  return connect(5, 0x02, props.length, ...props, ...s("c"));
}

/** An MQTT 5.0 CONNACK (Success) with these properties. */
function connackProps(...props: number[]): number[] {
  return p(0x20, 0x00, 0x00, props.length, ...props);
}

/** An MQTT 5.0 PUBLISH, QoS 0, Topic Name "t", with these properties. */
function publishProps(...props: number[]): number[] {
  return p(0x30, ...s("t"), props.length, ...props);
}

/** An MQTT 5.0 SUBSCRIBE of "#" with these properties. */
function subscribeProps(...props: number[]): number[] {
  return p(0x82, 0x00, 0x01, props.length, ...props, ...s("#"), 0x00);
}

/** A SUBSCRIBE with one filter and options byte. */
function subscribe(
  version: ProtocolVersion,
  filter: number[],
  options: number,
): number[] {
  return version === 5
    ? p(0x82, 0x00, 0x01, 0x00, ...filter, options)
    : p(0x82, 0x00, 0x01, ...filter, options);
}

/** An UNSUBSCRIBE with one filter. */
function unsubscribe(version: ProtocolVersion, filter: number[]): number[] {
  return version === 5
    ? p(0xa2, 0x00, 0x01, 0x00, ...filter)
    : p(0xa2, 0x00, 0x01, ...filter);
}

/** A PUBLISH, QoS 0, with a Topic Name of raw bytes. */
function publishTopic(version: ProtocolVersion, topic: number[]): number[] {
  return version === 5 ? p(0x30, ...topic, 0x00) : p(0x30, ...topic);
}

// ---------------------------------------------------------------------------
// The decode table

interface DecodeRule {
  /** The conformance id or section of the rule. */
  rule: string;
  /** What is wrong. */
  what: string;
  version: ProtocolVersion;
  bytes: number[];
  reasonCode: number;
  /** Words the message must hold: the packet, the field. */
  says: string[];
  /** The byte offset the message must name, when it matters. */
  at?: number;
  maximumPacketSize?: number;
}

const decodeRules: DecodeRule[] = [];

function rule(
  version: ProtocolVersion | "both",
  row: Omit<DecodeRule, "version" | "bytes"> & {
    bytes: number[] | ((version: ProtocolVersion) => number[]);
  },
): void {
  for (const v of version === "both" ? [5, 4] as const : [version]) {
    decodeRules.push({
      ...row,
      version: v,
      bytes: typeof row.bytes === "function" ? row.bytes(v) : row.bytes,
    });
  }
}

/** The id of a rule as `version` numbers it. */
function id(version: ProtocolVersion, v5: string, v4: string): string {
  return version === 5 ? v5 : v4;
}

// --- Fixed header (section 2.1) ---

/** Per type: a well-formed body in 5.0 and in 3.1.1, the right flags, and the rule for them. */
const FLAG_CASES: {
  name: string;
  type: number;
  flags: number;
  body5: number[];
  body4: number[];
  rule?: string;
}[] = [
  {
    name: "CONNECT",
    type: 1,
    flags: 0,
    body5: connect(5, 2, 0, ...s("c")).slice(2),
    body4: connect(4, 2, ...s("c")).slice(2),
  },
  { name: "CONNACK", type: 2, flags: 0, body5: [0, 0, 0], body4: [0, 0] },
  { name: "PUBACK", type: 4, flags: 0, body5: [0, 1], body4: [0, 1] },
  { name: "PUBREC", type: 5, flags: 0, body5: [0, 1], body4: [0, 1] },
  {
    name: "PUBREL",
    type: 6,
    flags: 2,
    body5: [0, 1],
    body4: [0, 1],
    rule: "MQTT-3.6.1-1",
  },
  { name: "PUBCOMP", type: 7, flags: 0, body5: [0, 1], body4: [0, 1] },
  {
    name: "SUBSCRIBE",
    type: 8,
    flags: 2,
    body5: [0, 1, 0, ...s("#"), 0],
    body4: [0, 1, ...s("#"), 0],
    rule: "MQTT-3.8.1-1",
  },
  { name: "SUBACK", type: 9, flags: 0, body5: [0, 1, 0, 0], body4: [0, 1, 0] },
  {
    name: "UNSUBSCRIBE",
    type: 10,
    flags: 2,
    body5: [0, 1, 0, ...s("#")],
    body4: [0, 1, ...s("#")],
    rule: "MQTT-3.10.1-1",
  },
  { name: "UNSUBACK", type: 11, flags: 0, body5: [0, 1, 0, 0], body4: [0, 1] },
  { name: "PINGREQ", type: 12, flags: 0, body5: [], body4: [] },
  { name: "PINGRESP", type: 13, flags: 0, body5: [], body4: [] },
  { name: "DISCONNECT", type: 14, flags: 0, body5: [], body4: [] },
  { name: "AUTH", type: 15, flags: 0, body5: [], body4: [] },
];

for (const c of FLAG_CASES) {
  for (const version of [5, 4] as const) {
    if (c.type === 15 && version === 4) continue;
    const body = version === 5 ? c.body5 : c.body4;
    const wrong = [c.flags ^ 0x01, c.flags ^ 0x08];
    for (const flags of wrong) {
      rule(version, {
        rule: c.rule ?? id(version, "MQTT-2.1.3-1", "MQTT-2.2.2-1"),
        what: `${c.name} with fixed header flags ${
          flags.toString(2).padStart(4, "0")
        }`,
        bytes: p((c.type << 4) | flags, ...body),
        reasonCode: MALFORMED,
        says: [c.name, "flags"],
        at: 0,
      });
    }
  }
}

rule("both", {
  rule: "section 2.1.2",
  what: "packet type 0 is reserved",
  bytes: [0x00, 0x00],
  reasonCode: MALFORMED,
  says: ["type 0", "reserved"],
  at: 0,
});
rule(4, {
  rule: "section 2.2.1",
  what: "AUTH (type 15) is reserved in 3.1.1",
  bytes: [0xf0, 0x00],
  reasonCode: MALFORMED,
  says: ["AUTH", "3.1.1"],
  at: 0,
});

// --- Remaining Length (section 2.1.4, a Variable Byte Integer, section 1.5.5) ---

rule("both", {
  rule: "MQTT-1.5.5-1",
  what: "a Remaining Length with a 5th byte",
  bytes: [0x30, 0xff, 0xff, 0xff, 0xff, 0x7f],
  reasonCode: MALFORMED,
  says: ["PUBLISH", "Remaining Length", "more than 4 bytes"],
  at: 1,
});
rule("both", {
  rule: "MQTT-1.5.5-1",
  what: "a Remaining Length not in the minimum number of bytes (0x80 0x00)",
  bytes: [0xc0, 0x80, 0x00],
  reasonCode: MALFORMED,
  says: ["PINGREQ", "Remaining Length", "minimum"],
  at: 1,
});
rule("both", {
  rule: "MQTT-1.5.5-1",
  what:
    "a Remaining Length not in the minimum number of bytes (0x85 0x80 0x00)",
  bytes: [0x30, 0x85, 0x80, 0x00, ...new Array(5).fill(0)],
  reasonCode: MALFORMED,
  says: ["PUBLISH", "Remaining Length", "minimum"],
  at: 1,
});
rule("both", {
  rule: "section 2.1.4",
  what: "no bytes at all",
  bytes: [],
  reasonCode: MALFORMED,
  says: ["cut off"],
  at: 0,
});
rule("both", {
  rule: "section 2.1.4",
  what: "a fixed header without its Remaining Length",
  bytes: [0x30],
  reasonCode: MALFORMED,
  says: ["PUBLISH", "cut off"],
  at: 1,
});
rule("both", {
  rule: "section 2.1.4",
  what: "a Remaining Length cut off after a continuation byte",
  bytes: [0x30, 0x80],
  reasonCode: MALFORMED,
  says: ["PUBLISH", "cut off"],
  at: 2,
});
rule("both", {
  rule: "section 2.1.4",
  what: "a body shorter than the Remaining Length",
  bytes: [0x30, 0x05, 0x00, 0x03, 0x61],
  reasonCode: MALFORMED,
  says: ["PUBLISH", "cut off"],
  at: 5,
});
rule("both", {
  rule: "section 2.1.4",
  what: "bytes after the end of the packet",
  bytes: [0xc0, 0x00, 0xc0],
  reasonCode: MALFORMED,
  says: ["PINGREQ", "follow"],
  at: 2,
});
rule("both", {
  rule: "section 2.1.4",
  what: "a field that runs past the Remaining Length",
  bytes: [0x30, 0x03, 0x00, 0x05, 0x61],
  reasonCode: MALFORMED,
  says: ["PUBLISH", "Topic Name"],
  at: 4,
});
rule("both", {
  rule: "section 3.1.2.11.4",
  what: "a packet larger than maximumPacketSize",
  bytes: [0xc0, 0x00],
  maximumPacketSize: 1,
  reasonCode: PACKET_TOO_LARGE,
  says: ["PINGREQ", "maximum packet size"],
});
rule("both", {
  rule: "section 3.1.2.11.4",
  what:
    "a packet too large, judged from its fixed header before the body is there",
  bytes: [0x30, 0xff, 0xff, 0x7f, 0x00],
  maximumPacketSize: 1000,
  reasonCode: PACKET_TOO_LARGE,
  says: ["PUBLISH", "2097155"],
});

// --- PUBLISH (section 3.3) ---

rule("both", {
  rule: "MQTT-3.3.1-4",
  what: "PUBLISH with QoS 3",
  bytes: (v) => p(0x36, ...s("a"), 0x00, 0x01, ...(v === 5 ? [0x00] : [])),
  reasonCode: MALFORMED,
  says: ["PUBLISH", "QoS"],
  at: 0,
});
rule("both", {
  rule: "MQTT-3.3.1-2",
  what: "PUBLISH with DUP 1 and QoS 0",
  bytes: (v) => publishTopic(v, s("a")).with(0, 0x38),
  reasonCode: MALFORMED,
  says: ["PUBLISH", "DUP"],
  at: 0,
});
rule("both", {
  rule: "MQTT-2.2.1-3 / MQTT-2.3.1-1",
  what: "PUBLISH QoS 1 with Packet Identifier 0",
  bytes: (v) => p(0x32, ...s("a"), 0x00, 0x00, ...(v === 5 ? [0x00] : [])),
  reasonCode: PROTOCOL_ERROR,
  says: ["PUBLISH", "Packet Identifier"],
  at: 5,
});
for (const topic of ["a/+", "#", "a/b#", "+"]) {
  rule("both", {
    rule: "MQTT-3.3.2-2",
    what: `a wildcard in the Topic Name "${topic}"`,
    bytes: (v) => publishTopic(v, s(topic)),
    reasonCode: MALFORMED,
    says: ["PUBLISH", "Topic Name", "wildcard"],
    at: 2,
  });
}
rule(5, {
  rule: "section 3.3.2.1",
  what: "an empty Topic Name without a Topic Alias",
  bytes: p(0x30, 0x00, 0x00, 0x00),
  reasonCode: PROTOCOL_ERROR,
  says: ["PUBLISH", "Topic Name", "Topic Alias"],
  at: 2,
});
rule(4, {
  rule: "MQTT-4.7.3-1",
  what: "an empty Topic Name",
  bytes: p(0x30, 0x00, 0x00),
  reasonCode: MALFORMED,
  says: ["PUBLISH", "Topic Name", "empty"],
  at: 2,
});
rule(5, {
  rule: "MQTT-3.3.2-14",
  what: "a wildcard in the Response Topic",
  bytes: publishProps(0x08, ...s("r/+")),
  reasonCode: MALFORMED,
  says: ["PUBLISH", "responseTopic", "wildcard"],
  at: 6,
});

// --- CONNECT (section 3.1) ---

rule("both", {
  rule: "MQTT-3.1.2-1",
  what: 'the Protocol Name "MQIsd" (no version has it)',
  bytes: p(
    0x10,
    ...s("MQIsd"),
    0x03,
    0x02,
    0x00,
    0x3c,
    ...s("c"),
  ),
  reasonCode: UNSUPPORTED_PROTOCOL_VERSION,
  says: ["CONNECT", "Protocol Name"],
  at: 2,
});
for (const level of [4, 5]) {
  rule("both", {
    rule: "MQTT-3.1.2-2",
    what: `the Protocol Name "MQIsdp" of MQTT 3.1 with Protocol Level ${level}`,
    bytes: p(0x10, ...s("MQIsdp"), level, 0x02, 0x00, 0x3c, ...s("c")),
    reasonCode: UNSUPPORTED_PROTOCOL_VERSION,
    says: ["CONNECT", "Protocol Level", "MQIsdp"],
    at: 10,
  });
}
for (const level of [0, 3, 6]) {
  rule("both", {
    rule: "MQTT-3.1.2-2",
    what: `Protocol Level ${level}`,
    bytes: connect(level, 0x02, 0x00, ...s("c")),
    reasonCode: UNSUPPORTED_PROTOCOL_VERSION,
    says: ["CONNECT", "Protocol Level"],
    at: 8,
  });
}
rule("both", {
  rule: "MQTT-3.1.2-3",
  what: "the reserved Connect Flag set",
  bytes: (v) => connect(v, 0x03, ...(v === 5 ? [0x00] : []), ...s("c")),
  reasonCode: MALFORMED,
  says: ["CONNECT", "Connect Flags", "reserved"],
  at: 9,
});
for (const version of [5, 4] as const) {
  const props = version === 5 ? [0x00] : [];
  rule(version, {
    rule: id(version, "MQTT-3.1.2-11", "MQTT-3.1.2-13"),
    what: "Will QoS 1 without the Will Flag",
    bytes: connect(version, 0x0a, ...props, ...s("c")),
    reasonCode: MALFORMED,
    says: ["CONNECT", "Will QoS"],
    at: 9,
  });
  rule(version, {
    rule: id(version, "MQTT-3.1.2-12", "MQTT-3.1.2-14"),
    what: "Will QoS 3",
    bytes: connect(
      version,
      0x1e,
      ...props,
      ...s("c"),
      ...props,
      ...s("w"),
      0x00,
      0x00,
    ),
    reasonCode: MALFORMED,
    says: ["CONNECT", "Will QoS"],
    at: 9,
  });
  rule(version, {
    rule: id(version, "MQTT-3.1.2-13", "MQTT-3.1.2-15"),
    what: "Will Retain without the Will Flag",
    bytes: connect(version, 0x22, ...props, ...s("c")),
    reasonCode: MALFORMED,
    says: ["CONNECT", "Will Retain"],
    at: 9,
  });
  rule(version, {
    rule: id(version, "MQTT-4.7.0-1", "MQTT-4.7.1-1"),
    what: "a wildcard in the Will Topic",
    bytes: connect(
      version,
      0x06,
      ...props,
      ...s("c"),
      ...props,
      ...s("w/#"),
      0x00,
      0x00,
    ),
    reasonCode: MALFORMED,
    says: ["CONNECT", "Will Topic"],
  });
  rule(version, {
    rule: id(version, "MQTT-4.7.3-1", "MQTT-4.7.3-1"),
    what: "an empty Will Topic",
    bytes: connect(
      version,
      0x06,
      ...props,
      ...s("c"),
      ...props,
      0x00,
      0x00,
      0x00,
      0x00,
    ),
    reasonCode: MALFORMED,
    says: ["CONNECT", "Will Topic"],
  });
}
rule(4, {
  rule: "MQTT-3.1.2-22",
  what: "a Password without a User Name in 3.1.1",
  bytes: connect(4, 0x42, ...s("c"), 0x00, 0x01, 0x70),
  reasonCode: MALFORMED,
  says: ["CONNECT", "Password"],
  at: 9,
});
rule(4, {
  rule: "MQTT-3.1.3-7",
  what: "an empty Client Identifier with Clean Session 0 in 3.1.1",
  bytes: connect(4, 0x00, 0x00, 0x00),
  reasonCode: CLIENT_IDENTIFIER_NOT_VALID,
  says: ["CONNECT", "Client Identifier"],
  at: 12,
});
rule(5, {
  rule: "section 3.1.2.11.10",
  what: "Authentication Data without an Authentication Method in CONNECT",
  bytes: connectProps(0x16, 0x00, 0x01, 0xaa),
  reasonCode: PROTOCOL_ERROR,
  says: ["CONNECT", "Authentication Data"],
});
rule("both", {
  rule: "section 3.1.3",
  what: "a User Name Flag without a User Name",
  bytes: (v) => connect(v, 0x82, ...(v === 5 ? [0x00] : []), ...s("c")),
  reasonCode: MALFORMED,
  says: ["CONNECT", "User Name"],
});

// --- UTF-8 Encoded Strings (MQTT 5.0 section 1.5.4, MQTT 3.1.1 section 1.5.3) ---

const ILL_FORMED: [string, number[]][] = [
  ["a byte 0xFF", [0x61, 0xff]],
  ["a lone continuation byte", [0x80]],
  ["a 2-byte sequence cut off at the end", [0x61, 0xc3]],
  ["a 3-byte sequence cut off", [0xe2, 0x82, 0x61]],
  ["an encoded high surrogate U+D800", [0xed, 0xa0, 0x80]],
  ["an encoded low surrogate U+DFFF", [0xed, 0xbf, 0xbf]],
  ["an encoded surrogate pair (CESU-8)", [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]],
  ["an overlong '/' (C0 AF)", [0xc0, 0xaf]],
  ["an overlong 2-byte form (C1 BF)", [0xc1, 0xbf]],
  ["an overlong 3-byte form (E0 80 AF)", [0xe0, 0x80, 0xaf]],
  ["an overlong 3-byte U+07FF (E0 9F BF)", [0xe0, 0x9f, 0xbf]],
  ["an overlong 4-byte form (F0 80 80 AF)", [0xf0, 0x80, 0x80, 0xaf]],
  ["a code point above U+10FFFF (F4 90 80 80)", [0xf4, 0x90, 0x80, 0x80]],
  ["a lead byte F5", [0xf5, 0x80, 0x80, 0x80]],
];
for (const [what, bytes] of ILL_FORMED) {
  rule("both", {
    rule: "MQTT-1.5.4-1 / MQTT-1.5.3-1",
    what: `a Topic Name with ${what}`,
    bytes: (v) => publishTopic(v, raw(...bytes)),
    reasonCode: MALFORMED,
    says: ["PUBLISH", "Topic Name", "UTF-8"],
    at: 2,
  });
}
rule("both", {
  rule: "MQTT-1.5.4-2 / MQTT-1.5.3-2",
  what: "a Topic Name with U+0000",
  bytes: (v) => publishTopic(v, raw(0x61, 0x00, 0x62)),
  reasonCode: MALFORMED,
  says: ["PUBLISH", "Topic Name", "U+0000"],
  at: 2,
});
rule("both", {
  rule: "MQTT-1.5.4-2 / MQTT-1.5.3-2",
  what: "a long (40-byte) Topic Name with U+0000 at its end",
  bytes: (v) => publishTopic(v, raw(...new Array(39).fill(0x61), 0x00)),
  reasonCode: MALFORMED,
  says: ["PUBLISH", "Topic Name", "U+0000"],
  at: 2,
});
rule(5, {
  rule: "MQTT-1.5.4-1",
  what: "a Client Identifier with an encoded surrogate",
  bytes: connect(5, 0x02, 0x00, ...raw(0xed, 0xa0, 0x80)),
  reasonCode: MALFORMED,
  says: ["CONNECT", "Client Identifier"],
  at: 13,
});
rule(4, {
  rule: "MQTT-1.5.3-1",
  what: "a Client Identifier with an encoded surrogate",
  bytes: connect(4, 0x02, ...raw(0xed, 0xa0, 0x80)),
  reasonCode: MALFORMED,
  says: ["CONNECT", "Client Identifier"],
  at: 12,
});
rule(5, {
  rule: "MQTT-1.5.4-1",
  what: "a User Property name that is not UTF-8",
  bytes: publishProps(0x26, ...raw(0xff), ...s("v")),
  reasonCode: MALFORMED,
  says: ["PUBLISH", "userProperties"],
  at: 7,
});
rule(5, {
  rule: "MQTT-1.5.4-2",
  what: "a User Property value with U+0000",
  bytes: publishProps(0x26, ...s("k"), ...raw(0x00)),
  reasonCode: MALFORMED,
  says: ["PUBLISH", "userProperties"],
  at: 10,
});

// --- Properties (section 2.2.2) ---

rule(5, {
  rule: "section 2.2.2.2",
  what: "an unknown Property Identifier 0x04",
  bytes: publishProps(0x04, 0x00),
  reasonCode: MALFORMED,
  says: ["PUBLISH", "Property Identifier 0x04", "unknown"],
  at: 6,
});
rule(5, {
  rule: "section 2.2.2.2",
  what: "an unknown Property Identifier 0x00",
  bytes: publishProps(0x00),
  reasonCode: MALFORMED,
  says: ["PUBLISH", "Property Identifier 0x00"],
  at: 6,
});
rule(5, {
  rule: "section 2.2.2.2",
  what: "an unknown Property Identifier 0x2B",
  bytes: connackProps(0x2b, 0x00),
  reasonCode: MALFORMED,
  says: ["CONNACK", "Property Identifier 0x2B"],
  at: 5,
});
rule(5, {
  rule: "section 2.2.2.2",
  what: "an unknown two-byte Property Identifier 128",
  bytes: publishProps(0x80, 0x01, 0x00),
  reasonCode: MALFORMED,
  says: ["PUBLISH", "Property Identifier 0x80"],
  at: 6,
});
const NOT_ALLOWED: [string, number[], string, string][] = [
  [
    "Session Expiry Interval (0x11) in PUBLISH",
    publishProps(0x11, 0, 0, 0, 0),
    "PUBLISH",
    "0x11",
  ],
  [
    "Will Delay Interval (0x18) in CONNECT's own properties",
    connectProps(0x18, 0, 0, 0, 0),
    "CONNECT",
    "0x18",
  ],
  [
    "Topic Alias (0x23) in CONNACK",
    connackProps(0x23, 0x00, 0x01),
    "CONNACK",
    "0x23",
  ],
  [
    "Subscription Identifier (0x0B) in UNSUBSCRIBE",
    p(0xa2, 0x00, 0x01, 0x02, 0x0b, 0x01, ...s("#")),
    "UNSUBSCRIBE",
    "0x0B",
  ],
  [
    "Reason String (0x1F) in SUBSCRIBE",
    subscribeProps(0x1f, ...s("x")),
    "SUBSCRIBE",
    "0x1F",
  ],
  [
    "Session Expiry Interval (0x11) in PUBACK",
    p(0x40, 0x00, 0x01, 0x00, 0x05, 0x11, 0, 0, 0, 0),
    "PUBACK",
    "0x11",
  ],
  [
    "Server Reference (0x1C) in AUTH",
    p(0xf0, 0x18, 0x07, 0x15, ...s("M"), 0x1c, ...s("")),
    "AUTH",
    "0x1C",
  ],
  [
    "Maximum QoS (0x24) in CONNECT",
    connectProps(0x24, 0x01),
    "CONNECT",
    "0x24",
  ],
];
for (const [what, bytes, packet, hex] of NOT_ALLOWED) {
  rule(5, {
    rule: "section 2.2.2.2",
    what,
    bytes,
    reasonCode: MALFORMED,
    says: [packet, `Property Identifier ${hex}`, "not allowed"],
  });
}
rule(5, {
  rule: "section 2.2.2.2",
  what:
    "Will Delay Interval in the Will Properties is allowed, Session Expiry Interval is not",
  bytes: connect(
    5,
    0x06,
    0x00,
    ...s("c"),
    0x05,
    0x11,
    0,
    0,
    0,
    0,
    ...s("w"),
    0,
    0,
  ),
  reasonCode: MALFORMED,
  says: ["CONNECT", "Property Identifier 0x11", "not allowed"],
});
const REPEATED: [string, number[], string, string][] = [
  [
    "Payload Format Indicator twice in PUBLISH",
    publishProps(0x01, 0x00, 0x01, 0x01),
    "PUBLISH",
    "payloadFormatIndicator",
  ],
  [
    "Topic Alias twice in PUBLISH",
    publishProps(0x23, 0x00, 0x01, 0x23, 0x00, 0x01),
    "PUBLISH",
    "topicAlias",
  ],
  [
    "Subscription Identifier twice in SUBSCRIBE (only PUBLISH may repeat it)",
    subscribeProps(0x0b, 0x01, 0x0b, 0x02),
    "SUBSCRIBE",
    "subscriptionIdentifier",
  ],
  [
    "Reason String twice in CONNACK",
    connackProps(0x1f, ...s("a"), 0x1f, ...s("b")),
    "CONNACK",
    "reasonString",
  ],
  [
    "Authentication Method twice in AUTH",
    p(0xf0, 0x18, 0x08, 0x15, ...s("M"), 0x15, ...s("N")),
    "AUTH",
    "authenticationMethod",
  ],
  [
    "Will Delay Interval twice in the Will Properties",
    connect(
      5,
      0x06,
      0x00,
      ...s("c"),
      0x0a,
      0x18,
      0,
      0,
      0,
      1,
      0x18,
      0,
      0,
      0,
      2,
      ...s("w"),
      0,
      0,
    ),
    "CONNECT",
    "willDelayInterval",
  ],
];
for (const [what, bytes, packet, field] of REPEATED) {
  rule(5, {
    rule: "section 2.2.2.2",
    what,
    bytes,
    reasonCode: PROTOCOL_ERROR,
    says: [packet, field, "more than once"],
  });
}
const OUT_OF_RANGE: [string, string, number[], string, string][] = [
  [
    "section 3.1.2.11.3",
    "Receive Maximum 0 in CONNECT",
    connectProps(0x21, 0x00, 0x00),
    "CONNECT",
    "receiveMaximum",
  ],
  [
    "section 3.2.2.3.3",
    "Receive Maximum 0 in CONNACK",
    connackProps(0x21, 0x00, 0x00),
    "CONNACK",
    "receiveMaximum",
  ],
  [
    "section 3.1.2.11.4",
    "Maximum Packet Size 0 in CONNECT",
    connectProps(0x27, 0, 0, 0, 0),
    "CONNECT",
    "maximumPacketSize",
  ],
  [
    "section 3.2.2.3.6",
    "Maximum Packet Size 0 in CONNACK",
    connackProps(0x27, 0, 0, 0, 0),
    "CONNACK",
    "maximumPacketSize",
  ],
  [
    "section 3.3.2.3.4 [MQTT-3.3.2-8]",
    "Topic Alias 0",
    publishProps(0x23, 0x00, 0x00),
    "PUBLISH",
    "topicAlias",
  ],
  [
    "section 3.8.2.1.2",
    "Subscription Identifier 0 in SUBSCRIBE",
    subscribeProps(0x0b, 0x00),
    "SUBSCRIBE",
    "subscriptionIdentifier",
  ],
  [
    "section 3.3.2.3.8",
    "Subscription Identifier 0 in PUBLISH",
    publishProps(0x0b, 0x00),
    "PUBLISH",
    "subscriptionIdentifiers",
  ],
  [
    "section 3.2.2.3.4",
    "Maximum QoS 2",
    connackProps(0x24, 0x02),
    "CONNACK",
    "maximumQoS",
  ],
  [
    "section 3.2.2.3.5",
    "Retain Available 2",
    connackProps(0x25, 0x02),
    "CONNACK",
    "retainAvailable",
  ],
  [
    "section 3.2.2.3.11",
    "Wildcard Subscription Available 2",
    connackProps(0x28, 0x02),
    "CONNACK",
    "wildcardSubscriptionAvailable",
  ],
  [
    "section 3.2.2.3.12",
    "Subscription Identifiers Available 2",
    connackProps(0x29, 0x02),
    "CONNACK",
    "subscriptionIdentifiersAvailable",
  ],
  [
    "section 3.2.2.3.13",
    "Shared Subscription Available 255",
    connackProps(0x2a, 0xff),
    "CONNACK",
    "sharedSubscriptionAvailable",
  ],
  [
    "section 3.1.2.11.7",
    "Request Problem Information 2",
    connectProps(0x17, 0x02),
    "CONNECT",
    "requestProblemInformation",
  ],
  [
    "section 3.1.2.11.6",
    "Request Response Information 2",
    connectProps(0x19, 0x02),
    "CONNECT",
    "requestResponseInformation",
  ],
  [
    "section 3.3.2.3.2",
    "Payload Format Indicator 2",
    publishProps(0x01, 0x02),
    "PUBLISH",
    "payloadFormatIndicator",
  ],
];
for (const [section, what, bytes, packet, field] of OUT_OF_RANGE) {
  rule(5, {
    rule: section,
    what,
    bytes,
    reasonCode: PROTOCOL_ERROR,
    says: [packet, field],
  });
}
rule(5, {
  rule: "section 3.15.2.2.2",
  what: "AUTH with Authentication Data and no Authentication Method",
  bytes: p(0xf0, 0x18, 0x04, 0x16, 0x00, 0x01, 0xaa),
  reasonCode: PROTOCOL_ERROR,
  says: ["AUTH", "Authentication Method"],
});
rule(5, {
  rule: "section 2.2.2.1",
  what: "a Property Length longer than the rest of the packet",
  bytes: p(0x30, ...s("t"), 0x05, 0x01),
  reasonCode: MALFORMED,
  says: ["PUBLISH", "Property Length"],
  at: 5,
});
rule(5, {
  rule: "section 2.2.2.1",
  what: "a property value that runs past the Property Length",
  bytes: p(0x30, ...s("t"), 0x02, 0x02, 0x00, 0x00, 0x00, 0x00),
  reasonCode: MALFORMED,
  says: ["PUBLISH", "messageExpiryInterval"],
});
rule(5, {
  rule: "MQTT-1.5.5-1",
  what: "a Property Length not in the minimum number of bytes",
  bytes: p(0x30, ...s("t"), 0x80, 0x00),
  reasonCode: MALFORMED,
  says: ["PUBLISH", "Property Length", "minimum"],
  at: 5,
});
rule(5, {
  rule: "section 1.5.5",
  what: "a Subscription Identifier of 5 bytes",
  bytes: publishProps(0x0b, 0xff, 0xff, 0xff, 0xff, 0x01),
  reasonCode: MALFORMED,
  says: ["PUBLISH", "subscriptionIdentifiers"],
});
rule(5, {
  rule: "section 2.2.2.1",
  what: "a PUBLISH without its Property Length",
  bytes: p(0x30, ...s("t")),
  reasonCode: MALFORMED,
  says: ["PUBLISH", "Property Length"],
  at: 5,
});

// --- SUBSCRIBE and UNSUBSCRIBE (sections 3.8, 3.10) ---

rule("both", {
  rule: "MQTT-3.8.3-2 / MQTT-3.8.3-3",
  what: "SUBSCRIBE without a Topic Filter",
  bytes: (v) => p(0x82, 0x00, 0x01, ...(v === 5 ? [0x00] : [])),
  reasonCode: PROTOCOL_ERROR,
  says: ["SUBSCRIBE", "Topic Filter"],
});
rule("both", {
  rule: "MQTT-3.10.3-2",
  what: "UNSUBSCRIBE without a Topic Filter",
  bytes: (v) => p(0xa2, 0x00, 0x01, ...(v === 5 ? [0x00] : [])),
  reasonCode: PROTOCOL_ERROR,
  says: ["UNSUBSCRIBE", "Topic Filter"],
});
const BAD_FILTERS: [string, string, string][] = [
  ["a/#/b", "MQTT-4.7.1-1", "MQTT-4.7.1-2"],
  ["a#", "MQTT-4.7.1-1", "MQTT-4.7.1-2"],
  ["#/", "MQTT-4.7.1-1", "MQTT-4.7.1-2"],
  ["a+", "MQTT-4.7.1-2", "MQTT-4.7.1-3"],
  ["+a/b", "MQTT-4.7.1-2", "MQTT-4.7.1-3"],
  ["a/++", "MQTT-4.7.1-2", "MQTT-4.7.1-3"],
  ["", "MQTT-4.7.3-1", "MQTT-4.7.3-1"],
];
for (const [filter, id5, id4] of BAD_FILTERS) {
  for (const version of [5, 4] as const) {
    rule(version, {
      rule: id(version, id5, id4),
      what: `SUBSCRIBE to "${filter}"`,
      bytes: subscribe(version, s(filter), 0x00),
      reasonCode: MALFORMED,
      says: ["SUBSCRIBE", "Topic Filter"],
      at: version === 5 ? 5 : 4,
    });
    rule(version, {
      rule: id(version, id5, id4),
      what: `UNSUBSCRIBE from "${filter}"`,
      bytes: unsubscribe(version, s(filter)),
      reasonCode: MALFORMED,
      says: ["UNSUBSCRIBE", "Topic Filter"],
      at: version === 5 ? 5 : 4,
    });
  }
}
for (const options of [0x40, 0x80, 0xc0]) {
  rule(5, {
    rule: "MQTT-3.8.3-5",
    what: `reserved Subscription Options bits (0x${options.toString(16)})`,
    bytes: subscribe(5, s("#"), options),
    reasonCode: MALFORMED,
    says: ["SUBSCRIBE", "Subscription Options", "reserved"],
    at: 8,
  });
}
for (const options of [0x03, 0x04, 0x10, 0x80]) {
  rule(4, {
    rule: "MQTT-3-8.3-4",
    what: `a requested QoS byte of 0x${
      options.toString(16).padStart(2, "0")
    } in 3.1.1`,
    bytes: subscribe(4, s("#"), options),
    reasonCode: MALFORMED,
    says: ["SUBSCRIBE", "QoS"],
    at: 7,
  });
}
rule(5, {
  rule: "section 3.8.3.1",
  what: "Subscription Options with QoS 3",
  bytes: subscribe(5, s("#"), 0x03),
  reasonCode: PROTOCOL_ERROR,
  says: ["SUBSCRIBE", "Subscription Options", "QoS"],
  at: 8,
});
rule(5, {
  rule: "section 3.8.3.1",
  what: "Retain Handling 3",
  bytes: subscribe(5, s("#"), 0x30),
  reasonCode: PROTOCOL_ERROR,
  says: ["SUBSCRIBE", "Subscription Options", "Retain Handling"],
  at: 8,
});
rule(5, {
  rule: "MQTT-3.8.3-4",
  what: "No Local on a Shared Subscription",
  bytes: subscribe(5, s("$share/g/x"), 0x04),
  reasonCode: PROTOCOL_ERROR,
  says: ["SUBSCRIBE", "No Local"],
  at: 17,
});
rule("both", {
  rule: "section 3.8.3",
  what: "a Topic Filter without its Subscription Options",
  bytes: (v) => p(0x82, 0x00, 0x01, ...(v === 5 ? [0x00] : []), ...s("#")),
  reasonCode: MALFORMED,
  says: ["SUBSCRIBE", "Subscription Options"],
});
for (
  const [filter, id] of [
    ["$share//x", "MQTT-4.8.2-1"],
    ["$share/g", "MQTT-4.8.2-2"],
    ["$share/g/", "MQTT-4.8.2-2"],
    ["$share/g+/x", "MQTT-4.8.2-2"],
    ["$share/#/x", "MQTT-4.8.2-2"],
    ["$share/g/a#", "MQTT-4.7.1-1"],
  ]
) {
  rule(5, {
    rule: id,
    what: `SUBSCRIBE to the invalid shared filter "${filter}"`,
    bytes: subscribe(5, s(filter), 0x00),
    reasonCode: MALFORMED,
    says: ["SUBSCRIBE", "Topic Filter"],
    at: 5,
  });
  rule(5, {
    rule: id,
    what: `UNSUBSCRIBE from the invalid shared filter "${filter}"`,
    bytes: unsubscribe(5, s(filter)),
    reasonCode: MALFORMED,
    says: ["UNSUBSCRIBE", "Topic Filter"],
    at: 5,
  });
}

// --- Reason codes valid for the packet type ---

const BAD_CODES: [
  string,
  ProtocolVersion,
  string,
  (code: number) => number[],
  number[],
][] = [
  ["MQTT-3.2.2-8", 5, "CONNACK", (c) => p(0x20, 0x00, c, 0x00), [
    0x01,
    0x05,
    0x8b,
    0x10,
  ]],
  ["section 3.2.2.3", 4, "CONNACK", (c) => p(0x20, 0x00, c), [
    0x06,
    0x80,
    0x87,
  ]],
  ["MQTT-3.4.2-1", 5, "PUBACK", (c) => p(0x40, 0x00, 0x01, c), [
    0x01,
    0x92,
    0x81,
  ]],
  ["MQTT-3.5.2-1", 5, "PUBREC", (c) => p(0x50, 0x00, 0x01, c), [0x92, 0x04]],
  ["MQTT-3.6.2-1", 5, "PUBREL", (c) => p(0x62, 0x00, 0x01, c), [
    0x10,
    0x80,
    0x91,
  ]],
  ["MQTT-3.7.2-1", 5, "PUBCOMP", (c) => p(0x70, 0x00, 0x01, c), [0x10, 0x80]],
  ["MQTT-3.9.3-2", 5, "SUBACK", (c) => p(0x90, 0x00, 0x01, 0x00, c), [
    0x03,
    0x11,
    0x81,
  ]],
  ["MQTT-3.9.3-2", 4, "SUBACK", (c) => p(0x90, 0x00, 0x01, c), [
    0x03,
    0x83,
    0x87,
    0xa2,
  ]],
  ["MQTT-3.11.3-2", 5, "UNSUBACK", (c) => p(0xb0, 0x00, 0x01, 0x00, c), [
    0x01,
    0x10,
    0x92,
  ]],
  ["MQTT-3.14.2-1", 5, "DISCONNECT", (c) => p(0xe0, c), [
    0x01,
    0x18,
    0x84,
    0x91,
  ]],
  ["MQTT-3.15.2-1", 5, "AUTH", (c) => p(0xf0, c, 0x04, 0x15, ...s("M")), [
    0x01,
    0x04,
    0x87,
  ]],
];
for (const [id, version, packet, bytes, codes] of BAD_CODES) {
  for (const code of codes) {
    rule(version, {
      rule: id,
      what: `${packet} with code 0x${code.toString(16).padStart(2, "0")}`,
      bytes: bytes(code),
      reasonCode: MALFORMED,
      says: [packet, "Code", `0x${code.toString(16).padStart(2, "0")}`],
    });
  }
}
rule(5, {
  rule: "MQTT-3.9.3-2",
  what: "a bad code after good ones in SUBACK",
  bytes: p(0x90, 0x00, 0x01, 0x00, 0x00, 0x01, 0x03),
  reasonCode: MALFORMED,
  says: ["SUBACK", "0x03"],
  at: 7,
});
rule("both", {
  rule: "section 3.9.3",
  what: "SUBACK without a reason code",
  bytes: (v) => p(0x90, 0x00, 0x01, ...(v === 5 ? [0x00] : [])),
  reasonCode: PROTOCOL_ERROR,
  says: ["SUBACK", "reason code"],
});
rule(5, {
  rule: "section 3.11.3",
  what: "UNSUBACK without a reason code",
  bytes: p(0xb0, 0x00, 0x01, 0x00),
  reasonCode: PROTOCOL_ERROR,
  says: ["UNSUBACK", "reason code"],
});

// --- CONNACK flags (section 3.2.2.1) ---

for (const flags of [0x02, 0x80, 0xff]) {
  rule("both", {
    rule: "MQTT-3.2.2-1 / section 3.2.2.1",
    what: `CONNACK flags 0x${flags.toString(16).padStart(2, "0")}`,
    bytes: (v) => p(0x20, flags, 0x00, ...(v === 5 ? [0x00] : [])),
    reasonCode: MALFORMED,
    says: ["CONNACK", "Connect Acknowledge Flags", "reserved"],
    at: 2,
  });
}
rule(5, {
  rule: "MQTT-3.2.2-6",
  what: "Session Present with a non-zero Connect Reason Code",
  bytes: p(0x20, 0x01, 0x80, 0x00),
  reasonCode: PROTOCOL_ERROR,
  says: ["CONNACK", "Session Present"],
  at: 3,
});
rule(4, {
  rule: "MQTT-3.2.2-4",
  what: "Session Present with a non-zero Connect Return Code",
  bytes: p(0x20, 0x01, 0x05),
  reasonCode: PROTOCOL_ERROR,
  says: ["CONNACK", "Session Present"],
  at: 3,
});

// --- Packet Identifiers (section 2.2.1 / 3.1.1 section 2.3.1) ---

const ID_ZERO: [string, string, (v: ProtocolVersion) => number[]][] = [
  [
    "SUBSCRIBE",
    "MQTT-2.2.1-3 / MQTT-2.3.1-1",
    (v) => subscribe(v, s("#"), 0).with(3, 0),
  ],
  [
    "UNSUBSCRIBE",
    "MQTT-2.2.1-3 / MQTT-2.3.1-1",
    (v) => unsubscribe(v, s("#")).with(3, 0),
  ],
  ["PUBACK", "MQTT-2.2.1-5 / MQTT-2.3.1-6", () => p(0x40, 0x00, 0x00)],
  ["PUBREC", "MQTT-2.2.1-5 / MQTT-2.3.1-6", () => p(0x50, 0x00, 0x00)],
  ["PUBREL", "MQTT-2.2.1-5 / MQTT-2.3.1-6", () => p(0x62, 0x00, 0x00)],
  ["PUBCOMP", "MQTT-2.2.1-5 / MQTT-2.3.1-6", () => p(0x70, 0x00, 0x00)],
  [
    "SUBACK",
    "MQTT-2.2.1-6 / MQTT-2.3.1-7",
    (v) => p(0x90, 0x00, 0x00, ...(v === 5 ? [0x00] : []), 0x00),
  ],
  [
    "UNSUBACK",
    "MQTT-2.2.1-6 / MQTT-2.3.1-7",
    (v) => p(0xb0, 0x00, 0x00, ...(v === 5 ? [0x00, 0x00] : [])),
  ],
];
for (const [packet, id, bytes] of ID_ZERO) {
  rule("both", {
    rule: id,
    what: `${packet} with Packet Identifier 0`,
    bytes,
    reasonCode: PROTOCOL_ERROR,
    says: [packet, "Packet Identifier"],
    at: 2,
  });
}

// --- Fixed sizes of MQTT 3.1.1 packets ---

const FIXED_311: [string, string, number[]][] = [
  [
    "section 3.2.1",
    "CONNACK with Remaining Length 3",
    p(0x20, 0x00, 0x00, 0x00),
  ],
  [
    "section 3.4.1",
    "PUBACK with Remaining Length 3",
    p(0x40, 0x00, 0x01, 0x00),
  ],
  [
    "section 3.6.1",
    "PUBREL with Remaining Length 3",
    p(0x62, 0x00, 0x01, 0x00),
  ],
  [
    "section 3.11.1",
    "UNSUBACK with Remaining Length 3",
    p(0xb0, 0x00, 0x01, 0x00),
  ],
  ["section 3.14.1", "DISCONNECT with Remaining Length 1", p(0xe0, 0x00)],
  ["section 3.12.1", "PINGREQ with Remaining Length 1", p(0xc0, 0x00)],
  ["section 3.4.1", "PUBACK with Remaining Length 1", p(0x40, 0x00)],
];
for (const [section, what, bytes] of FIXED_311) {
  rule(4, {
    rule: section,
    what,
    bytes,
    reasonCode: MALFORMED,
    says: [what.split(" ")[0]],
  });
}
rule(5, {
  rule: "section 3.4.2",
  what: "PUBACK with Remaining Length 1",
  bytes: p(0x40, 0x00),
  reasonCode: MALFORMED,
  says: ["PUBACK", "Packet Identifier"],
});

// --- MQTT 3.1 (cited by section: 3.1 has no conformance statements) ---

/** An MQTT 3.1 CONNECT: "MQIsdp", level 3, these flags, Keep Alive 60, then `rest`. */
function connect31(flags: number, ...rest: number[]): number[] {
  return p(0x10, ...s("MQIsdp"), 3, flags, 0x00, 0x3c, ...rest);
}

rule(3, {
  rule: "3.1 section 3.1",
  what: "an empty Client Identifier",
  bytes: connect31(0x02, ...s("")),
  reasonCode: CLIENT_IDENTIFIER_NOT_VALID,
  says: ["CONNECT (MQTT 3.1)", "Client Identifier", "1 to 23"],
  at: 14,
});
rule(3, {
  rule: "3.1 section 3.1",
  what: "a Client Identifier of 24 characters",
  bytes: connect31(0x02, ...s("x".repeat(24))),
  reasonCode: CLIENT_IDENTIFIER_NOT_VALID,
  says: ["CONNECT (MQTT 3.1)", "Client Identifier", "24 characters"],
  at: 14,
});
rule(3, {
  rule: "3.1 sections 3.1, 2.6",
  what: "the reserved Connect Flag set",
  bytes: connect31(0x03, ...s("c")),
  reasonCode: MALFORMED,
  says: ["CONNECT (MQTT 3.1)", "Connect Flags", "reserved"],
  at: 11,
});
rule(3, {
  rule: "3.1 section 3.2",
  what: "a CONNACK with Session Present, which 3.1 does not have",
  bytes: p(0x20, 0x01, 0x00),
  reasonCode: MALFORMED,
  says: ["CONNACK (MQTT 3.1)", "reserved"],
  at: 2,
});
rule(3, {
  rule: "3.1 section 3.9",
  what: "a SUBACK with the 3.1.1 failure code 0x80",
  bytes: p(0x90, 0x00, 0x01, 0x80),
  reasonCode: MALFORMED,
  says: ["SUBACK (MQTT 3.1)", "0x80"],
  at: 4,
});
rule(3, {
  rule: "3.1 section 2.4",
  what: "a PUBACK with Message ID 0",
  bytes: p(0x40, 0x00, 0x00),
  reasonCode: PROTOCOL_ERROR,
  says: ["PUBACK (MQTT 3.1)", "Packet Identifier", "section 2.4"],
  at: 2,
});
rule(3, {
  rule: "3.1 section 2.5",
  what: "ill-formed UTF-8 in a Topic Name",
  bytes: p(0x30, 0x00, 0x01, 0xff),
  reasonCode: MALFORMED,
  says: ["PUBLISH (MQTT 3.1)", "Topic Name", "section 2.5"],
  at: 2,
});
rule(3, {
  rule: "3.1 section 2.1",
  what: "AUTH (type 15), reserved in 3.1",
  bytes: p(0xf0),
  reasonCode: MALFORMED,
  says: ["AUTH", "MQTT 3.1", "reserved"],
  at: 0,
});
rule(3, {
  rule: "3.1 sections 2.1, 2.6",
  what: "a PINGREQ with fixed header flags set",
  bytes: p(0xc1),
  reasonCode: MALFORMED,
  says: ["PINGREQ (MQTT 3.1)", "Fixed header flags"],
  at: 0,
});
rule(3, {
  rule: "3.1 section 3.11",
  what: "an UNSUBACK with a payload, which 3.1 does not have",
  bytes: p(0xb0, 0x00, 0x01, 0x00),
  reasonCode: MALFORMED,
  says: ["UNSUBACK (MQTT 3.1)", "unexpected byte"],
  at: 4,
});
rule(3, {
  rule: "3.1 section 3.14",
  what: "a DISCONNECT with a reason code, which 3.1 does not have",
  bytes: p(0xe0, 0x00),
  reasonCode: MALFORMED,
  says: ["DISCONNECT (MQTT 3.1)", "unexpected byte"],
  at: 2,
});

describe("decode: the table of spec rules", () => {
  for (const row of decodeRules) {
    const version = VERSION_NAMES[row.version];
    it(
      `${row.rule} (MQTT ${version}): ${row.what} → 0x${
        row.reasonCode.toString(16)
      }`,
      () => {
        const bytes = new Uint8Array(row.bytes);
        const error = assertThrows(
          () =>
            decode(bytes, {
              protocolVersion: row.version,
              maximumPacketSize: row.maximumPacketSize,
            }),
          MqttError,
        );
        assertEquals(error.name, "MqttError");
        assertEquals(
          error.reasonCode,
          row.reasonCode,
          `reason code of: ${error.message}`,
        );
        assert(
          error.message.includes("byte offset"),
          `no byte offset in: ${error.message}`,
        );
        if (row.at !== undefined) {
          assert(
            error.message.includes(`byte offset ${row.at}`),
            `expected byte offset ${row.at} in: ${error.message}`,
          );
        }
        for (const word of row.says) {
          assert(
            error.message.includes(word),
            `expected "${word}" in: ${error.message}`,
          );
        }
        // the rule's own conformance id, in the version's numbering
        const ids = row.rule.split(" / ");
        const ruleId = ids.length === 2 && row.version === 4 ? ids[1] : ids[0];
        if (ruleId.startsWith("MQTT-")) {
          assert(
            error.message.includes(ruleId),
            `expected ${ruleId} in: ${error.message}`,
          );
        }
      },
    );
  }
});

describe("decode: its arguments", () => {
  it("a value that is not a Uint8Array is an MqttError, not a TypeError", () => {
    for (const value of [null, undefined, "\xc0\x00", [0xc0, 0x00], 42, {}]) {
      const error = assertThrows(
        () => decode(value as unknown as Uint8Array),
        MqttError,
      );
      assertEquals(error.reasonCode, MALFORMED);
    }
  });

  it("a protocolVersion other than 3, 4 or 5 is an MqttError 0x84", () => {
    for (const protocolVersion of [2, 6, 4.5, "5", null]) {
      const error = assertThrows(
        () =>
          decode(new Uint8Array([0xc0, 0x00]), {
            protocolVersion: protocolVersion as unknown as 5,
          }),
        MqttError,
        "protocolVersion",
      );
      assertEquals(error.reasonCode, UNSUPPORTED_PROTOCOL_VERSION);
    }
  });

  it("a maximumPacketSize that is not a positive integer is an MqttError 0x82, as in the streams", () => {
    // 0 is a Protocol Error as a Maximum Packet Size (section 3.1.2.11.4)
    for (const maximumPacketSize of ["1", 0, -1, 1.5, NaN, Infinity]) {
      const error = assertThrows(
        () =>
          decode(new Uint8Array([0xc0, 0x00]), {
            maximumPacketSize: maximumPacketSize as number,
          }),
        MqttError,
        "maximumPacketSize",
      );
      assertEquals(error.reasonCode, 0x82);
    }
  });

  it("a packet exactly at maximumPacketSize is accepted", () => {
    assertEquals(
      decode(new Uint8Array([0xc0, 0x00]), { maximumPacketSize: 2 }),
      { type: "pingreq" },
    );
  });

  it("packetSize rejects a malformed Remaining Length and waits for a cut-off one", () => {
    assertThrows(
      () => packetSize(new Uint8Array([0x30, 0x80, 0x00]), 0),
      MqttError,
      "MQTT-1.5.5-1",
    );
    assertThrows(
      () => packetSize(new Uint8Array([0x30, 0xff, 0xff, 0xff, 0xff]), 0),
      MqttError,
      "more than 4 bytes",
    );
    assertEquals(packetSize(new Uint8Array([0x30, 0xff, 0xff, 0xff]), 0), -1);
    assertEquals(
      packetSize(new Uint8Array([0x30, 0xff, 0xff, 0xff, 0x7f]), 0),
      1 + 4 + 268_435_455,
    );
  });
});

// ---------------------------------------------------------------------------
// The encode table

interface EncodeRule {
  rule: string;
  what: string;
  version: ProtocolVersion;
  packet: unknown;
  reasonCode: number;
  /** Words the message must hold: the packet, the field. */
  says: string[];
}

const encodeRules: EncodeRule[] = [];

function invalid(
  version: ProtocolVersion | "both",
  row: Omit<EncodeRule, "version">,
): void {
  for (const v of version === "both" ? [5, 4] as const : [version]) {
    encodeRules.push({ ...row, version: v });
  }
}

const EMPTY = new Uint8Array(0);
const PUBLISH = {
  type: "publish",
  topic: "a/b",
  payload: EMPTY,
  qos: 0,
  retain: false,
  dup: false,
} as const;
const PUBLISH1 = { ...PUBLISH, qos: 1, packetId: 1 } as const;
const CONNECT = {
  type: "connect",
  protocolVersion: 5,
  clientId: "c",
  cleanStart: true,
  keepAlive: 60,
} as const;
const CONNECT4 = { ...CONNECT, protocolVersion: 4 } as const;
const WILL = { topic: "w", payload: EMPTY, qos: 0, retain: false } as const;
const SUBSCRIBE = {
  type: "subscribe",
  packetId: 1,
  subscriptions: [{ topicFilter: "a/b", qos: 0 }],
} as const;
const CONNACK = { type: "connack", sessionPresent: false, reasonCode: 0 };

// --- PUBLISH ---

invalid("both", {
  rule: "MQTT-3.3.1-4",
  what: "qos 3",
  packet: { ...PUBLISH1, qos: 3 },
  reasonCode: MALFORMED,
  says: ["PUBLISH", "qos"],
});
invalid("both", {
  rule: "MQTT-3.3.1-4",
  what: 'qos "1" (a string)',
  packet: { ...PUBLISH1, qos: "1" },
  reasonCode: MALFORMED,
  says: ["PUBLISH", "qos"],
});
invalid("both", {
  rule: "MQTT-3.3.1-2",
  what: "dup with qos 0",
  packet: { ...PUBLISH, dup: true },
  reasonCode: MALFORMED,
  says: ["PUBLISH", "dup"],
});
for (const packetId of [undefined, 0, 65536, -1, 1.5, "1", null]) {
  invalid("both", {
    rule: "MQTT-2.2.1-3 / MQTT-2.3.1-1",
    what: `qos 1 with packetId ${JSON.stringify(packetId) ?? "absent"}`,
    packet: { ...PUBLISH1, packetId },
    reasonCode: PROTOCOL_ERROR,
    says: ["PUBLISH", "packetId"],
  });
}
invalid("both", {
  rule: "MQTT-2.2.1-2 / MQTT-2.3.1-5",
  what: "a packetId with qos 0",
  packet: { ...PUBLISH, packetId: 1 },
  reasonCode: PROTOCOL_ERROR,
  says: ["PUBLISH", "packetId"],
});
for (const topic of ["a/+", "#", "a#b"]) {
  invalid("both", {
    rule: "MQTT-3.3.2-2",
    what: `a wildcard in topic "${topic}"`,
    packet: { ...PUBLISH, topic },
    reasonCode: MALFORMED,
    says: ["PUBLISH", "topic"],
  });
}
invalid(5, {
  rule: "section 3.3.2.1",
  what: "an empty topic without a topicAlias",
  packet: { ...PUBLISH, topic: "" },
  reasonCode: PROTOCOL_ERROR,
  says: ["PUBLISH", "topic"],
});
invalid(4, {
  rule: "MQTT-4.7.3-1",
  what: "an empty topic",
  packet: { ...PUBLISH, topic: "" },
  reasonCode: MALFORMED,
  says: ["PUBLISH", "topic"],
});
invalid(5, {
  rule: "MQTT-3.3.2-14",
  what: "a wildcard in responseTopic",
  packet: { ...PUBLISH, responseTopic: "r/#" },
  reasonCode: MALFORMED,
  says: ["PUBLISH", "responseTopic"],
});
invalid("both", {
  rule: "section 1.5.4",
  what: "a topic that is a number",
  packet: { ...PUBLISH, topic: 5 },
  reasonCode: MALFORMED,
  says: ["PUBLISH", "topic"],
});
for (
  const [what, payload] of [
    ["a string", "hi"],
    ["an array of numbers", [1, 2]],
    ["an ArrayBuffer", new ArrayBuffer(2)],
    ["a DataView", new DataView(new ArrayBuffer(2))],
    ["absent", undefined],
  ] as const
) {
  invalid("both", {
    rule: "section 3.3.3",
    what: `a payload that is ${what}`,
    packet: { ...PUBLISH, payload },
    reasonCode: MALFORMED,
    says: ["PUBLISH", "payload", "Uint8Array"],
  });
}
invalid("both", {
  rule: "section 3.3.1.3",
  what: 'retain "yes"',
  packet: { ...PUBLISH, retain: "yes" },
  reasonCode: MALFORMED,
  says: ["PUBLISH", "retain"],
});
invalid("both", {
  rule: "section 2.1.4",
  what: "a packet above the largest Remaining Length (268,435,455)",
  // a view whose length claims 256 MiB: no memory is spent on the check
  packet: {
    ...PUBLISH,
    payload: Object.defineProperty(new Uint8Array(0), "length", {
      value: 268_435_456,
    }),
  },
  reasonCode: PACKET_TOO_LARGE,
  says: ["PUBLISH", "Remaining Length"],
});

// --- UTF-8 Encoded Strings ---

invalid("both", {
  rule: "MQTT-1.5.4-2 / MQTT-1.5.3-2",
  what: "U+0000 in topic",
  packet: { ...PUBLISH, topic: "a\u0000b" },
  reasonCode: MALFORMED,
  says: ["PUBLISH", "topic", "U+0000"],
});
invalid("both", {
  rule: "MQTT-1.5.4-2 / MQTT-1.5.3-2",
  what: "U+0000 in clientId",
  packet: { ...CONNECT, clientId: "\u0000" },
  reasonCode: MALFORMED,
  says: ["CONNECT", "clientId", "U+0000"],
});
for (
  const [what, topic] of [
    ["a lone high surrogate at the end", "a\ud800"],
    ["a lone high surrogate before a letter", "\ud800a"],
    ["a lone low surrogate", "\udc00b"],
    ["surrogates in the wrong order", "\udc00\ud800"],
  ]
) {
  invalid("both", {
    rule: "MQTT-1.5.4-1 / MQTT-1.5.3-1",
    what: `${what} in topic`,
    packet: { ...PUBLISH, topic },
    reasonCode: MALFORMED,
    says: ["PUBLISH", "topic", "surrogate"],
  });
}
invalid(5, {
  rule: "MQTT-1.5.4-1",
  what: "a lone surrogate in a User Property name",
  packet: { ...PUBLISH, userProperties: [["\ud800", "v"]] },
  reasonCode: MALFORMED,
  says: ["PUBLISH", "userProperties"],
});
invalid("both", {
  rule: "section 1.5.4",
  what: "a topic of 65,536 ASCII bytes",
  packet: { ...PUBLISH, topic: "a".repeat(65_536) },
  reasonCode: MALFORMED,
  says: ["PUBLISH", "topic", "65535"],
});
invalid("both", {
  rule: "section 1.5.4",
  what: "a topic of 32,768 × 'é' (65,536 bytes in UTF-8)",
  packet: { ...PUBLISH, topic: "é".repeat(32_768) },
  reasonCode: MALFORMED,
  says: ["PUBLISH", "topic", "65535"],
});
invalid(5, {
  rule: "section 1.5.4",
  what: "a contentType of 65,536 bytes",
  packet: { ...PUBLISH, contentType: "x".repeat(65_536) },
  reasonCode: MALFORMED,
  says: ["PUBLISH", "contentType", "65535"],
});
invalid(5, {
  rule: "section 1.5.6",
  what: "correlationData of 65,536 bytes",
  packet: { ...PUBLISH, correlationData: new Uint8Array(65_536) },
  reasonCode: MALFORMED,
  says: ["PUBLISH", "correlationData", "65535"],
});
invalid("both", {
  rule: "section 3.1.3.4",
  what: "a will payload of 65,536 bytes (Binary Data)",
  packet: { ...CONNECT, will: { ...WILL, payload: new Uint8Array(65_536) } },
  reasonCode: MALFORMED,
  says: ["CONNECT", "will.payload", "65535"],
});

// --- Properties ---

for (
  const [what, packet, field] of [
    ["PUBLISH contentType", { ...PUBLISH, contentType: "t" }, "contentType"],
    [
      "PUBLISH userProperties",
      { ...PUBLISH, userProperties: [["a", "b"]] },
      "userProperties",
    ],
    [
      "PUBLISH subscriptionIdentifiers",
      { ...PUBLISH, subscriptionIdentifiers: [1] },
      "subscriptionIdentifiers",
    ],
    ["PUBLISH topicAlias", { ...PUBLISH, topicAlias: 1 }, "topicAlias"],
    [
      "CONNECT sessionExpiryInterval",
      { ...CONNECT4, sessionExpiryInterval: 0 },
      "sessionExpiryInterval",
    ],
    [
      "CONNECT requestProblemInformation false",
      { ...CONNECT4, requestProblemInformation: false },
      "requestProblemInformation",
    ],
    [
      "Will willDelayInterval",
      { ...CONNECT4, will: { ...WILL, willDelayInterval: 1 } },
      "willDelayInterval",
    ],
    [
      "CONNACK reasonString",
      { ...CONNACK, reasonString: "x" },
      "reasonString",
    ],
    [
      "SUBSCRIBE subscriptionIdentifier",
      { ...SUBSCRIBE, subscriptionIdentifier: 1 },
      "subscriptionIdentifier",
    ],
    [
      "SUBACK userProperties",
      {
        type: "suback",
        packetId: 1,
        reasonCodes: [0],
        userProperties: [["a", "b"]],
      },
      "userProperties",
    ],
    [
      "UNSUBSCRIBE userProperties",
      {
        type: "unsubscribe",
        packetId: 1,
        topicFilters: ["a"],
        userProperties: [["a", "b"]],
      },
      "userProperties",
    ],
    [
      "UNSUBACK reasonString",
      { type: "unsuback", packetId: 1, reasonCodes: [], reasonString: "x" },
      "reasonString",
    ],
    [
      "PUBACK reasonString",
      { type: "puback", packetId: 1, reasonString: "x" },
      "reasonString",
    ],
    [
      "DISCONNECT sessionExpiryInterval",
      { type: "disconnect", sessionExpiryInterval: 1 },
      "sessionExpiryInterval",
    ],
  ] as const
) {
  invalid(4, {
    rule: "MQTT 3.1.1 has no properties",
    what: `${what} with protocolVersion 4`,
    packet,
    reasonCode: PROTOCOL_ERROR,
    says: ["3.1.1", field],
  });
}
for (
  const [what, packet, field] of [
    [
      "sessionExpiryInterval on PUBLISH",
      { ...PUBLISH, sessionExpiryInterval: 1 },
      "sessionExpiryInterval",
    ],
    ["topicAlias on SUBSCRIBE", { ...SUBSCRIBE, topicAlias: 1 }, "topicAlias"],
    [
      "subscriptionIdentifier (singular) on PUBLISH",
      { ...PUBLISH, subscriptionIdentifier: 1 },
      "subscriptionIdentifier",
    ],
    ["maximumQoS on CONNECT", { ...CONNECT, maximumQoS: 1 }, "maximumQoS"],
    [
      "sessionExpiryInterval in a Will",
      { ...CONNECT, will: { ...WILL, sessionExpiryInterval: 1 } },
      "sessionExpiryInterval",
    ],
    [
      "willDelayInterval on CONNECT itself",
      { ...CONNECT, willDelayInterval: 1 },
      "willDelayInterval",
    ],
    [
      "serverReference on AUTH",
      {
        type: "auth",
        reasonCode: 0x18,
        authenticationMethod: "M",
        serverReference: "s",
      },
      "serverReference",
    ],
  ] as const
) {
  invalid(5, {
    rule: "section 2.2.2.2",
    what: `${what} (not dropped silently)`,
    packet,
    // the same code decode gives a property not valid for its packet type
    reasonCode: MALFORMED,
    says: [field],
  });
}
for (
  const [section, what, packet, field] of [
    [
      "section 3.1.2.11.3",
      "receiveMaximum 0",
      { ...CONNECT, receiveMaximum: 0 },
      "receiveMaximum",
    ],
    [
      "section 3.1.2.11.4",
      "maximumPacketSize 0",
      { ...CONNECT, maximumPacketSize: 0 },
      "maximumPacketSize",
    ],
    [
      "section 3.2.2.3.6",
      "maximumPacketSize 2^32",
      { ...CONNACK, maximumPacketSize: 2 ** 32 },
      "maximumPacketSize",
    ],
    [
      "MQTT-3.3.2-8",
      "topicAlias 0",
      { ...PUBLISH, topicAlias: 0 },
      "topicAlias",
    ],
    [
      "section 3.3.2.3.4",
      "topicAlias 65536",
      { ...PUBLISH, topicAlias: 65_536 },
      "topicAlias",
    ],
    [
      "section 3.8.2.1.2",
      "subscriptionIdentifier 0",
      { ...SUBSCRIBE, subscriptionIdentifier: 0 },
      "subscriptionIdentifier",
    ],
    [
      "section 3.8.2.1.2",
      "subscriptionIdentifier 268435456",
      { ...SUBSCRIBE, subscriptionIdentifier: 268_435_456 },
      "subscriptionIdentifier",
    ],
    [
      "section 3.3.2.3.8",
      "subscriptionIdentifiers [1, 0]",
      { ...PUBLISH, subscriptionIdentifiers: [1, 0] },
      "subscriptionIdentifiers",
    ],
    [
      "section 3.2.2.3.4",
      "maximumQoS 2",
      { ...CONNACK, maximumQoS: 2 },
      "maximumQoS",
    ],
    [
      "section 3.3.2.3.3",
      "messageExpiryInterval -1",
      { ...PUBLISH, messageExpiryInterval: -1 },
      "messageExpiryInterval",
    ],
    [
      "section 3.1.2.11.2",
      "sessionExpiryInterval 1.5",
      { ...CONNECT, sessionExpiryInterval: 1.5 },
      "sessionExpiryInterval",
    ],
  ] as const
) {
  invalid(5, {
    rule: section,
    what,
    packet,
    reasonCode: PROTOCOL_ERROR,
    says: [field],
  });
}
for (
  const [what, packet, field] of [
    [
      "retainAvailable 1 (a number, not a boolean)",
      { ...CONNACK, retainAvailable: 1 },
      "retainAvailable",
    ],
    [
      'payloadFormatIndicator "1"',
      { ...PUBLISH, payloadFormatIndicator: "1" },
      "payloadFormatIndicator",
    ],
    [
      "userProperties that is not an array",
      { ...PUBLISH, userProperties: "a=b" },
      "userProperties",
    ],
    [
      "userProperties with a one-element pair",
      { ...PUBLISH, userProperties: [["a"]] },
      "userProperties",
    ],
    [
      "userProperties with a number value",
      { ...PUBLISH, userProperties: [["a", 1]] },
      "userProperties",
    ],
    [
      "userProperties as an object",
      { ...PUBLISH, userProperties: { a: "b" } },
      "userProperties",
    ],
    [
      "correlationData as an array",
      { ...PUBLISH, correlationData: [1, 2] },
      "correlationData",
    ],
    [
      "authenticationData as a string",
      { ...CONNECT, authenticationMethod: "M", authenticationData: "x" },
      "authenticationData",
    ],
    [
      "contentType as a number",
      { ...PUBLISH, contentType: 1 },
      "contentType",
    ],
    [
      "subscriptionIdentifiers as a number",
      { ...PUBLISH, subscriptionIdentifiers: 1 },
      "subscriptionIdentifiers",
    ],
  ] as const
) {
  invalid(5, {
    rule: "section 2.2.2.2",
    what,
    packet,
    reasonCode: MALFORMED,
    says: [field],
  });
}
invalid(5, {
  rule: "section 3.1.2.11.10",
  what: "authenticationData without authenticationMethod on CONNECT",
  packet: { ...CONNECT, authenticationData: new Uint8Array([1]) },
  reasonCode: PROTOCOL_ERROR,
  says: ["CONNECT", "authenticationData"],
});
invalid(5, {
  rule: "section 3.15.2.2.2",
  what: "authenticationData without authenticationMethod on AUTH",
  packet: {
    type: "auth",
    reasonCode: 0x18,
    authenticationData: new Uint8Array([1]),
  },
  reasonCode: PROTOCOL_ERROR,
  says: ["AUTH", "authenticationMethod"],
});

// --- Reason codes ---

for (
  const [type, reasonCode] of [
    ["puback", 0x10],
    ["pubrec", 0x80],
    ["pubrel", 0x92],
    ["pubcomp", 0x92],
  ] as const
) {
  invalid(4, {
    rule: "MQTT 3.1.1 has no reason codes",
    what: `${type.toUpperCase()} reasonCode 0x${reasonCode.toString(16)}`,
    packet: { type, packetId: 1, reasonCode },
    reasonCode: PROTOCOL_ERROR,
    says: [type.toUpperCase(), "reasonCode", "3.1.1"],
  });
}
invalid(4, {
  rule: "MQTT 3.1.1 has no reason codes",
  what: "DISCONNECT reasonCode 0x04",
  packet: { type: "disconnect", reasonCode: 4 },
  reasonCode: PROTOCOL_ERROR,
  says: ["DISCONNECT", "reasonCode", "3.1.1"],
});
invalid(4, {
  rule: "MQTT 3.1.1 has no reason codes",
  what: "UNSUBACK reasonCodes [0x11]",
  packet: { type: "unsuback", packetId: 1, reasonCodes: [0x11] },
  reasonCode: PROTOCOL_ERROR,
  says: ["UNSUBACK", "reasonCodes", "3.1.1"],
});
invalid(4, {
  rule: "section 2.2.1",
  what: "AUTH",
  packet: { type: "auth" },
  reasonCode: PROTOCOL_ERROR,
  says: ["AUTH", "3.1.1"],
});
for (
  const [id, version, packet, field] of [
    [
      "MQTT-3.4.2-1",
      5,
      { type: "puback", packetId: 1, reasonCode: 0x92 },
      "reasonCode",
    ],
    [
      "MQTT-3.5.2-1",
      5,
      { type: "pubrec", packetId: 1, reasonCode: 0x92 },
      "reasonCode",
    ],
    [
      "MQTT-3.6.2-1",
      5,
      { type: "pubrel", packetId: 1, reasonCode: 0x10 },
      "reasonCode",
    ],
    [
      "MQTT-3.7.2-1",
      5,
      { type: "pubcomp", packetId: 1, reasonCode: 0x80 },
      "reasonCode",
    ],
    ["MQTT-3.2.2-8", 5, { ...CONNACK, reasonCode: 0x01 }, "reasonCode"],
    ["section 3.2.2.3", 4, { ...CONNACK, reasonCode: 6 }, "reasonCode"],
    ["section 3.2.2.3", 4, { ...CONNACK, reasonCode: 0x87 }, "reasonCode"],
    [
      "MQTT-3.9.3-2",
      5,
      { type: "suback", packetId: 1, reasonCodes: [0, 3] },
      "reasonCodes[1]",
    ],
    [
      "MQTT-3.9.3-2",
      4,
      { type: "suback", packetId: 1, reasonCodes: [0x83] },
      "reasonCodes[0]",
    ],
    [
      "MQTT-3.11.3-2",
      5,
      { type: "unsuback", packetId: 1, reasonCodes: [0x10] },
      "reasonCodes[0]",
    ],
    [
      "MQTT-3.14.2-1",
      5,
      { type: "disconnect", reasonCode: 0x18 },
      "reasonCode",
    ],
    ["MQTT-3.15.2-1", 5, {
      type: "auth",
      reasonCode: 0x04,
      authenticationMethod: "M",
    }, "reasonCode"],
    [
      "section 2.4",
      5,
      { type: "puback", packetId: 1, reasonCode: "0" },
      "reasonCode",
    ],
    ["section 2.4", 5, { type: "disconnect", reasonCode: 0.5 }, "reasonCode"],
    [
      "section 2.4",
      5,
      { type: "puback", packetId: 1, reasonCode: 256 },
      "reasonCode",
    ],
  ] as const
) {
  invalid(version, {
    rule: id,
    what: `${packet.type.toUpperCase()} ${field} ${
      JSON.stringify(
        "reasonCode" in packet ? packet.reasonCode : packet.reasonCodes,
      )
    }`,
    packet,
    reasonCode: MALFORMED,
    says: [packet.type.toUpperCase(), field],
  });
}
invalid(5, {
  rule: "MQTT-3.2.2-6",
  what: "sessionPresent with a non-zero reasonCode",
  packet: { type: "connack", sessionPresent: true, reasonCode: 0x87 },
  reasonCode: PROTOCOL_ERROR,
  says: ["CONNACK", "sessionPresent"],
});
invalid(4, {
  rule: "MQTT-3.2.2-4",
  what: "sessionPresent with a non-zero return code",
  packet: { type: "connack", sessionPresent: true, reasonCode: 5 },
  reasonCode: PROTOCOL_ERROR,
  says: ["CONNACK", "sessionPresent"],
});
invalid("both", {
  rule: "section 3.9.3",
  what: "SUBACK without reason codes",
  packet: { type: "suback", packetId: 1, reasonCodes: [] },
  reasonCode: PROTOCOL_ERROR,
  says: ["SUBACK", "reasonCodes"],
});
invalid(5, {
  rule: "section 3.11.3",
  what: "UNSUBACK without reason codes",
  packet: { type: "unsuback", packetId: 1, reasonCodes: [] },
  reasonCode: PROTOCOL_ERROR,
  says: ["UNSUBACK", "reasonCodes"],
});
invalid("both", {
  rule: "section 3.9.3",
  what: "SUBACK reasonCodes that is not an array",
  packet: { type: "suback", packetId: 1, reasonCodes: 0 },
  reasonCode: MALFORMED,
  says: ["SUBACK", "reasonCodes"],
});

// --- SUBSCRIBE and UNSUBSCRIBE ---

invalid("both", {
  rule: "MQTT-3.8.3-2 / MQTT-3.8.3-3",
  what: "no subscriptions",
  packet: { ...SUBSCRIBE, subscriptions: [] },
  reasonCode: PROTOCOL_ERROR,
  says: ["SUBSCRIBE", "subscriptions"],
});
invalid("both", {
  rule: "MQTT-3.8.3-2 / MQTT-3.8.3-3",
  what: "subscriptions that is not an array",
  packet: { ...SUBSCRIBE, subscriptions: { topicFilter: "a", qos: 0 } },
  reasonCode: PROTOCOL_ERROR,
  says: ["SUBSCRIBE", "subscriptions"],
});
invalid("both", {
  rule: "section 3.8.3",
  what: "a subscription that is null",
  packet: { ...SUBSCRIBE, subscriptions: [null] },
  reasonCode: MALFORMED,
  says: ["SUBSCRIBE", "subscriptions[0]"],
});
invalid("both", {
  rule: "MQTT-3.10.3-2",
  what: "no topic filters",
  packet: { type: "unsubscribe", packetId: 1, topicFilters: [] },
  reasonCode: PROTOCOL_ERROR,
  says: ["UNSUBSCRIBE", "topicFilters"],
});
invalid("both", {
  rule: "section 1.5.4",
  what: "a hole in topicFilters (refused, not skipped)",
  // deno-lint-ignore no-sparse-arrays
  packet: { type: "unsubscribe", packetId: 1, topicFilters: [, "a"] },
  reasonCode: MALFORMED,
  says: ["UNSUBSCRIBE", "topicFilters[0]"],
});
for (const [filter, id5, id4] of BAD_FILTERS) {
  for (const version of [5, 4] as const) {
    invalid(version, {
      rule: id(version, id5, id4),
      what: `SUBSCRIBE to "${filter}"`,
      packet: {
        ...SUBSCRIBE,
        subscriptions: [{ topicFilter: "ok", qos: 0 }, {
          topicFilter: filter,
          qos: 0,
        }],
      },
      reasonCode: MALFORMED,
      says: ["SUBSCRIBE", "subscriptions[1].topicFilter"],
    });
    invalid(version, {
      rule: id(version, id5, id4),
      what: `UNSUBSCRIBE from "${filter}"`,
      packet: { type: "unsubscribe", packetId: 1, topicFilters: [filter] },
      reasonCode: MALFORMED,
      says: ["UNSUBSCRIBE", "topicFilters[0]"],
    });
  }
}
for (const filter of ["$share//x", "$share/g", "$share/g+/x"]) {
  invalid(5, {
    rule: "MQTT-4.8.2-1 / MQTT-4.8.2-2",
    what: `SUBSCRIBE to the invalid shared filter "${filter}"`,
    packet: { ...SUBSCRIBE, subscriptions: [{ topicFilter: filter, qos: 0 }] },
    reasonCode: MALFORMED,
    says: ["SUBSCRIBE", "topicFilter"],
  });
}
invalid("both", {
  rule: "MQTT-3.8.3-4 / MQTT-3-8.3-4",
  what: "a subscription with qos 3",
  packet: { ...SUBSCRIBE, subscriptions: [{ topicFilter: "a", qos: 3 }] },
  reasonCode: MALFORMED,
  says: ["SUBSCRIBE", "subscriptions[0].qos"],
});
invalid(5, {
  rule: "section 3.8.3.1",
  what: "retainHandling 3",
  packet: {
    ...SUBSCRIBE,
    subscriptions: [{ topicFilter: "a", qos: 0, retainHandling: 3 }],
  },
  reasonCode: PROTOCOL_ERROR,
  says: ["SUBSCRIBE", "retainHandling"],
});
invalid(5, {
  rule: "MQTT-3.8.3-4",
  what: "noLocal on a Shared Subscription",
  packet: {
    ...SUBSCRIBE,
    subscriptions: [{ topicFilter: "$share/g/a", qos: 0, noLocal: true }],
  },
  reasonCode: PROTOCOL_ERROR,
  says: ["SUBSCRIBE", "noLocal"],
});
invalid(5, {
  rule: "section 3.8.3.1",
  what: 'noLocal "yes"',
  packet: {
    ...SUBSCRIBE,
    subscriptions: [{ topicFilter: "a", qos: 0, noLocal: "yes" }],
  },
  reasonCode: MALFORMED,
  says: ["SUBSCRIBE", "noLocal"],
});
for (
  const [what, option] of [
    ["noLocal true", { noLocal: true }],
    ["retainAsPublished true", { retainAsPublished: true }],
    ["retainHandling 1", { retainHandling: 1 }],
    ["retainHandling 2", { retainHandling: 2 }],
  ] as const
) {
  invalid(4, {
    rule: "MQTT 3.1.1 has only the QoS option",
    what: `a subscription with ${what}`,
    packet: {
      ...SUBSCRIBE,
      subscriptions: [{ topicFilter: "a", qos: 0, ...option }],
    },
    reasonCode: PROTOCOL_ERROR,
    says: ["SUBSCRIBE", "3.1.1", "subscriptions[0]"],
  });
}

// --- CONNECT ---

invalid(5, {
  rule: "MQTT-3.1.2-2",
  what: "protocolVersion 2",
  packet: { ...CONNECT, protocolVersion: 2 },
  reasonCode: UNSUPPORTED_PROTOCOL_VERSION,
  says: ["CONNECT", "protocolVersion"],
});
invalid("both", {
  rule: "section 3.1.2.10",
  what: "keepAlive 65536",
  packet: { ...CONNECT, keepAlive: 65_536 },
  reasonCode: MALFORMED,
  says: ["CONNECT", "keepAlive"],
});
invalid("both", {
  rule: "section 3.1.2.10",
  what: "keepAlive -1",
  packet: { ...CONNECT, keepAlive: -1 },
  reasonCode: MALFORMED,
  says: ["CONNECT", "keepAlive"],
});
invalid("both", {
  rule: "section 3.1.3.1",
  what: "clientId that is a number",
  packet: { ...CONNECT, clientId: 1 },
  reasonCode: MALFORMED,
  says: ["CONNECT", "clientId"],
});
invalid(4, {
  rule: "MQTT-3.1.2-22",
  what: "a password without a username in 3.1.1",
  packet: { ...CONNECT4, password: new Uint8Array([1]) },
  reasonCode: MALFORMED,
  says: ["CONNECT", "password"],
});
invalid(4, {
  rule: "MQTT-3.1.3-7",
  what: "an empty clientId with cleanStart false in 3.1.1",
  packet: { ...CONNECT4, clientId: "", cleanStart: false },
  reasonCode: CLIENT_IDENTIFIER_NOT_VALID,
  says: ["CONNECT", "clientId"],
});
for (const version of [5, 4] as const) {
  const base = version === 5 ? CONNECT : CONNECT4;
  invalid(version, {
    rule: id(version, "MQTT-3.1.2-12", "MQTT-3.1.2-14"),
    what: "will.qos 3",
    packet: { ...base, will: { ...WILL, qos: 3 } },
    reasonCode: MALFORMED,
    says: ["CONNECT", "will.qos"],
  });
  invalid(version, {
    rule: id(version, "MQTT-4.7.0-1", "MQTT-4.7.1-1"),
    what: "a wildcard in will.topic",
    packet: { ...base, will: { ...WILL, topic: "w/+" } },
    reasonCode: MALFORMED,
    says: ["CONNECT", "will.topic"],
  });
  invalid(version, {
    rule: "section 3.1.3.4",
    what: "will.payload as a string",
    packet: { ...base, will: { ...WILL, payload: "bye" } },
    reasonCode: MALFORMED,
    says: ["CONNECT", "will.payload"],
  });
  invalid(version, {
    rule: "section 3.1.3",
    what: "will that is not an object",
    packet: { ...base, will: "bye" },
    reasonCode: MALFORMED,
    says: ["CONNECT", "will"],
  });
  invalid(version, {
    rule: "section 3.1.3.6",
    what: "password as a string",
    packet: { ...base, username: "u", password: "pw" },
    reasonCode: MALFORMED,
    says: ["CONNECT", "password"],
  });
  invalid(version, {
    rule: "section 3.1.2.4",
    what: 'cleanStart "yes"',
    packet: { ...base, cleanStart: "yes" },
    reasonCode: MALFORMED,
    says: ["CONNECT", "cleanStart"],
  });
}

// --- Packet identifiers of the other packets ---

for (
  const packet of [
    { type: "puback" },
    { type: "pubrec", packetId: 0 },
    { type: "pubrel", packetId: 65_536 },
    { type: "pubcomp", packetId: "1" },
    { type: "subscribe", subscriptions: [{ topicFilter: "a", qos: 0 }] },
    { type: "suback", packetId: 0, reasonCodes: [0] },
    { type: "unsubscribe", packetId: 0, topicFilters: ["a"] },
    { type: "unsuback", packetId: 0, reasonCodes: [0] },
  ]
) {
  invalid("both", {
    rule: "MQTT-2.2.1-3 / MQTT-2.3.1-1",
    what: `${packet.type.toUpperCase()} with packetId ${
      JSON.stringify("packetId" in packet ? packet.packetId : undefined) ??
        "absent"
    }`,
    packet,
    reasonCode: PROTOCOL_ERROR,
    says: [packet.type.toUpperCase(), "packetId"],
  });
}

// --- The packet itself ---

for (const packet of [null, undefined, "publish", 42]) {
  invalid("both", {
    rule: "section 2",
    what: `a packet that is ${JSON.stringify(packet) ?? "undefined"}`,
    packet,
    reasonCode: MALFORMED,
    says: ["packet"],
  });
}
for (const packet of [{}, { type: "bogus" }, { type: 3 }]) {
  invalid("both", {
    rule: "section 2.1.2",
    what: `an unknown type in ${JSON.stringify(packet)}`,
    packet,
    reasonCode: PROTOCOL_ERROR,
    says: ["type"],
  });
}

// --- MQTT 3.1 ---

const CONNECT3 = {
  type: "connect",
  protocolVersion: 3,
  clientId: "c",
  cleanStart: true,
  keepAlive: 60,
} as const;
invalid(3, {
  rule: "3.1 section 3.1",
  what: "an empty clientId",
  packet: { ...CONNECT3, clientId: "" },
  reasonCode: CLIENT_IDENTIFIER_NOT_VALID,
  says: ["CONNECT (MQTT 3.1)", "clientId", "1 to 23"],
});
invalid(3, {
  rule: "3.1 section 3.1",
  what: "a clientId of 24 characters",
  packet: { ...CONNECT3, clientId: "x".repeat(24) },
  reasonCode: CLIENT_IDENTIFIER_NOT_VALID,
  says: ["CONNECT (MQTT 3.1)", "clientId", "24 characters"],
});
invalid(3, {
  rule: "3.1 section 3.2",
  what: "a CONNACK with sessionPresent",
  packet: { type: "connack", sessionPresent: true, reasonCode: 0 },
  reasonCode: PROTOCOL_ERROR,
  says: ["CONNACK (MQTT 3.1)", "sessionPresent"],
});
invalid(3, {
  rule: "3.1 section 3.9",
  what: "a SUBACK with the 3.1.1 failure code 0x80",
  packet: { type: "suback", packetId: 1, reasonCodes: [0x80] },
  reasonCode: MALFORMED,
  says: ["SUBACK (MQTT 3.1)", "reasonCodes[0]"],
});
invalid(3, {
  rule: "3.1 section 3.4",
  what: "a PUBACK with a reason code",
  packet: { type: "puback", packetId: 1, reasonCode: 0x10 },
  reasonCode: PROTOCOL_ERROR,
  says: ["PUBACK (MQTT 3.1)", "reasonCode", "cannot be carried by MQTT 3.1"],
});
invalid(3, {
  rule: "3.1 section 2.1",
  what: "an AUTH",
  packet: { type: "auth" },
  reasonCode: PROTOCOL_ERROR,
  says: ["AUTH", "MQTT 3.1"],
});
invalid(3, {
  rule: "3.1 section 3.3",
  what: "a PUBLISH with a property",
  packet: { ...PUBLISH, contentType: "text/plain" },
  reasonCode: PROTOCOL_ERROR,
  says: ["PUBLISH (MQTT 3.1)", "contentType", "MQTT 3.1 cannot"],
});

describe("encode: the table of invalid packets", () => {
  for (const row of encodeRules) {
    const version = VERSION_NAMES[row.version];
    it(
      `${row.rule} (MQTT ${version}): ${row.what} → 0x${
        row.reasonCode.toString(16)
      }`,
      () => {
        const error = assertThrows(
          () => encode(row.packet as Packet, { protocolVersion: row.version }),
          MqttError,
        );
        assertEquals(error.name, "MqttError");
        assertEquals(
          error.reasonCode,
          row.reasonCode,
          `reason code of: ${error.message}`,
        );
        for (const word of row.says) {
          assert(
            error.message.includes(word),
            `expected "${word}" in: ${error.message}`,
          );
        }
      },
    );
  }
});

describe("encode: its options", () => {
  it("a protocolVersion other than 3, 4 or 5 is an MqttError 0x84", () => {
    for (const protocolVersion of [2, 6, "4", null]) {
      const error = assertThrows(
        () =>
          encode({ type: "pingreq" }, {
            protocolVersion: protocolVersion as unknown as 5,
          }),
        MqttError,
        "protocolVersion",
      );
      assertEquals(error.reasonCode, UNSUPPORTED_PROTOCOL_VERSION);
    }
  });

  it("a CONNECT uses its own version whatever the option says", () => {
    const bytes = encode({ ...CONNECT4 }, { protocolVersion: 5 });
    assertEquals(bytes[8], 4); // Protocol Level
  });
});

describe("the review's bugs (issue 11, item 6)", () => {
  it("packetSize: an end beyond the buffer or a negative offset is an MqttError, not a size", () => {
    for (
      const [offset, end] of [[0, 5], [-1, 1], [0, -1], [1.5, 2], [0, NaN]]
    ) {
      const error = assertThrows(
        () => packetSize(new Uint8Array([0x30]), offset, end),
        MqttError,
        "packetSize",
      );
      assertEquals(error.reasonCode, MALFORMED);
    }
    // within the buffer: still -1 while the fixed header is incomplete
    assertEquals(packetSize(new Uint8Array([0x30]), 0, 1), -1);
  });

  it("an empty Response Topic is refused as an empty Will Topic is: both are Topic Names [MQTT-4.7.3-1]", () => {
    const decodeError = assertThrows(
      () => decode(new Uint8Array(publishProps(0x08, ...s("")))),
      MqttError,
      "MQTT-4.7.3-1",
    );
    assertEquals(decodeError.reasonCode, MALFORMED);
    assert(decodeError.message.includes("responseTopic"), decodeError.message);
    const encodeError = assertThrows(
      () => encode({ ...PUBLISH, responseTopic: "" }),
      MqttError,
      "MQTT-4.7.3-1",
    );
    assertEquals(encodeError.reasonCode, MALFORMED);
    const willError = assertThrows(
      () =>
        encode({
          ...CONNECT,
          will: { topic: "", payload: EMPTY, qos: 0, retain: false },
        }),
      MqttError,
      "MQTT-4.7.3-1",
    );
    assertEquals(willError.reasonCode, MALFORMED);
  });

  it("a version that must be named reports what it got, undefined included", () => {
    for (
      const [value, text] of [[undefined, "got undefined"], [null, "got null"]]
    ) {
      assertThrows(
        () => checkVersionOption(value, "PacketWriter", true),
        MqttError,
        text as string,
      );
    }
    assertEquals(checkVersionOption(undefined, "decode"), undefined);
    assertEquals(checkVersionOption(3, "decode", true), 3);
  });

  it("PUBACK Packet Identifier 0 cites the same rule on encode and decode", () => {
    for (
      const [version, rule] of [[5, "[MQTT-2.2.1-5]"], [
        4,
        "[MQTT-2.3.1-6]",
      ]] as const
    ) {
      const onDecode = assertThrows(
        () =>
          decode(new Uint8Array([0x40, 0x02, 0x00, 0x00]), {
            protocolVersion: version,
          }),
        MqttError,
        rule,
      );
      const onEncode = assertThrows(
        () =>
          encode({ type: "puback", packetId: 0 }, { protocolVersion: version }),
        MqttError,
        rule,
      );
      assertEquals([onDecode.reasonCode, onEncode.reasonCode], [
        PROTOCOL_ERROR,
        PROTOCOL_ERROR,
      ]);
    }
  });
});
