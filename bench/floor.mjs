/**
 * The floor of encoding and decoding: a hand-written encoder and decoder for
 * exactly one packet shape — the small MQTT 5 PUBLISH of the benchmarks
 * (QoS 1, an ASCII topic, a Packet Identifier, one User Property, a payload
 * under 128 bytes) — that check nothing. The encoder allocates once, writes
 * the strings in place and copies the payload; the decoder reads the fields
 * at the offsets the shape fixes. No general codec can be faster than this;
 * `encode` and `decode` are measured against it.
 *
 * Plain JavaScript, so that every runtime runs it as it is. It measures the
 * module named as its argument, or else the bundle (`deno task build` makes
 * `dist/mqtt_codec.mjs`). What users run is the source, one module a file
 * (JSR serves Deno the TypeScript and npm clients a file-by-file
 * transpile), so the numbers in bench/README.md come from `mod.ts`; the
 * bundle differs in one way that shows here, esbuild turning module-level
 * `const` into `var`:
 *
 * ```sh
 * deno run -A bench/floor.mjs mod.ts
 * bun bench/floor.mjs mod.ts
 * node --experimental-strip-types bench/floor.mjs mod.ts   # Node 22
 * deno task build && node bench/floor.mjs                  # Node 20: the bundle
 * ```
 *
 * @module
 */

/**
 * Encodes `{ topic, packetId, userProperties: [[name, value]], payload }`
 * as a QoS 1 PUBLISH, assuming ASCII strings and a Remaining Length under
 * 16,384 and a Property Length under 128: nothing is checked.
 *
 * @param {{ topic: string, packetId: number, userProperties: [string, string][], payload: Uint8Array }} packet
 * @returns {Uint8Array}
 */
export function floorEncode(packet) {
  const topic = packet.topic;
  const [name, value] = packet.userProperties[0];
  const payload = packet.payload;
  const properties = 1 + 2 + name.length + 2 + value.length;
  const remaining = 2 + topic.length + 2 + 1 + properties + payload.length;
  const header = remaining < 128 ? 2 : 3;
  const out = new Uint8Array(header + remaining);
  out[0] = 0x32; // PUBLISH, QoS 1
  if (header === 2) {
    out[1] = remaining;
  } else {
    out[1] = (remaining & 0x7f) | 0x80;
    out[2] = remaining >> 7;
  }
  let p = header;
  out[p++] = topic.length >> 8;
  out[p++] = topic.length & 0xff;
  for (let i = 0; i < topic.length; i++) out[p++] = topic.charCodeAt(i);
  out[p++] = packet.packetId >> 8;
  out[p++] = packet.packetId & 0xff;
  out[p++] = properties;
  out[p++] = 0x26; // User Property
  out[p++] = 0;
  out[p++] = name.length;
  for (let i = 0; i < name.length; i++) out[p++] = name.charCodeAt(i);
  out[p++] = 0;
  out[p++] = value.length;
  for (let i = 0; i < value.length; i++) out[p++] = value.charCodeAt(i);
  out.set(payload, p);
  return out;
}

const hasOwnProperty = Object.prototype.hasOwnProperty;

/**
 * The floor plus the least that strict objects (refusing a field the packet
 * type does not have) must add: one walk over the packet's own keys, which
 * here only counts them and looks at none. No encoder that refuses unknown
 * fields can do less. Writes the floor's bytes.
 *
 * @param {{ topic: string, packetId: number, userProperties: [string, string][], payload: Uint8Array }} packet
 * @returns {Uint8Array}
 */
export function floorWalkingKeys(packet) {
  let keys = 0;
  for (const key in packet) {
    if (hasOwnProperty.call(packet, key)) keys++;
  }
  if (keys === 0) throw new Error("no keys");
  return floorEncode(packet);
}

/**
 * The floor plus the least the values must be checked (the rules `decode`
 * enforces on the same fields), each in its cheapest form and no key walk:
 * QoS, RETAIN and DUP as literals, the Packet Identifier's range, the
 * payload's type, and every character of the three strings tested for
 * ASCII without U+0000 (and the topic for wildcards) as it is written. It
 * handles only this shape and throws a bare `Error`; our `encode` does
 * neither. Writes the floor's bytes.
 *
 * @param {{ topic: string, packetId: number, userProperties: [string, string][], payload: Uint8Array, qos: number, retain: boolean, dup: boolean }} packet
 * @returns {Uint8Array}
 */
