/**
 * What differs between the protocol versions, in one place: one object per
 * version (MQTT 3.1, 3.1.1 and 5.0), chosen once per encode or decode and
 * passed down to the packet codecs, which ask it rather than compare version
 * numbers.
 *
 * Each object also names the rules its messages cite: MQTT 3.1.1 and 5.0
 * number their conformance statements differently, and MQTT 3.1 has none,
 * so its rules are cited by section ("MQTT 3.1 section 3.1").
 *
 * @module
 */

import type { PacketType, ProtocolVersion } from "./packet.ts";

/** The citations of the rules whose numbering differs between versions. */
export interface ProtocolRules {
  /** Fixed header flags other than PUBLISH's are as the packet's section lists. */
  readonly fixedHeaderFlags: string;
  /** A packet type the version reserves (AUTH before 5.0). */
  readonly reservedType: string;
  /** A UTF-8 Encoded String is well-formed UTF-8. */
  readonly utf8WellFormed: string;
  /** A UTF-8 Encoded String holds no U+0000 (where the version forbids it). */
  readonly utf8NoNull: string;
  /** PUBLISH (QoS > 0), SUBSCRIBE and UNSUBSCRIBE carry a non-zero Packet Identifier. */
  readonly packetId: string;
  /** PUBACK, PUBREC, PUBREL and PUBCOMP repeat the (non-zero) identifier of the PUBLISH. */
  readonly ackPacketId: string;
  /** SUBACK and UNSUBACK repeat the (non-zero) identifier of the SUBSCRIBE or UNSUBSCRIBE. */
  readonly subackPacketId: string;
  /** A QoS 0 PUBLISH has no Packet Identifier. */
  readonly packetIdWithQoS0: string;
  /** The Protocol Name of a CONNECT. */
  readonly protocolName: string;
  /** The Protocol Level of a CONNECT. */
  readonly protocolLevel: string;
  /** The reserved bit of the Connect Flags is 0. */
  readonly connectReserved: string;
  /** Will QoS is 0 without a Will. */
  readonly willQoSWithoutWill: string;
  /** Will QoS is not 3. */
  readonly willQoS3: string;
  /** Will Retain is 0 without a Will. */
  readonly willRetainWithoutWill: string;
  /** The Will Topic is a topic name: no wildcards. */
  readonly willTopic: string;
  /** A Password needs a User Name (where the version says so). */
  readonly passwordWithoutUsername: string;
  /** The Client Identifier's length (and, in 3.1.1, empty only with Clean Session). */
  readonly clientId: string;
  /** The reserved bits of the CONNACK flags are 0. */
  readonly connackReserved: string;
  /** Session Present is 0 with a non-zero return or reason code. */
  readonly sessionPresent: string;
  /** SUBSCRIBE carries at least one topic filter. */
  readonly subscribeAtLeastOne: string;
  /** UNSUBSCRIBE carries at least one topic filter. */
  readonly unsubscribeAtLeastOne: string;
  /** The Requested QoS byte of a SUBSCRIBE without subscription options. */
  readonly requestedQoS: string;
  /** '#' stands alone as the last level of a topic filter. */
  readonly hashPlacement: string;
  /** '+' fills a whole level of a topic filter. */
  readonly plusPlacement: string;
  /** Which reason (or return) codes a packet may carry, by packet type. */
  readonly reasonCodes: Readonly<Partial<Record<PacketType, string>>>;
}

/**
 * One protocol version: its name and level on the wire, what its packets
 * can carry, and the rules its messages cite.
 */
