/**
 * fast-check arbitraries for valid MQTT control packets of every type, in
 * MQTT 5.0 and MQTT 3.1.1.
 *
 * Every generated packet is in the canonical decoded form, so that
 * `decode(encode(p))` deep-equals `p`:
 *
 * - MQTT 5.0 PUBACK/PUBREC/PUBREL/PUBCOMP, DISCONNECT and AUTH always carry
 *   `reasonCode`; their MQTT 3.1.1 forms never do.
 * - An MQTT 3.1.1 UNSUBACK has `reasonCodes: []`.
 * - MQTT 5.0 subscriptions carry `noLocal`, `retainAsPublished` and
 *   `retainHandling`; MQTT 3.1.1 ones only `topicFilter` and `qos`.
 * - No empty `userProperties` or `subscriptionIdentifiers` arrays.
 * - `packetId` is present exactly when a PUBLISH has qos > 0.
 * - An AUTH is either `{ type: "auth", reasonCode: 0 }` or carries an
 *   `authenticationMethod`.
 * - Objects have the ordinary prototype (fast-check may make null-prototype
 *   records; they are always copied).
 *
 * The values lean on boundaries: 0, 65535, 0xFFFFFFFF, the Variable Byte
 * Integer limits up to 268435455, multi-byte UTF-8 (emoji, U+FFFF,
 * U+10FFFF, a leading BOM) and a 65,535-byte string, empty and large
 * payloads, duplicated User Property names, shared subscriptions.
 *
 * @example Round trip of random packets
 * ```ts
 * import fc from "fast-check";
 * import { assertEquals } from "@std/assert";
 * import { decode, encode } from "../mod.ts";
 * import { packetArbitrary } from "./arbitraries.ts";
 *
 * fc.assert(fc.property(packetArbitrary(5), (packet) => {
 *   assertEquals(decode(encode(packet)), packet);
 * }));
 * ```
 *
 * @module
 */

import fc from "fast-check";
import type {
  AuthPacket,
  ConnackPacket,
  ConnectPacket,
  DisconnectPacket,
  MessageProperties,
  Packet,
  PacketType,
  PingreqPacket,
  PingrespPacket,
  ProtocolVersion,
  PublishAcknowledgement,
  PublishPacket,
  QoS,
  SubackPacket,
  SubscribePacket,
  Subscription,
  UnsubackPacket,
  UnsubscribePacket,
  UserProperties,
  Will,
} from "../src/packet.ts";
import { isValidReasonCode } from "../src/reason_code.ts";
import { topicFilterProblem, topicNameProblem } from "../src/topic.ts";

/** The largest Variable Byte Integer (section 1.5.5). */
export const MAX_VBI = 268_435_455;

/** The largest UTF-8 Encoded String: 21,845 three-byte characters, 65,535 bytes. */
export const LONGEST_STRING: string = "€".repeat(21_845);

/** Strings that exercise UTF-8 corners; all valid MQTT strings. */
const SPECIAL_STRINGS = [
  "",
  "\uFEFFbom", // a leading BOM is kept [MQTT-1.5.4-3]
  "😀",
  "👩‍👩‍👧‍👦",
  "é",
  "日本語",
  "\u{10FFFF}",
  "\uFFFF",
  "\u007F\u0080\u07FF\u0800",
  "\u0001\u001F",
  "a b",
];

/** The packet types of a protocol version (AUTH is MQTT 5.0 only). */
export function packetTypes(version: ProtocolVersion): PacketType[] {
  const types: PacketType[] = [
    "connect",
    "connack",
    "publish",
    "puback",
    "pubrec",
    "pubrel",
    "pubcomp",
    "subscribe",
    "suback",
    "unsubscribe",
    "unsuback",
    "pingreq",
    "pingresp",
    "disconnect",
  ];
  return version === 5 ? [...types, "auth"] : types;
}

/** The reason codes the specification lists for a packet type and version. */
export function validReasonCodes(
  type: PacketType,
  version: ProtocolVersion,
): number[] {
  const codes: number[] = [];
  for (let code = 0; code < 256; code++) {
    if (isValidReasonCode(type, code, version)) codes.push(code);
  }
  return codes;
}

function reasonCodeArbitrary(
  type: PacketType,
  version: ProtocolVersion,
): fc.Arbitrary<number> {
  return fc.constantFrom(...validReasonCodes(type, version));
}

// --- numbers -----------------------------------------------------------------

