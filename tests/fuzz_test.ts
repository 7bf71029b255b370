/**
 * A seeded, deterministic fuzz test of `decode` and `encode`.
 *
 * `decode` gets well over 100,000 inputs per run: mutations of valid packets
 * of both versions (bit flips, byte changes, insertions, deletions,
 * truncation, extension, edits of the Remaining Length and of inner length
 * fields) and random bytes, with and without a maximum packet size. Nothing
 * but MqttError may escape, and no input may make it allocate more than its
 * own size: every Uint8Array it returns is a view of the input, and no list
 * or string it returns is longer than the input.
 *
 * `encode` gets garbage objects: wrong types, missing fields, out-of-range
 * numbers, fields of other packet types. Nothing but MqttError may escape,
 * and what it does write, `decode` accepts.
 */

import fc from "fast-check";
import {
  assert,
  assertEquals,
  AssertionError,
  assertThrows,
} from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { decode, encode, MqttError } from "../mod.ts";
import type { Packet, ProtocolVersion } from "../mod.ts";
import { packetArbitrary, packetTypes } from "./arbitraries.ts";

const SEED = 0x6d717474; // "mqtt"
const MUTATED_INPUTS = 150_000;
const RANDOM_INPUTS = 50_000;
const GARBAGE_OBJECTS = 30_000;
/** Corpus packets above this size are left out: copying them per mutation costs. */
const CORPUS_MAX_BYTES = 2_048;

/** mulberry32: a tiny PRNG, so that every run sees the same inputs. */
class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A 32-bit unsigned integer. */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer from 0 to n - 1. */
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

function vbi(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

interface Seed {
  bytes: Uint8Array;
  version: ProtocolVersion;
  /** The first byte of the fixed header. */
  first: number;
  /** Everything after the Remaining Length. */
  body: Uint8Array;
}

/** Valid packets of both versions, encoded: the corpus mutations start from. */
function corpus(): Seed[] {
  const seeds: Seed[] = [];
  for (const version of [5, 4, 3] as const) {
    const packets = fc.sample(packetArbitrary(version), {
      seed: SEED + version,
      numRuns: 400,
    });
    for (const packet of packets) {
      const bytes = encode(packet, { protocolVersion: version });
      if (bytes.length > CORPUS_MAX_BYTES) continue;
      let bodyStart = 2;
      while (bytes[bodyStart - 1] & 0x80) bodyStart++;
      seeds.push({
        bytes,
        version,
        first: bytes[0],
        body: bytes.subarray(bodyStart),
      });
    }
  }
  return seeds;
}

const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x03, 0x7f, 0x80, 0xff, 0xfe];
const INTERESTING_U16 = [0x0000, 0x0001, 0x00ff, 0x7fff, 0x8000, 0xffff];

/** One random change to a packet body. */
function mutateBody(r: Random, body: Uint8Array, seeds: Seed[]): Uint8Array {
  const at = r.below(body.length + 1);
  switch (r.below(11)) {
    case 0: { // flip a bit
      if (body.length === 0) return body;
      const out = body.slice();
      out[r.below(out.length)] ^= 1 << r.below(8);
      return out;
    }
    case 1: { // set a byte
      if (body.length === 0) return body;
      const out = body.slice();
      out[r.below(out.length)] = r.chance(0.5)
        ? r.pick(INTERESTING_BYTES)
        : r.next() & 0xff;
      return out;
    }
    case 2: { // nudge a byte by one: length fields, flags, codes
      if (body.length === 0) return body;
      const out = body.slice();
      const i = r.below(out.length);
      out[i] = (out[i] + (r.chance(0.5) ? 1 : 255)) & 0xff;
      return out;
    }
    case 3: { // overwrite a two-byte window: a string or binary length
      if (body.length < 2) return body;
      const out = body.slice();
      const i = r.below(out.length - 1);
      const value = r.chance(0.5)
        ? r.pick(INTERESTING_U16)
        : (((out[i] << 8) | out[i + 1]) + r.below(9) - 4) & 0xffff;
      out[i] = value >> 8;
      out[i + 1] = value & 0xff;
      return out;
    }
    case 4: // truncate
      return body.subarray(0, at);
    case 5: // extend
      return concat(body, r.bytes(1 + r.below(8)));
    case 6: // insert bytes
      return concat(
        body.subarray(0, at),
        r.bytes(1 + r.below(6)),
        body.subarray(at),
      );
    case 7: { // delete a range
      const end = Math.min(body.length, at + 1 + r.below(6));
      return concat(body.subarray(0, at), body.subarray(end));
    }
    case 8: { // duplicate a range
      const end = Math.min(body.length, at + 1 + r.below(12));
      return concat(body.subarray(0, end), body.subarray(at));
    }
    case 9: { // splice in part of another packet
      const other = r.pick(seeds).body;
      const from = r.below(other.length + 1);
      const piece = other.subarray(from, from + 1 + r.below(16));
      return concat(body.subarray(0, at), piece, body.subarray(at));
    }
    default: { // write a long Variable Byte Integer: 0x80 runs, 5 bytes
      const run = [0xff, 0xff, 0xff, 0x7f, 0x80, 0x80, 0x80, 0x80, 0x00];
      const start = r.below(run.length);
      const piece = run.slice(start, start + 1 + r.below(5));
      return concat(body.subarray(0, at), piece, body.subarray(at));
    }
  }
}