export interface Protocol {
  /** The Protocol Level: 3 (MQTT 3.1), 4 (MQTT 3.1.1) or 5 (MQTT 5.0). */
  readonly version: ProtocolVersion;
  /** The Protocol Name a CONNECT of this version carries. */
  readonly protocolName: "MQTT" | "MQIsdp";
  /** "MQTT 3.1", "MQTT 3.1.1" or "MQTT 5.0", for messages. */
  readonly label: string;
  /** Properties exist (section 2.2.2 of 5.0). */
  readonly properties: boolean;
  /** PUBACK, PUBREC, PUBREL, PUBCOMP and DISCONNECT carry a reason code. */
  readonly ackReasonCodes: boolean;
  /** UNSUBACK carries one reason code per topic filter. */
  readonly unsubackReasonCodes: boolean;
  /** SUBSCRIBE carries No Local, Retain As Published and Retain Handling. */
  readonly subscriptionOptions: boolean;
  /** Topic filters starting `$share/` are Shared Subscriptions. */
  readonly sharedSubscriptions: boolean;
  /** CONNACK carries Session Present. */
  readonly sessionPresent: boolean;
  /** The AUTH packet exists (type 15 is reserved otherwise). */
  readonly auth: boolean;
  /** A PUBLISH may have an empty Topic Name (with a Topic Alias). */
  readonly emptyTopicWithAlias: boolean;
  /** A CONNECT with a Password must have a User Name. */
  readonly passwordNeedsUsername: boolean;
  /** UTF-8 Encoded Strings may not hold U+0000. */
  readonly forbidsNullCharacter: boolean;
  /** The fewest characters a Client Identifier may have. */
  readonly clientIdMinimum: number;
  /** The most characters a Client Identifier may have (Infinity: only the string limit). */
  readonly clientIdMaximum: number;
  /** An empty Client Identifier needs Clean Session (3.1.1). */
  readonly emptyClientIdNeedsCleanStart: boolean;
  /**
   * PUBREL, SUBSCRIBE and UNSUBSCRIBE may set the DUP flag when re-sent
   * (MQTT 3.1 section 2.1: they are sent with QoS 1 and DUP marks a retry).
   */
  readonly dupOnQoS1Packets: boolean;
  /** The rules cited in messages. */
  readonly rules: ProtocolRules;
  /**
   * The rule each packet type's Packet Identifier cites when it is 0: the
   * one stated for PUBLISH, SUBSCRIBE and UNSUBSCRIBE, and for an
   * acknowledgement also the rule that it repeats that identifier. Made
   * once, not per encode.
   */
  readonly packetIdRules: Readonly<Record<PacketType, string>>;
  /** The labels of each packet type in messages, such as "PUBLISH (MQTT 5.0)". */
  readonly where: Readonly<Record<PacketType, string>>;
  /** Per packet type, a table of 256 entries: 1 where the code is valid. */
  readonly validCodes: Readonly<Partial<Record<PacketType, Uint8Array>>>;
}

/** The reason codes of MQTT 5.0, per packet (sections 3.2.2.2 to 3.15.2.1). */
const REASON_CODES_5: Readonly<Partial<Record<PacketType, readonly number[]>>> =
  {
    // 3.2.2.2 Connect Reason Code
    connack: [
      0x00,
      0x80,
      0x81,
      0x82,
      0x83,
      0x84,
      0x85,
      0x86,
      0x87,
      0x88,
      0x89,
      0x8a,
      0x8c,
      0x90,
      0x95,
      0x97,
      0x99,
      0x9a,
      0x9b,
      0x9c,
      0x9d,
      0x9f,
    ],
    // 3.4.2.1 PUBACK Reason Code, 3.5.2.1 PUBREC Reason Code
    puback: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
    pubrec: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
    // 3.6.2.1 PUBREL Reason Code, 3.7.2.1 PUBCOMP Reason Code
    pubrel: [0x00, 0x92],
    pubcomp: [0x00, 0x92],
    // 3.9.3 SUBACK Payload
    suback: [
      0x00,
      0x01,
      0x02,
      0x80,
      0x83,
      0x87,
      0x8f,
      0x91,
      0x97,
      0x9e,
      0xa1,
      0xa2,
    ],
    // 3.11.3 UNSUBACK Payload
    unsuback: [0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91],
    // 3.14.2.1 Disconnect Reason Code
    disconnect: [
      0x00,
      0x04,
      0x80,
      0x81,
      0x82,
      0x83,
      0x87,
      0x89,
      0x8b,
      0x8c,
      0x8d,
      0x8e,
      0x8f,
      0x90,
      0x93,
      0x94,
      0x95,
      0x96,
      0x97,
      0x98,
      0x99,
      0x9a,
      0x9b,
      0x9c,
      0x9d,
      0x9e,
      0x9f,
      0xa0,
      0xa1,
      0xa2,
    ],
    // 3.15.2.1 Authenticate Reason Code
    auth: [0x00, 0x18, 0x19],
  };