/** A Two Byte Integer, from `min` (0 or 1) to 65535, boundaries favoured. */
export function u16Arbitrary(min: 0 | 1 = 0): fc.Arbitrary<number> {
  const edges = [0, 1, 127, 128, 255, 256, 0x7fff, 0x8000, 65_534, 65_535];
  return fc.oneof(
    fc.constantFrom(...edges.filter((n) => n >= min)),
    fc.integer({ min, max: 0xffff }),
  );
}

/** A Four Byte Integer, from `min` (0 or 1) to 0xFFFFFFFF, boundaries favoured. */
export function u32Arbitrary(min: 0 | 1 = 0): fc.Arbitrary<number> {
  const edges = [
    0,
    1,
    0xffff,
    0x10000,
    0x7fffffff,
    0x80000000,
    0xfffffffe,
    0xffffffff,
  ];
  return fc.oneof(
    fc.constantFrom(...edges.filter((n) => n >= min)),
    fc.integer({ min, max: 0xffffffff }),
  );
}

/** A non-zero Variable Byte Integer, each encoded length's limits favoured. */
export function vbiArbitrary(): fc.Arbitrary<number> {
  return fc.oneof(
    fc.constantFrom(
      1,
      127,
      128,
      16_383,
      16_384,
      2_097_151,
      2_097_152,
      MAX_VBI,
    ),
    fc.integer({ min: 1, max: MAX_VBI }),
  );
}

/** A Packet Identifier: 1 to 65535. */
export function packetIdArbitrary(): fc.Arbitrary<number> {
  return u16Arbitrary(1);
}

/** A QoS level. */
export function qosArbitrary(): fc.Arbitrary<QoS> {
  return fc.constantFrom<QoS>(0, 1, 2);
}

// --- strings and bytes -------------------------------------------------------

/**
 * A short valid UTF-8 Encoded String: printable ASCII, any code point
 * (surrogate pairs included, lone surrogates never), graphemes such as
 * emoji, and hand-picked corners; never U+0000 [MQTT-1.5.4-2].
 */
export function shortStringArbitrary(maxLength = 12): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength }) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength }) },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength }) },
    { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
  ).map((s) => s.replaceAll("\0", ""));
}

/** A valid UTF-8 Encoded String; now and then the longest one (65,535 bytes). */
export function stringArbitrary(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 80, arbitrary: shortStringArbitrary() },
    { weight: 1, arbitrary: fc.constant(LONGEST_STRING) },
  );
}

/** `size` bytes of a cheap pattern: fast to make even when large. */
function patternBytes(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (seed + i * 31) & 0xff;
  return bytes;
}

function sizedBytes(size: fc.Arbitrary<number>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(size, fc.integer({ min: 0, max: 255 })).map(([n, seed]) =>
    patternBytes(n, seed)
  );
}

/** Binary Data: 0 to 65,535 bytes (section 1.5.6). */
export function binaryArbitrary(): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.uint8Array({ maxLength: 16 }) },
    {
      weight: 1,
      arbitrary: sizedBytes(fc.constantFrom(0, 127, 128, 255, 256, 65_535)),
    },
  );
}

/**
 * A PUBLISH payload: usually small, sometimes empty, sometimes sized so the
 * Remaining Length needs 2 or 3 bytes, sometimes up to 100 kB.
 */
export function payloadArbitrary(): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.uint8Array({ maxLength: 32 }) },
    { weight: 2, arbitrary: fc.constant(new Uint8Array(0)) },
    {
      weight: 1,
      arbitrary: sizedBytes(
        fc.constantFrom(120, 127, 128, 16_370, 16_383, 16_384, 65_536),
      ),
    },
    { weight: 1, arbitrary: sizedBytes(fc.integer({ min: 0, max: 100_000 })) },
  );
}

// --- topics ------------------------------------------------------------------