/** A mutated packet: a changed body, maybe a changed header. */
function mutated(r: Random, seeds: Seed[]): {
  bytes: Uint8Array;
  version: ProtocolVersion;
} {
  const seed = r.pick(seeds);
  let body = seed.body;
  const changes = 1 + r.below(3);
  for (let i = 0; i < changes; i++) body = mutateBody(r, body, seeds);
  let first = seed.first;
  if (r.chance(0.1)) {
    first = r.chance(0.5)
      ? first ^ (1 << r.below(8)) // a flag or a type bit
      : (r.below(16) << 4) | [0, 2][r.below(2)];
  }
  let length: number[];
  const lengthKind = r.below(20);
  if (lengthKind < 16) {
    length = vbi(body.length);
  } else if (lengthKind < 18) {
    // not minimal [MQTT-1.5.5-1]: one continuation byte too many
    const minimal = vbi(body.length);
    minimal[minimal.length - 1] |= 0x80;
    length = [...minimal, 0x00];
  } else {
    length = vbi(Math.max(0, body.length + r.below(7) - 3));
  }
  let bytes = concat([first], length, body);
  if (r.chance(0.03)) bytes = bytes.subarray(0, r.below(bytes.length));
  // the decoded version is usually the corpus packet's, sometimes the other
  const version = r.chance(0.85) ? seed.version : seed.version === 5 ? 4 : 5;
  return { bytes, version };
}

/** Random bytes: sometimes with a correct fixed header in front. */
function randomInput(r: Random): Uint8Array {
  const body = r.bytes(r.below(48));
  if (r.chance(0.3)) return body;
  const first = r.chance(0.5)
    ? (r.below(16) << 4) | [0, 2][r.below(2)]
    : r.next() & 0xff;
  return concat([first], vbi(body.length), body);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/**
 * Checks what `decode` returned for `input`: every Uint8Array is a view of
 * the input, and no list or string is longer than the input.
 */
function assertBoundedByInput(packet: Packet, input: Uint8Array): void {
  let characters = 0;
  const visit = (value: unknown, path: string): void => {
    if (value instanceof Uint8Array) {
      assert(value.buffer === input.buffer, `${path} is a copy, not a view`);
      assert(value.length <= input.length, `${path} outgrows the input`);
    } else if (typeof value === "string") {
      characters += value.length;
    } else if (Array.isArray(value)) {
      assert(value.length <= input.length, `${path} has ${value.length} items`);
      value.forEach((item, i) => visit(item, `${path}[${i}]`));
    } else if (typeof value === "object" && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        // the type is a constant, not made from the input
        if (key !== "type") visit(item, `${path}.${key}`);
      }
    }
  };
  visit(packet, "packet");
  assert(characters <= input.length, "the strings outgrow the input");
}

interface Tally {
  inputs: number;
  accepted: number;
  rejected: number;
}

/**
 * Decodes one fuzz input and checks the outcome; returns whether it was
 * accepted. Throws an AssertionError naming the input on any violation.
 */