/** MQTT 3.1.1 return codes: 3.2.2.3 (CONNACK) and 3.9.3 (SUBACK, with 0x80 Failure). */
const RETURN_CODES_311: Readonly<
  Partial<Record<PacketType, readonly number[]>>
> = {
  connack: [0, 1, 2, 3, 4, 5],
  suback: [0x00, 0x01, 0x02, 0x80],
};

/**
 * MQTT 3.1 return codes: section 3.2 (CONNACK, 0 to 5) and section 3.9
 * (SUBACK: the granted QoS, 0 to 2; 3.1 has no failure code, 0x80 came with
 * 3.1.1).
 */
const RETURN_CODES_31: Readonly<
  Partial<Record<PacketType, readonly number[]>>
> = {
  connack: [0, 1, 2, 3, 4, 5],
  suback: [0x00, 0x01, 0x02],
};

const PACKET_TYPES: readonly PacketType[] = [
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
  "auth",
];

function codeTables(
  codes: Readonly<Partial<Record<PacketType, readonly number[]>>>,
): Partial<Record<PacketType, Uint8Array>> {
  const tables: Partial<Record<PacketType, Uint8Array>> = {};
  for (const type of PACKET_TYPES) {
    const list = codes[type];
    if (list === undefined) continue;
    const table = new Uint8Array(256);
    for (const code of list) table[code] = 1;
    tables[type] = table;
  }
  return tables;
}

function labels(label: string): Record<PacketType, string> {
  const where = {} as Record<PacketType, string>;
  for (const type of PACKET_TYPES) {
    where[type] = `${type.toUpperCase()} (${label})`;
  }
  return where;
}

/** Two citations, or one when a version states both rules at once. */
function both(first: string, second: string): string {
  return first === second ? first : `${first} ${second}`;
}

function packetIdRules(rules: ProtocolRules): Record<PacketType, string> {
  const byType = {} as Record<PacketType, string>;
  for (const type of PACKET_TYPES) {
    byType[type] = type === "puback" || type === "pubrec" ||
        type === "pubrel" || type === "pubcomp"
      ? both(rules.ackPacketId, rules.packetId)
      : type === "suback" || type === "unsuback"
      ? both(rules.subackPacketId, rules.packetId)
      : rules.packetId;
  }
  return byType;
}

type Definition = Omit<Protocol, "where" | "validCodes" | "packetIdRules"> & {
  readonly codes: Readonly<Partial<Record<PacketType, readonly number[]>>>;
};

function protocol(definition: Definition): Protocol {
  const { codes, ...rest } = definition;
  return Object.freeze({
    ...rest,
    rules: Object.freeze(rest.rules),
    packetIdRules: Object.freeze(packetIdRules(rest.rules)),
    where: Object.freeze(labels(rest.label)),
    validCodes: Object.freeze(codeTables(codes)),
  });
}

/** MQTT 5.0 (OASIS Standard, 2019): protocol name "MQTT", level 5. */
export const MQTT_5_0: Protocol = protocol({
  version: 5,
  protocolName: "MQTT",
  label: "MQTT 5.0",
  properties: true,
  ackReasonCodes: true,
  unsubackReasonCodes: true,
  subscriptionOptions: true,
  sharedSubscriptions: true,
  sessionPresent: true,
  auth: true,
  emptyTopicWithAlias: true,
  passwordNeedsUsername: false,
  forbidsNullCharacter: true,
  clientIdMinimum: 0,
  clientIdMaximum: Infinity,
  emptyClientIdNeedsCleanStart: false,
  dupOnQoS1Packets: false,
  codes: REASON_CODES_5,
  rules: {
    fixedHeaderFlags: "[MQTT-2.1.3-1]",
    reservedType: "(section 2.1.2)",
    utf8WellFormed: "[MQTT-1.5.4-1]",
    utf8NoNull: "[MQTT-1.5.4-2]",
    packetId: "[MQTT-2.2.1-3]",
    ackPacketId: "[MQTT-2.2.1-5]",
    subackPacketId: "[MQTT-2.2.1-6]",
    packetIdWithQoS0: "[MQTT-2.2.1-2]",
    protocolName: "[MQTT-3.1.2-1]",
    protocolLevel: "[MQTT-3.1.2-2]",
    connectReserved: "[MQTT-3.1.2-3]",
    willQoSWithoutWill: "[MQTT-3.1.2-11]",
    willQoS3: "[MQTT-3.1.2-12]",
    willRetainWithoutWill: "[MQTT-3.1.2-13]",
    willTopic: "[MQTT-4.7.0-1]",
    passwordWithoutUsername: "(section 3.1.2.9)",
    clientId: "(section 3.1.3.1)",
    connackReserved: "[MQTT-3.2.2-1]",
    sessionPresent: "[MQTT-3.2.2-6]",
    subscribeAtLeastOne: "[MQTT-3.8.3-2]",
    unsubscribeAtLeastOne: "[MQTT-3.10.3-2]",
    requestedQoS: "(section 3.8.3.1)",
    hashPlacement: "[MQTT-4.7.1-1]",
    plusPlacement: "[MQTT-4.7.1-2]",
    reasonCodes: {
      connack: "[MQTT-3.2.2-8]",
      puback: "[MQTT-3.4.2-1]",
      pubrec: "[MQTT-3.5.2-1]",
      pubrel: "[MQTT-3.6.2-1]",
      pubcomp: "[MQTT-3.7.2-1]",
      suback: "[MQTT-3.9.3-2]",
      unsuback: "[MQTT-3.11.3-2]",
      disconnect: "[MQTT-3.14.2-1]",
      auth: "[MQTT-3.15.2-1]",
    },
  },
});