/** One topic level: no '/', '+' or '#'; may be empty. */
function levelArbitrary(): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 2,
      arbitrary: fc.constantFrom("", "a", "sensors", "$SYS", "😀", "é", " "),
    },
    { weight: 3, arbitrary: shortStringArbitrary(6) },
  ).map((s) => s.replace(/[/+#]/g, ""));
}

/** A valid Topic Name: one or more levels, no wildcards, not empty. */
export function topicNameArbitrary(): fc.Arbitrary<string> {
  return fc.array(levelArbitrary(), { minLength: 1, maxLength: 6 })
    .map((levels) => levels.join("/") || "t")
    .filter((topic) => topicNameProblem(topic) === undefined);
}

/**
 * A valid Topic Filter: levels, whole-level '+', a final '#'; in MQTT 5.0
 * also shared subscriptions `$share/{ShareName}/{filter}` (section 4.8.2).
 * In MQTT 3.1.1 a `$share/...` filter is an ordinary one.
 */
export function topicFilterArbitrary(
  version: ProtocolVersion,
): fc.Arbitrary<string> {
  const level = fc.oneof(
    { weight: 3, arbitrary: levelArbitrary() },
    { weight: 1, arbitrary: fc.constant("+") },
  );
  const filter = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.tuple(
        fc.array(level, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
      ).map(([levels, hash]) =>
        (hash ? [...levels, "#"] : levels).join("/") || "f"
      ),
    },
    { weight: 1, arbitrary: fc.constantFrom("#", "+", "+/+", "/", "$SYS/#") },
  );
  const shareName = levelArbitrary().map((name) => name || "group");
  const shared = fc.tuple(shareName, filter).map(([name, rest]) =>
    `$share/${name}/${rest}`
  );
  return fc.oneof(
    { weight: 5, arbitrary: filter },
    { weight: 1, arbitrary: shared },
  ).filter((f) => topicFilterProblem(f, version) === undefined);
}

// --- properties --------------------------------------------------------------

/** User Properties: 1 to 6 pairs, names often repeated. */
export function userPropertiesArbitrary(): fc.Arbitrary<UserProperties> {
  const name = fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom("a", "region", "😀", "") },
    { weight: 3, arbitrary: stringArbitrary() },
  );
  const value = fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom("1", "eu", "") },
    { weight: 3, arbitrary: stringArbitrary() },
  );
  return fc.array(fc.tuple(name, value), { minLength: 1, maxLength: 6 })
    .map((pairs) => pairs.map(([n, v]): [string, string] => [n, v]));
}

/** Merges required fields and optional ones into one ordinary object. */
function merge<A extends object, B extends object>(
  required: fc.Arbitrary<A>,
  optional: fc.Arbitrary<B>,
): fc.Arbitrary<A & B> {
  return fc.tuple(required, optional).map(([a, b]) => ({ ...a, ...b }));
}

/** The application message properties of PUBLISH and the Will. */
function messagePropertiesArbitrary(): fc.Arbitrary<MessageProperties> {
  return fc.record({
    payloadFormatIndicator: fc.boolean(),
    messageExpiryInterval: u32Arbitrary(),
    contentType: stringArbitrary(),
    responseTopic: topicNameArbitrary(),
    correlationData: binaryArbitrary(),
    userProperties: userPropertiesArbitrary(),
  }, { requiredKeys: [] });
}

/** Drops authenticationData when there is no authenticationMethod (sections 3.1.2.11.10, 3.2.2.3.18). */
function authenticationDataNeedsMethod<
  T extends { authenticationMethod?: string; authenticationData?: Uint8Array },
>(packet: T): T {
  if (packet.authenticationMethod !== undefined) return packet;
  const { authenticationData: _, ...rest } = packet;
  return rest as T;
}

// --- packets -----------------------------------------------------------------

/** A Will: MQTT 5.0 adds the Will Properties. */
export function willArbitrary(version: ProtocolVersion): fc.Arbitrary<Will> {
  const base = fc.record({
    topic: topicNameArbitrary(),
    payload: binaryArbitrary(),
    qos: qosArbitrary(),
    retain: fc.boolean(),
  });
  if (version !== 5) return base.map((will) => ({ ...will }));
  return merge(
    base,
    merge(
      messagePropertiesArbitrary(),
      fc.record({ willDelayInterval: u32Arbitrary() }, { requiredKeys: [] }),
    ),
  );
}