function fuzzDecode(
  input: Uint8Array,
  version: ProtocolVersion,
  maximumPacketSize: number | undefined,
): boolean {
  const options = maximumPacketSize === undefined
    ? { protocolVersion: version }
    : { protocolVersion: version, maximumPacketSize };
  let packet: Packet;
  try {
    packet = decode(input, options);
  } catch (error) {
    if (!(error instanceof MqttError)) {
      throw new AssertionError(
        `decode threw ${String(error)} (not an MqttError) for MQTT ${version}` +
          ` input [${hex(input)}] with ${JSON.stringify(options)}`,
        { cause: error },
      );
    }
    if (error.reasonCode < 0x80 || error.message === "") {
      throw new AssertionError(
        `decode threw MqttError ${error.reasonCode} "${error.message}" for [${
          hex(input)
        }]`,
      );
    }
    return false;
  }
  try {
    assertBoundedByInput(packet, input);
    if (maximumPacketSize !== undefined) {
      assert(input.length <= maximumPacketSize, "above maximumPacketSize");
    }
    // what decode accepts, encode writes back, and it decodes the same
    const again = encode(packet, { protocolVersion: version });
    assertEquals(decode(again, { protocolVersion: version }), packet);
  } catch (error) {
    throw new AssertionError(
      `MQTT ${version} input [${hex(input)}] decoded to ${
        Deno.inspect(packet, { depth: 4 })
      }: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return true;
}

describe("fuzzing decode (seeded)", () => {
  const seeds = corpus();

  it(`survives ${MUTATED_INPUTS} mutated packets: only MqttError, no allocation beyond the input`, () => {
    assert(seeds.length > 500, `a corpus of ${seeds.length} packets`);
    const r = new Random(SEED);
    const tally: Tally = { inputs: 0, accepted: 0, rejected: 0 };
    const typesAccepted = new Set<number>();
    for (let i = 0; i < MUTATED_INPUTS; i++) {
      const { bytes, version } = mutated(r, seeds);
      const maximum = r.chance(0.15)
        ? r.below(bytes.length + 8) // reject some with 0x95, let others pass
        : undefined;
      tally.inputs++;
      if (fuzzDecode(bytes, version, maximum)) {
        tally.accepted++;
        typesAccepted.add(bytes[0] >> 4);
      } else {
        tally.rejected++;
      }
    }
    // the mutations reach past the first checks: many still decode, many not
    assert(tally.accepted > MUTATED_INPUTS / 20, JSON.stringify(tally));
    assert(tally.rejected > MUTATED_INPUTS / 4, JSON.stringify(tally));
    assertEquals(typesAccepted.size, 15, "every packet type decoded");
  });

  it(`survives ${RANDOM_INPUTS} random inputs, with and without a maximum packet size`, () => {
    const r = new Random(SEED ^ 0xffff);
    for (let i = 0; i < RANDOM_INPUTS; i++) {
      const bytes = randomInput(r);
      const version: ProtocolVersion = r.chance(0.5) ? 5 : 4;
      fuzzDecode(bytes, version, r.chance(0.2) ? r.below(64) : undefined);
    }
  });

  it("rejects inputs and options of the wrong type with MqttError, and only with it", () => {
    const valid = seeds[0].bytes;
    const inputs: unknown[] = [
      undefined,
      null,
      0,
      "\x30\x00",
      [0x30, 0x00],
      valid.buffer,
      new Uint16Array(2),
      new DataView(new ArrayBuffer(2)),
      {},
    ];
    for (const input of inputs) {
      assertOnlyMqttError(() => decode(input as Uint8Array), input);
      assertThrows(() => decode(input as Uint8Array), MqttError);
    }
    const options: unknown[] = [
      { protocolVersion: 2 },
      { protocolVersion: "5" },
      { protocolVersion: 5n },
      { protocolVersion: null },
      { maximumPacketSize: -1 },
      { maximumPacketSize: 0 },
      { maximumPacketSize: NaN },
      { maximumPacketSize: "10" },
      { maximumPacketSize: Object.create(null) },
      { maximumPacketSize: Symbol("size") },
      { protocolVersion: Object.create(null) },
      { protocolVersion: Symbol("version") },
    ];
    for (const option of options) {
      const action = () => decode(valid, option as { protocolVersion: 5 });
      assertOnlyMqttError(action, option);
      assertThrows(action, MqttError);
    }
  });
});

// --- encode --------------------------------------------------------------------

const LONG_STRING = "x".repeat(70_000);
const LONG_BYTES = new Uint8Array(70_000);

/**
 * Makers of wrong values: each call makes fresh objects, so that a later
 * corruption of one packet does not reach into another.
 */
const GARBAGE: (() => unknown)[] = [
  () => undefined,
  () => null,
  () => true,
  () => false,
  () => 0,
  () => -0,
  () => -1,
  () => 1,
  () => 2,
  () => 3,
  () => 4,
  () => 5,
  () => 1.5,
  () => NaN,
  () => Infinity,
  () => -Infinity,
  () => 65_536,
  () => 0x1_0000_0000,
  () => 268_435_456,
  () => 2 ** 53,
  () => -(2 ** 31),
  () => 1n,
  () => "",
  () => "a",
  () => "a/+",
  () => "#",
  () => "\0",
  () => "\uD800",
  () => LONG_STRING,
  () => Symbol("s"),
  () => ({}),
  () => [],
  () => [[]],
  () => [["a"]],
  () => [["a", "b", "c"]],
  () => [[1, 2]],
  () => [["a", 1]],
  () => [0],
  () => ["a"],
  () => [{}],
  () => [null],
  () => new Uint8Array(3),
  () => LONG_BYTES,
  () => new Uint16Array(2),
  () => new ArrayBuffer(2),
  () => Object.create(null),
  () => () => 0,
  () => new Date(0),
  () => ({ type: "publish" }),
];

function garbage(r: Random): unknown {
  return r.pick(GARBAGE)();
}

const PACKET_TYPES = packetTypes(5);

const FIELD_NAMES = [
  "type",
  "protocolVersion",
  "clientId",
  "cleanStart",
  "keepAlive",
  "username",
  "password",
  "will",
  "topic",
  "payload",
  "qos",
  "retain",
  "dup",
  "packetId",
  "sessionPresent",
  "reasonCode",
  "reasonCodes",
  "subscriptions",
  "topicFilters",
  "topicFilter",
  "userProperties",
  "subscriptionIdentifiers",
  "subscriptionIdentifier",
  "topicAlias",
  "receiveMaximum",
  "maximumQoS",
  "correlationData",
  "authenticationMethod",
  "authenticationData",
  "payloadFormatIndicator",
  "noLocal",
  "retainHandling",
];

/** Every (container, key) pair of a value, nested objects and arrays included. */
function slots(root: object): [Record<string, unknown>, string][] {
  const found: [Record<string, unknown>, string][] = [];
  const visit = (value: unknown): void => {
    if (typeof value !== "object" || value === null) return;
    const prototype = Object.getPrototypeOf(value);
    // only into arrays and plain objects: typed arrays cannot lose items
    if (
      !Array.isArray(value) && prototype !== Object.prototype &&
      prototype !== null
    ) return;
    for (const key of Object.keys(value)) {
      found.push([value as Record<string, unknown>, key]);
      visit((value as Record<string, unknown>)[key]);
    }
  };
  visit(root);
  return found;
}

/** A valid packet spoiled in 1 to 3 places. */
function garbagePacket(r: Random, packets: Packet[]): unknown {
  if (r.chance(0.05)) return garbage(r);
  const packet = structuredClone(r.pick(packets)) as unknown as Record<
    string,
    unknown
  >;
  const changes = 1 + r.below(3);
  for (let i = 0; i < changes; i++) {
    const where = slots(packet);
    switch (where.length === 0 ? 1 : r.below(5)) {
      case 0: { // delete a field
        const [container, key] = r.pick(where);
        if (Array.isArray(container)) container.splice(Number(key), 1);
        else delete container[key];
        break;
      }
      case 1: // a field of another packet type, or an unknown one
        packet[r.pick(FIELD_NAMES)] = garbage(r);
        break;
      case 2: // another type, the fields left as they are
        packet.type = r.chance(0.8) ? r.pick(PACKET_TYPES) : garbage(r);
        break;
      default: { // a garbage value anywhere
        const [container, key] = r.pick(where);
        container[key] = garbage(r);
      }
    }
  }
  return packet;
}

function assertOnlyMqttError(action: () => unknown, input: unknown): void {
  try {
    action();
  } catch (error) {
    if (!(error instanceof MqttError)) {
      throw new AssertionError(
        `threw ${String(error)} (not an MqttError) for ${
          Deno.inspect(input, { depth: 3, strAbbreviateSize: 40 })
        }`,
        { cause: error },
      );
    }
  }
}

describe("fuzzing encode (seeded)", () => {
  it("describes values that have no text form in its MqttError (regressions)", () => {
    const cases: [unknown, number][] = [
      [{ type: 1n }, 0x82],
      [{ type: Symbol("t") }, 0x82],
      [{ type: Object.create(null) }, 0x82],
      [{ type: "puback", packetId: 1, reasonCode: Object.create(null) }, 0x81],
      [{
        type: "connect",
        protocolVersion: Object.create(null),
        clientId: "c",
        cleanStart: true,
        keepAlive: 0,
      }, 0x84],
      [{
        type: "publish",
        topic: "t",
        payload: new Uint8Array(0),
        qos: Object.create(null),
        retain: false,
        dup: false,
      }, 0x81],
      [{
        type: "subscribe",
        packetId: 1,
        subscriptions: [{
          topicFilter: "t",
          qos: 0,
          retainHandling: Object.create(null),
        }],
      }, 0x82],
    ];
    for (const [packet, reasonCode] of cases) {
      const error = assertThrows(() => encode(packet as Packet), MqttError);
      assertEquals(error.reasonCode, reasonCode, error.message);
    }
    const options = { protocolVersion: Object.create(null) };
    const error = assertThrows(
      () => encode({ type: "pingreq" }, options),
      MqttError,
    );
    assertEquals(error.reasonCode, 0x84);
  });

  it(`survives ${GARBAGE_OBJECTS} garbage packets: only MqttError, and what it writes decodes`, () => {
    const packets = [
      ...fc.sample(packetArbitrary(5), { seed: SEED, numRuns: 300 }),
      ...fc.sample(packetArbitrary(4), { seed: SEED, numRuns: 300 }),
      ...fc.sample(packetArbitrary(3), { seed: SEED, numRuns: 100 }),
    ].filter((p) => p.type !== "publish" || p.payload.length < 4_096);
    const r = new Random(SEED ^ 0xabcdef);
    let written = 0;
    for (let i = 0; i < GARBAGE_OBJECTS; i++) {
      const packet = garbagePacket(r, packets);
      const version = r.chance(0.9) ? r.pick([3, 4, 5] as const) : undefined;
      const options = r.chance(0.02)
        ? { protocolVersion: garbage(r) }
        : { protocolVersion: version };
      let bytes: Uint8Array;
      try {
        bytes = encode(packet as Packet, options as { protocolVersion: 5 });
      } catch (error) {
        if (error instanceof MqttError) continue;
        throw new AssertionError(
          `encode threw ${String(error)} (not an MqttError) for ${
            Deno.inspect(packet, { depth: 3, strAbbreviateSize: 40 })
          } with ${Deno.inspect(options)}`,
          { cause: error },
        );
      }
      written++;
      // encode never writes what decode rejects
      // it wrote with the version asked for, 5 by default; a CONNECT with its own
      const decodeVersion = options.protocolVersion as
        | ProtocolVersion
        | undefined;
      assertOnlyMqttError(() => {
        try {
          decode(bytes, { protocolVersion: decodeVersion });
        } catch (error) {
          throw new AssertionError(
            `encode wrote [${hex(bytes)}] that decode rejects (${
              error instanceof Error ? error.message : String(error)
            }) for ${
              Deno.inspect(packet, { depth: 3, strAbbreviateSize: 40 })
            }`,
          );
        }
      }, packet);
    }
    // the garbage is not all rejected up front (strict objects refuse every
    // packet given a field of another type, which is most of the changes)
    assert(written > GARBAGE_OBJECTS / 40, `only ${written} were written`);
  });
});