/** MQTT 3.1.1 (OASIS Standard, 2014): protocol name "MQTT", level 4. */
export const MQTT_3_1_1: Protocol = protocol({
  version: 4,
  protocolName: "MQTT",
  label: "MQTT 3.1.1",
  properties: false,
  ackReasonCodes: false,
  unsubackReasonCodes: false,
  subscriptionOptions: false,
  sharedSubscriptions: false,
  sessionPresent: true,
  auth: false,
  emptyTopicWithAlias: false,
  passwordNeedsUsername: true,
  forbidsNullCharacter: true,
  clientIdMinimum: 0,
  clientIdMaximum: Infinity,
  emptyClientIdNeedsCleanStart: true,
  dupOnQoS1Packets: false,
  codes: RETURN_CODES_311,
  rules: {
    fixedHeaderFlags: "[MQTT-2.2.2-1]",
    reservedType: "(section 2.2.1)",
    utf8WellFormed: "[MQTT-1.5.3-1]",
    utf8NoNull: "[MQTT-1.5.3-2]",
    packetId: "[MQTT-2.3.1-1]",
    ackPacketId: "[MQTT-2.3.1-6]",
    subackPacketId: "[MQTT-2.3.1-7]",
    packetIdWithQoS0: "[MQTT-2.3.1-5]",
    protocolName: "[MQTT-3.1.2-1]",
    protocolLevel: "[MQTT-3.1.2-2]",
    connectReserved: "[MQTT-3.1.2-3]",
    willQoSWithoutWill: "[MQTT-3.1.2-13]",
    willQoS3: "[MQTT-3.1.2-14]",
    willRetainWithoutWill: "[MQTT-3.1.2-15]",
    willTopic: "[MQTT-4.7.1-1]",
    passwordWithoutUsername: "[MQTT-3.1.2-22]",
    clientId: "[MQTT-3.1.3-7]",
    connackReserved: "(section 3.2.2.1)",
    sessionPresent: "[MQTT-3.2.2-4]",
    subscribeAtLeastOne: "[MQTT-3.8.3-3]",
    unsubscribeAtLeastOne: "[MQTT-3.10.3-2]",
    requestedQoS: "[MQTT-3-8.3-4]",
    hashPlacement: "[MQTT-4.7.1-2]",
    plusPlacement: "[MQTT-4.7.1-3]",
    reasonCodes: { connack: "(section 3.2.2.3)", suback: "[MQTT-3.9.3-2]" },
  },
});

/**
 * MQTT 3.1 (IBM and Eurotech, "MQTT V3.1 Protocol Specification", 2010):
 * protocol name "MQIsdp", level 3. It has no conformance statements: its
 * rules are cited by section. It differs from 3.1.1 in: the Client
 * Identifier is 1 to 23 characters (section 3.1), CONNACK has no Session
 * Present (its first byte is reserved, section 3.2), SUBACK has no failure
 * code (section 3.9: the granted QoS), UTF-8 strings are UTF-8 with no
 * further restriction (section 2.5: U+0000 is allowed), and a PUBREL,
 * SUBSCRIBE or UNSUBSCRIBE sent again may set DUP (section 2.1).
 */