/** A CONNECT of the given version. */
export function connectArbitrary(
  version: ProtocolVersion,
): fc.Arbitrary<ConnectPacket> {
  const base = fc.record({
    clientId: stringArbitrary(),
    cleanStart: fc.boolean(),
    keepAlive: u16Arbitrary(),
  });
  const payload = fc.record({
    username: stringArbitrary(),
    password: binaryArbitrary(),
    will: willArbitrary(version),
  }, { requiredKeys: [] });
  if (version !== 5) {
    return merge(base, payload).map((fields) => {
      const packet: ConnectPacket = {
        type: "connect",
        protocolVersion: version,
        ...fields,
      };
      // an empty Client Identifier needs Clean Session [MQTT-3.1.3-7]
      if (packet.clientId === "") packet.cleanStart = true;
      // MQTT 3.1: 1 to 23 characters (3.1 section 3.1, Client Identifier)
      if (version === 3) {
        packet.clientId = [...`c${packet.clientId}`].slice(0, 23).join("");
      }
      // a Password needs a User Name in 3.1.1 [MQTT-3.1.2-22]
      if (packet.password !== undefined && packet.username === undefined) {
        packet.username = "";
      }
      return packet;
    });
  }
  const properties = fc.record({
    sessionExpiryInterval: u32Arbitrary(),
    receiveMaximum: u16Arbitrary(1),
    maximumPacketSize: u32Arbitrary(1),
    topicAliasMaximum: u16Arbitrary(),
    requestResponseInformation: fc.boolean(),
    requestProblemInformation: fc.boolean(),
    userProperties: userPropertiesArbitrary(),
    authenticationMethod: stringArbitrary(),
    authenticationData: binaryArbitrary(),
  }, { requiredKeys: [] });
  return merge(merge(base, payload), properties).map((fields) =>
    authenticationDataNeedsMethod<ConnectPacket>({
      type: "connect",
      protocolVersion: 5,
      ...fields,
    })
  );
}

/** A CONNACK of the given version. */
export function connackArbitrary(
  version: ProtocolVersion,
): fc.Arbitrary<ConnackPacket> {
  const base = fc.record({
    sessionPresent: fc.boolean(),
    reasonCode: reasonCodeArbitrary("connack", version),
  }).map(({ sessionPresent, reasonCode }) => ({
    // Session Present is 0 with a failure code [MQTT-3.2.2-6]
    sessionPresent: sessionPresent && reasonCode === 0,
    reasonCode,
  }));
  if (version !== 5) {
    return base.map((fields) => ({
      type: "connack",
      ...fields,
      // MQTT 3.1 has no Session Present (3.1 section 3.2)
      sessionPresent: version === 4 && fields.sessionPresent,
    }));
  }
  const properties = fc.record({
    sessionExpiryInterval: u32Arbitrary(),
    receiveMaximum: u16Arbitrary(1),
    maximumQoS: fc.constantFrom<0 | 1>(0, 1),
    retainAvailable: fc.boolean(),
    maximumPacketSize: u32Arbitrary(1),
    assignedClientIdentifier: stringArbitrary(),
    topicAliasMaximum: u16Arbitrary(),
    reasonString: stringArbitrary(),
    userProperties: userPropertiesArbitrary(),
    wildcardSubscriptionAvailable: fc.boolean(),
    subscriptionIdentifiersAvailable: fc.boolean(),
    sharedSubscriptionAvailable: fc.boolean(),
    serverKeepAlive: u16Arbitrary(),
    responseInformation: stringArbitrary(),
    serverReference: stringArbitrary(),
    authenticationMethod: stringArbitrary(),
    authenticationData: binaryArbitrary(),
  }, { requiredKeys: [] });
  return merge(base, properties).map((fields) =>
    authenticationDataNeedsMethod<ConnackPacket>({ type: "connack", ...fields })
  );
}

/** A PUBLISH of the given version. */
export function publishArbitrary(
  version: ProtocolVersion,
): fc.Arbitrary<PublishPacket> {
  const base = fc.record({
    topic: topicNameArbitrary(),
    payload: payloadArbitrary(),
    qos: qosArbitrary(),
    retain: fc.boolean(),
    dup: fc.boolean(),
    packetId: packetIdArbitrary(),
  }).map(({ qos, dup, packetId, ...rest }): PublishPacket => {
    const packet: PublishPacket = {
      type: "publish",
      ...rest,
      qos,
      // DUP is 0 for QoS 0 [MQTT-3.3.1-2]
      dup: dup && qos > 0,
    };
    if (qos > 0) packet.packetId = packetId;
    return packet;
  });
  if (version !== 5) return base;
  const properties = merge(
    messagePropertiesArbitrary(),
    fc.record({
      topicAlias: u16Arbitrary(1),
      subscriptionIdentifiers: fc.array(vbiArbitrary(), {
        minLength: 1,
        maxLength: 4,
      }),
    }, { requiredKeys: [] }),
  );
  return fc.tuple(base, properties, fc.boolean()).map(
    ([packet, props, emptyTopic]) => {
      const result: PublishPacket = { ...packet, ...props };
      // an empty Topic Name stands for the Topic Alias (section 3.3.2.3.4)
      if (emptyTopic && result.topicAlias !== undefined) result.topic = "";
      return result;
    },
  );
}