export function floorCheckingValues(packet) {
  const { topic, payload, packetId, userProperties } = packet;
  if (
    packet.qos !== 1 || packet.retain !== false || packet.dup !== false ||
    typeof topic !== "string" || !(payload instanceof Uint8Array) ||
    (packetId & 0xffff) !== packetId || packetId === 0 ||
    !Array.isArray(userProperties) || userProperties.length !== 1
  ) {
    throw new Error("not the floor's shape");
  }
  const pair = userProperties[0];
  if (!Array.isArray(pair) || pair.length !== 2) throw new Error("not a pair");
  const name = pair[0];
  const value = pair[1];
  if (typeof name !== "string" || typeof value !== "string") {
    throw new Error("not strings");
  }
  const properties = 1 + 2 + name.length + 2 + value.length;
  const remaining = 2 + topic.length + 2 + 1 + properties + payload.length;
  const header = remaining < 128 ? 2 : 3;
  const out = new Uint8Array(header + remaining);
  out[0] = 0x32;
  if (header === 2) {
    out[1] = remaining;
  } else {
    out[1] = (remaining & 0x7f) | 0x80;
    out[2] = remaining >> 7;
  }
  let p = header;
  out[p++] = topic.length >> 8;
  out[p++] = topic.length & 0xff;
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    // 1 to 0x7F, and not '#' or '+'
    if (c - 1 >>> 0 >= 0x7f || c === 0x23 || c === 0x2b) {
      throw new Error("not an ASCII topic name");
    }
    out[p++] = c;
  }
  out[p++] = packetId >> 8;
  out[p++] = packetId & 0xff;
  out[p++] = properties;
  out[p++] = 0x26;
  p = checkedAscii(out, p, name);
  p = checkedAscii(out, p, value);
  out.set(payload, p);
  return out;
}

/** Writes `text` with its length at `p`, refusing what is not ASCII without U+0000. */
function checkedAscii(out, p, text) {
  out[p++] = text.length >> 8;
  out[p++] = text.length & 0xff;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c - 1 >>> 0 >= 0x7f) throw new Error("not ASCII");
    out[p++] = c;
  }
  return p;
}

/** An ASCII string from `length` bytes at `start`, as a hand-written decoder would make it. */
function ascii(bytes, start, length) {
  return String.fromCharCode.apply(null, bytes.subarray(start, start + length));
}

/**
 * Decodes the bytes `floorEncode` writes into the packet object `decode`
 * returns for them, trusting every length and flag.
 *
 * @param {Uint8Array} bytes
 */
export function floorDecode(bytes) {
  let p = bytes[1] & 0x80 ? 3 : 2;
  const topicLength = (bytes[p] << 8) | bytes[p + 1];
  const topic = ascii(bytes, p + 2, topicLength);
  p += 2 + topicLength;
  const packetId = (bytes[p] << 8) | bytes[p + 1];
  const propertiesEnd = p + 3 + bytes[p + 2];
  p += 4; // past the Packet Identifier, Property Length and identifier 0x26
  const nameLength = (bytes[p] << 8) | bytes[p + 1];
  const name = ascii(bytes, p + 2, nameLength);
  p += 2 + nameLength;
  const valueLength = (bytes[p] << 8) | bytes[p + 1];
  const value = ascii(bytes, p + 2, valueLength);
  return {
    type: "publish",
    topic,
    payload: bytes.subarray(propertiesEnd),
    qos: 1,
    retain: false,
    dup: false,
    packetId,
    userProperties: [[name, value]],
  };
}

/** The packet both are measured on: `SMALL_PUBLISH` of `packets.ts`. */
export function smallPublish() {
  const payload = new Uint8Array(64);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
  return {
    type: "publish",
    topic: "sensors/room-12/temp",
    payload,
    qos: 1,
    retain: false,
    dup: false,
    packetId: 4242,
    userProperties: [["unit", "celsius"]],
  };
}