export const MQTT_3_1: Protocol = protocol({
  version: 3,
  protocolName: "MQIsdp",
  label: "MQTT 3.1",
  properties: false,
  ackReasonCodes: false,
  unsubackReasonCodes: false,
  subscriptionOptions: false,
  sharedSubscriptions: false,
  sessionPresent: false,
  auth: false,
  emptyTopicWithAlias: false,
  passwordNeedsUsername: true,
  forbidsNullCharacter: false,
  clientIdMinimum: 1,
  clientIdMaximum: 23,
  emptyClientIdNeedsCleanStart: false,
  dupOnQoS1Packets: true,
  codes: RETURN_CODES_31,
  rules: {
    fixedHeaderFlags: "(MQTT 3.1 sections 2.1 and 2.6: unused bits are 0)",
    reservedType: "(MQTT 3.1 section 2.1)",
    utf8WellFormed: "(MQTT 3.1 section 2.5)",
    utf8NoNull: "(MQTT 3.1 section 2.5)",
    packetId: "(MQTT 3.1 section 2.4: Message ID 0 is reserved as invalid)",
    ackPacketId: "(MQTT 3.1 section 2.4: Message ID 0 is reserved as invalid)",
    subackPacketId:
      "(MQTT 3.1 section 2.4: Message ID 0 is reserved as invalid)",
    packetIdWithQoS0:
      "(MQTT 3.1 section 3.3: only QoS 1 and 2 messages have a Message ID)",
    protocolName: "(MQTT 3.1 section 3.1, Protocol name)",
    protocolLevel: "(MQTT 3.1 section 3.1, Protocol version)",
    connectReserved: "(MQTT 3.1 sections 3.1 and 2.6: unused bits are 0)",
    willQoSWithoutWill: "(MQTT 3.1 section 3.1, Will QoS)",
    willQoS3: "(MQTT 3.1 section 3.1, Will QoS)",
    willRetainWithoutWill: "(MQTT 3.1 section 3.1, Will Retain)",
    willTopic: "(MQTT 3.1 Appendix A: wildcards are for subscriptions only)",
    passwordWithoutUsername:
      "(MQTT 3.1 section 3.1, User name and password flags)",
    clientId: "(MQTT 3.1 section 3.1, Client Identifier)",
    connackReserved:
      "(MQTT 3.1 section 3.2: the first byte of the variable header is reserved)",
    sessionPresent: "(MQTT 3.1 section 3.2)",
    subscribeAtLeastOne: "(MQTT 3.1 section 3.8, Payload)",
    unsubscribeAtLeastOne: "(MQTT 3.1 section 3.10, Payload)",
    requestedQoS: "(MQTT 3.1 section 3.8: the upper 6 bits are reserved)",
    hashPlacement: "(MQTT 3.1 Appendix A)",
    plusPlacement: "(MQTT 3.1 Appendix A)",
    reasonCodes: {
      connack: "(MQTT 3.1 section 3.2: return codes 0 to 5)",
      suback: "(MQTT 3.1 section 3.9: the granted QoS, 0 to 2)",
    },
  },
});

/** Every protocol object by its level; 0 to 2 are not MQTT levels. */
const BY_VERSION: readonly (Protocol | undefined)[] = [
  undefined,
  undefined,
  undefined,
  MQTT_3_1,
  MQTT_3_1_1,
  MQTT_5_0,
];

/**
 * The protocol object of a Protocol Level, or `undefined` when no
 * supported version has that level.
 */
export function protocolOf(version: unknown): Protocol | undefined {
  return typeof version === "number" ? BY_VERSION[version] : undefined;
}

/** The Protocol Names of the supported versions. */
export const PROTOCOL_NAMES: ReadonlySet<string> = new Set(
  BY_VERSION.flatMap((protocol) =>
    protocol === undefined ? [] : [protocol.protocolName]
  ),
);

/** The versions accepted, for messages. */
export const SUPPORTED_VERSIONS =
  "3 (MQTT 3.1), 4 (MQTT 3.1.1) or 5 (MQTT 5.0)";