type AckType = "puback" | "pubrec" | "pubrel" | "pubcomp";

/** A PUBACK, PUBREC, PUBREL or PUBCOMP of the given version. */
export function ackArbitrary<T extends AckType>(
  type: T,
  version: ProtocolVersion,
): fc.Arbitrary<PublishAcknowledgement<T>> {
  if (version !== 5) {
    return packetIdArbitrary().map((packetId) => ({ type, packetId }));
  }
  return merge(
    fc.record({
      packetId: packetIdArbitrary(),
      reasonCode: reasonCodeArbitrary(type, 5),
    }),
    fc.record({
      reasonString: stringArbitrary(),
      userProperties: userPropertiesArbitrary(),
    }, { requiredKeys: [] }),
  ).map((fields) => ({ type, ...fields }));
}

/** A PUBACK of the given version. */
export function pubackArbitrary(
  version: ProtocolVersion,
): fc.Arbitrary<PublishAcknowledgement<"puback">> {
  return ackArbitrary("puback", version);
}

/** A PUBREC of the given version. */
export function pubrecArbitrary(
  version: ProtocolVersion,
): fc.Arbitrary<PublishAcknowledgement<"pubrec">> {
  return ackArbitrary("pubrec", version);
}

/** A PUBREL of the given version. */
export function pubrelArbitrary(
  version: ProtocolVersion,
): fc.Arbitrary<PublishAcknowledgement<"pubrel">> {
  return ackArbitrary("pubrel", version);
}

/** A PUBCOMP of the given version. */
export function pubcompArbitrary(
  version: ProtocolVersion,
): fc.Arbitrary<PublishAcknowledgement<"pubcomp">> {
  return ackArbitrary("pubcomp", version);
}

/** One subscription: MQTT 5.0 always has all the options. */
export function subscriptionArbitrary(
  version: ProtocolVersion,
): fc.Arbitrary<Subscription> {
  const base = fc.record({
    topicFilter: topicFilterArbitrary(version),
    qos: qosArbitrary(),
  });
  if (version !== 5) return base.map((s) => ({ ...s }));
  return merge(
    base,
    fc.record({
      noLocal: fc.boolean(),
      retainAsPublished: fc.boolean(),
      retainHandling: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
    }),
  ).map((s) => ({
    ...s,
    // No Local is 0 on a Shared Subscription [MQTT-3.8.3-4]
    noLocal: s.noLocal && !s.topicFilter.startsWith("$share/"),
  }));
}

/** A SUBSCRIBE of the given version. */
export function subscribeArbitrary(
  version: ProtocolVersion,
): fc.Arbitrary<SubscribePacket> {
  const base = fc.record({
    packetId: packetIdArbitrary(),
    subscriptions: fc.array(subscriptionArbitrary(version), {
      minLength: 1,
      maxLength: 5,
    }),
  });
  if (version !== 5) {
    return base.map((fields) => ({ type: "subscribe", ...fields }));
  }
  return merge(
    base,
    fc.record({
      subscriptionIdentifier: vbiArbitrary(),
      userProperties: userPropertiesArbitrary(),
    }, { requiredKeys: [] }),
  ).map((fields) => ({ type: "subscribe", ...fields }));
}

/** A SUBACK of the given version. */
export function subackArbitrary(
  version: ProtocolVersion,
): fc.Arbitrary<SubackPacket> {
  const base = fc.record({
    packetId: packetIdArbitrary(),
    reasonCodes: fc.array(reasonCodeArbitrary("suback", version), {
      minLength: 1,
      maxLength: 8,
    }),
  });
  if (version !== 5) {
    return base.map((fields) => ({ type: "suback", ...fields }));
  }
  return merge(
    base,
    fc.record({
      reasonString: stringArbitrary(),
      userProperties: userPropertiesArbitrary(),
    }, { requiredKeys: [] }),
  ).map((fields) => ({ type: "suback", ...fields }));
}

/** An UNSUBSCRIBE of the given version. */
export function unsubscribeArbitrary(
  version: ProtocolVersion,
): fc.Arbitrary<UnsubscribePacket> {
  const base = fc.record({
    packetId: packetIdArbitrary(),
    topicFilters: fc.array(topicFilterArbitrary(version), {
      minLength: 1,
      maxLength: 5,
    }),
  });
  if (version !== 5) {
    return base.map((fields) => ({ type: "unsubscribe", ...fields }));
  }
  return merge(
    base,
    fc.record({ userProperties: userPropertiesArbitrary() }, {
      requiredKeys: [],
    }),
  ).map((fields) => ({ type: "unsubscribe", ...fields }));
}