/**
 * Times `ours` against `floor` in interleaved rounds (as `summary.ts`
 * does) and returns the median over rounds of ours ÷ floor, and the median
 * times in nanoseconds.
 */
export function compare(ours, floor, rounds = 21, calls = 20_000) {
  for (let i = 0; i < 200_000; i++) {
    ours();
    floor();
  }
  const ratios = [];
  const oursTimes = [];
  const floorTimes = [];
  for (let r = 0; r < rounds; r++) {
    // alternate which goes first, so neither always runs on a warmer cache
    const order = r % 2 === 0 ? [ours, floor] : [floor, ours];
    const times = new Map();
    for (const fn of order) {
      const start = performance.now();
      for (let i = 0; i < calls; i++) fn();
      times.set(fn, (performance.now() - start) * 1e6 / calls);
    }
    ratios.push(times.get(ours) / times.get(floor));
    oursTimes.push(times.get(ours));
    floorTimes.push(times.get(floor));
  }
  const median = (values) => values.sort((a, b) => a - b)[values.length >> 1];
  return {
    ratio: median(ratios),
    ours: median(oursTimes),
    floor: median(floorTimes),
  };
}

/** Measures `encode` and `decode` (of the module named, or the bundle) against the floor and the bounds; prints a line each. */
async function main() {
  const argument = globalThis.Deno?.args[0] ?? globalThis.process?.argv[2];
  const runtime = `${
    globalThis.Bun
      ? `Bun ${globalThis.Bun.version}`
      : globalThis.Deno
      ? `Deno ${globalThis.Deno.version.deno}`
      : `Node ${globalThis.process.version}`
  } (${argument ?? "the bundle"})`;
  const target = argument === undefined
    ? new URL("../dist/mqtt_codec.mjs", import.meta.url)
    : new URL(argument, `file://${globalThis.process?.cwd?.() ?? Deno.cwd()}/`);
  const { decode, encode } = await import(target.href);
  const packet = smallPublish();
  const bytes = encode(packet);
  const floorBytes = floorEncode(packet);
  if (
    bytes.length !== floorBytes.length ||
    bytes.some((b, i) => b !== floorBytes[i])
  ) {
    throw new Error("the floor does not write the bytes encode writes");
  }
  if (
    JSON.stringify(floorDecode(bytes), replacer) !==
      JSON.stringify(decode(bytes), replacer)
  ) {
    throw new Error("the floor does not read the packet decode reads");
  }
  for (const bound of [floorWalkingKeys, floorCheckingValues]) {
    const boundBytes = bound(packet);
    if (boundBytes.some((b, i) => b !== floorBytes[i])) {
      throw new Error(`${bound.name} does not write the floor's bytes`);
    }
  }
  let sink = 0;
  const walking = compare(
    () => sink += floorWalkingKeys(packet).length,
    () => sink += floorEncode(packet).length,
  );
  const checking = compare(
    () => sink += floorCheckingValues(packet).length,
    () => sink += floorEncode(packet).length,
  );
  const encoding = compare(
    () => sink += encode(packet).length,
    () => sink += floorEncode(packet).length,
  );
  const decoding = compare(
    () => sink += decode(bytes).topic.length,
    () => sink += floorDecode(bytes).topic.length,
  );
  for (const [what, result] of [["encode", encoding], ["decode", decoding]]) {
    console.log(
      `${runtime}: ${what} small PUBLISH ${result.ours.toFixed(0)} ns, floor ${
        result.floor.toFixed(0)
      } ns: ${result.ratio.toFixed(2)}x the floor's time`,
    );
  }
  for (
    const [what, result] of [
      ["the floor walking the packet's keys", walking],
      ["the floor checking the values", checking],
    ]
  ) {
    console.log(
      `${runtime}: ${what}: ${result.ratio.toFixed(2)}x the floor's time`,
    );
  }
  if (sink === 0) console.log("");
}

function replacer(_key, value) {
  return value instanceof Uint8Array ? [...value] : value;
}

if (
  import.meta.main ??
    (globalThis.process?.argv?.[1] === new URL(import.meta.url).pathname)
) {
  await main();
}