/** An UNSUBACK of the given version: no reason codes in MQTT 3.1.1. */
export function unsubackArbitrary(
  version: ProtocolVersion,
): fc.Arbitrary<UnsubackPacket> {
  if (version !== 5) {
    return packetIdArbitrary().map((packetId) => ({
      type: "unsuback",
      packetId,
      reasonCodes: [],
    }));
  }
  return merge(
    fc.record({
      packetId: packetIdArbitrary(),
      reasonCodes: fc.array(reasonCodeArbitrary("unsuback", 5), {
        minLength: 1,
        maxLength: 8,
      }),
    }),
    fc.record({
      reasonString: stringArbitrary(),
      userProperties: userPropertiesArbitrary(),
    }, { requiredKeys: [] }),
  ).map((fields) => ({ type: "unsuback", ...fields }));
}

/** A PINGREQ. */
export function pingreqArbitrary(): fc.Arbitrary<PingreqPacket> {
  return fc.constant(null).map(() => ({ type: "pingreq" }));
}

/** A PINGRESP. */
export function pingrespArbitrary(): fc.Arbitrary<PingrespPacket> {
  return fc.constant(null).map(() => ({ type: "pingresp" }));
}

/** A DISCONNECT of the given version: a bare one in MQTT 3.1.1. */
export function disconnectArbitrary(
  version: ProtocolVersion,
): fc.Arbitrary<DisconnectPacket> {
  if (version !== 5) {
    return fc.constant(null).map(() => ({ type: "disconnect" }));
  }
  return merge(
    fc.record({ reasonCode: reasonCodeArbitrary("disconnect", 5) }),
    fc.record({
      sessionExpiryInterval: u32Arbitrary(),
      reasonString: stringArbitrary(),
      userProperties: userPropertiesArbitrary(),
      serverReference: stringArbitrary(),
    }, { requiredKeys: [] }),
  ).map((fields) => ({ type: "disconnect", ...fields }));
}

/**
 * An AUTH (MQTT 5.0 only): the empty form, or one that names its
 * Authentication Method (section 3.15.2.2.2).
 */
export function authArbitrary(): fc.Arbitrary<AuthPacket> {
  const full = merge(
    fc.record({
      reasonCode: reasonCodeArbitrary("auth", 5),
      authenticationMethod: stringArbitrary(),
    }),
    fc.record({
      authenticationData: binaryArbitrary(),
      reasonString: stringArbitrary(),
      userProperties: userPropertiesArbitrary(),
    }, { requiredKeys: [] }),
  ).map((fields): AuthPacket => ({ type: "auth", ...fields }));
  const empty = fc.constant(null).map((): AuthPacket => ({
    type: "auth",
    reasonCode: 0,
  }));
  return fc.oneof({ weight: 5, arbitrary: full }, {
    weight: 1,
    arbitrary: empty,
  });
}

/**
 * The arbitrary of one packet type in one version.
 *
 * @throws {Error} For AUTH in MQTT 3.1.1, which has no AUTH.
 */
export function arbitraryOf(
  type: PacketType,
  version: ProtocolVersion,
): fc.Arbitrary<Packet> {
  switch (type) {
    case "connect":
      return connectArbitrary(version);
    case "connack":
      return connackArbitrary(version);
    case "publish":
      return publishArbitrary(version);
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
      return ackArbitrary(type, version);
    case "subscribe":
      return subscribeArbitrary(version);
    case "suback":
      return subackArbitrary(version);
    case "unsubscribe":
      return unsubscribeArbitrary(version);
    case "unsuback":
      return unsubackArbitrary(version);
    case "pingreq":
      return pingreqArbitrary();
    case "pingresp":
      return pingrespArbitrary();
    case "disconnect":
      return disconnectArbitrary(version);
    case "auth":
      if (version !== 5) throw new Error("MQTT 3.1.1 has no AUTH packet");
      return authArbitrary();
  }
}

/** A valid packet of any type of the given version, in canonical decoded form. */
export function packetArbitrary(
  version: ProtocolVersion,
): fc.Arbitrary<Packet> {
  return fc.oneof(
    ...packetTypes(version).map((type) => arbitraryOf(type, version)),
  );
}
