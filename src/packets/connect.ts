/**
 * CONNECT (section 3.1): the first packet of a connection. It carries its
 * own protocol version, so it is decoded without one being given.
 *
 * @module
 */

import type { ConnectPacket, Will } from "../packet.ts";
import type { Cursor } from "../primitives/cursor.ts";
import {
  binaryLength,
  checkBoolean,
  checkInteger,
  checkQoS,
  describe,
  encodeError,
  startPacket,
  stringLength,
} from "../primitives/writer.ts";
import { Context, decodeProperties, propertiesSize } from "../properties.ts";
import {
  MQTT_5_0,
  type Protocol,
  PROTOCOL_NAMES,
  protocolOf,
  SUPPORTED_VERSIONS,
} from "../protocol.ts";
import { topicNameProblem } from "../topic.ts";
import { type PacketCodec, packetCodec } from "./packet_codec.ts";
import {
  checkFields,
  isOwn,
  measureProperties,
  shape,
  writeFoundProperties,
} from "./shape.ts";
import { ReasonCode } from "../reason_code.ts";

const FLAG_RESERVED = 0x01;
const FLAG_CLEAN_START = 0x02;
const FLAG_WILL = 0x04;
const FLAG_WILL_RETAIN = 0x20;
const FLAG_PASSWORD = 0x40;
const FLAG_USERNAME = 0x80;

const FIELDS = shape(
  "a CONNECT packet",
  [
    "type",
    "protocolVersion",
    "clientId",
    "cleanStart",
    "keepAlive",
    "username",
    "password",
    "will",
  ],
  Context.Connect,
);
const { clientId: CLIENT_ID, cleanStart: CLEAN_START } = FIELDS.bits;
const { keepAlive: KEEP_ALIVE, will: WILL } = FIELDS.bits;
const { username: USERNAME, password: PASSWORD } = FIELDS.bits;
const WILL_FIELDS = shape(
  "a Will",
  ["topic", "payload", "qos", "retain"],
  Context.Will,
);
const { topic: WILL_TOPIC, payload: WILL_PAYLOAD } = WILL_FIELDS.bits;
const { qos: WILL_QOS, retain: WILL_RETAIN } = WILL_FIELDS.bits;

/** The number of characters (code points, not UTF-16 units) of a string. */
function characters(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // a high surrogate and the low one after it are one character
    if (c < 0xd800 || c > 0xdbff) count++;
  }
  return count;
}

/**
 * Why a Client Identifier breaks the version's rules, or `undefined`: its
 * length (MQTT 3.1: 1 to 23 characters) and, in 3.1.1, empty only with
 * Clean Session.
 */
function clientIdProblem(
  clientId: string,
  cleanStart: boolean,
  protocol: Protocol,
  cleanStartName: string,
): string | undefined {
  const rule = protocol.rules.clientId;
  if (
    clientId.length === 0 && protocol.emptyClientIdNeedsCleanStart &&
    !cleanStart
  ) {
    return `is empty while ${cleanStartName} ${rule}`;
  }
  if (
    protocol.clientIdMinimum > 0 || protocol.clientIdMaximum !== Infinity
  ) {
    const count = characters(clientId);
    if (
      count < protocol.clientIdMinimum || count > protocol.clientIdMaximum
    ) {
      return `has ${count} characters, but ${protocol.label} allows ${protocol.clientIdMinimum} to ${protocol.clientIdMaximum} ${rule}`;
    }
  }
  return undefined;
}

/** Decodes the variable header and payload of a CONNECT. */
function decodeConnect(c: Cursor): ConnectPacket {
  const nameAt = c.pos;
  const protocolName = c.utf8("Protocol Name");
  if (!PROTOCOL_NAMES.has(protocolName)) {
    c.fail(
      "Protocol Name",
      `must be "MQTT", got ${
        JSON.stringify(protocolName)
      } ${MQTT_5_0.rules.protocolName}`,
      ReasonCode.UnsupportedProtocolVersion,
      nameAt,
    );
  }
  const levelAt = c.pos;
  const level = c.u8("Protocol Level");
  const protocol = protocolOf(level);
  if (protocol === undefined || protocol.protocolName !== protocolName) {
    // A level the name's protocol does not have is an unsupported level
    // (answered with 0x84, return code 1 before 5.0) [MQTT-3.1.2-2].
    c.fail(
      "Protocol Level",
      `${level} is not supported with Protocol Name ${
        JSON.stringify(protocolName)
      }: only ${SUPPORTED_VERSIONS} are ${MQTT_5_0.rules.protocolLevel}`,
      ReasonCode.UnsupportedProtocolVersion,
      levelAt,
    );
  }
  c.protocol = protocol;
  const rules = protocol.rules;
  const flagsAt = c.pos;
  const flags = c.u8("Connect Flags");
  if (flags & FLAG_RESERVED) {
    c.fail(
      "Connect Flags",
      `has the reserved bit set ${rules.connectReserved}`,
      ReasonCode.MalformedPacket,
      flagsAt,
    );
  }
  const hasWill = (flags & FLAG_WILL) !== 0;
  const willQoS = (flags >> 3) & 3;
  const willRetain = (flags & FLAG_WILL_RETAIN) !== 0;
  if (!hasWill && willQoS !== 0) {
    c.fail(
      "Will QoS",
      `must be 0 without a Will ${rules.willQoSWithoutWill}`,
      ReasonCode.MalformedPacket,
      flagsAt,
    );
  }
  if (willQoS === 3) {
    c.fail(
      "Will QoS",
      `must not be 3 ${rules.willQoS3}`,
      ReasonCode.MalformedPacket,
      flagsAt,
    );
  }
  if (!hasWill && willRetain) {
    c.fail(
      "Will Retain",
      `must be 0 without a Will ${rules.willRetainWithoutWill}`,
      ReasonCode.MalformedPacket,
      flagsAt,
    );
  }
  const hasUsername = (flags & FLAG_USERNAME) !== 0;
  const hasPassword = (flags & FLAG_PASSWORD) !== 0;
  if (protocol.passwordNeedsUsername && hasPassword && !hasUsername) {
    c.fail(
      "Password Flag",
      `is set without the User Name Flag ${rules.passwordWithoutUsername}`,
      ReasonCode.MalformedPacket,
      flagsAt,
    );
  }
  const cleanStart = (flags & FLAG_CLEAN_START) !== 0;
  const keepAlive = c.u16("Keep Alive");
  const packet: ConnectPacket = {
    type: "connect",
    protocolVersion: protocol.version,
    clientId: "",
    cleanStart,
    keepAlive,
  };
  if (protocol.properties) {
    const propertiesAt = c.pos;
    decodeProperties(c, Context.Connect, packet);
    if (
      Object.hasOwn(packet, "authenticationData") &&
      !Object.hasOwn(packet, "authenticationMethod")
    ) {
      c.fail(
        "Authentication Data",
        "is present without an Authentication Method (section 3.1.2.11.10)",
        ReasonCode.ProtocolError,
        propertiesAt,
      );
    }
  }
  const clientIdAt = c.pos;
  packet.clientId = c.utf8("Client Identifier");
  const problem = clientIdProblem(
    packet.clientId,
    cleanStart,
    protocol,
    "Clean Session is 0",
  );
  if (problem !== undefined) {
    c.fail(
      "Client Identifier",
      problem,
      ReasonCode.ClientIdentifierNotValid,
      clientIdAt,
    );
  }
  if (hasWill) {
    const will = {} as Will;
    if (protocol.properties) decodeProperties(c, Context.Will, will);
    const topicAt = c.pos;
    will.topic = c.utf8("Will Topic");
    const problem = topicNameProblem(will.topic, rules.willTopic);
    if (problem !== undefined) {
      c.fail("Will Topic", problem, ReasonCode.MalformedPacket, topicAt);
    }
    will.payload = c.binary("Will Payload");
    will.qos = willQoS as 0 | 1 | 2;
    will.retain = willRetain;
    packet.will = will;
  }
  if (hasUsername) packet.username = c.utf8("User Name");
  if (hasPassword) packet.password = c.binary("Password");
  return packet;
}

/** Encodes a CONNECT with the protocol version it names. */
function encodeConnect(
  packet: ConnectPacket,
  _protocol: Protocol,
  into?: Uint8Array,
): Uint8Array {
  const version = isOwn(packet, "protocolVersion")
    ? packet.protocolVersion
    : undefined;
  const protocol = protocolOf(version);
  if (protocol === undefined) {
    throw encodeError(
      MQTT_5_0.where.connect,
      "protocolVersion",
      `must be ${SUPPORTED_VERSIONS}, got ${
        describe(version)
      } ${MQTT_5_0.rules.protocolLevel}`,
      ReasonCode.UnsupportedProtocolVersion,
    );
  }
  const where = protocol.where.connect;
  const rules = protocol.rules;
  const present = checkFields(packet, FIELDS, protocol, where);
  const size = measureProperties(packet, FIELDS, present, where);
  const cleanStart = present & CLEAN_START
    ? checkBoolean(packet.cleanStart, where, "cleanStart")
    : false;
  const keepAlive = checkInteger(
    present & KEEP_ALIVE ? packet.keepAlive : undefined,
    0,
    0xffff,
    where,
    "keepAlive",
    "(section 3.1.2.10)",
  );
  const clientId = present & CLIENT_ID ? packet.clientId : undefined;
  const clientIdLength = stringLength(clientId, where, "clientId", protocol);
  const clientIdProblemText = clientIdProblem(
    clientId as string,
    cleanStart,
    protocol,
    "cleanStart is false",
  );
  if (clientIdProblemText !== undefined) {
    throw encodeError(
      where,
      "clientId",
      clientIdProblemText,
      ReasonCode.ClientIdentifierNotValid,
    );
  }
  const name = protocol.protocolName;
  // Protocol Name, Protocol Level, Connect Flags, Keep Alive
  let remainingLength = 2 + name.length + 1 + 1 + 2 + 2 + clientIdLength;
  if (
    size > 0 && isOwn(packet, "authenticationData") &&
    packet.authenticationData !== undefined &&
    !(isOwn(packet, "authenticationMethod") &&
      packet.authenticationMethod !== undefined)
  ) {
    throw encodeError(
      where,
      "authenticationData",
      "needs an authenticationMethod (section 3.1.2.11.10)",
      ReasonCode.ProtocolError,
    );
  }
  remainingLength += propertiesSize(size, protocol);
  let flags = cleanStart ? FLAG_CLEAN_START : 0;
  const will = present & WILL ? packet.will : undefined;
  let willSize = 0;
  let willScan = 0;
  let willTopic = "";
  let willTopicLength = 0;
  let willPayload: Uint8Array | undefined;
  if (will !== undefined) {
    if (typeof will !== "object" || will === null) {
      throw encodeError(where, "will", "must be an object");
    }
    const has = checkFields(will, WILL_FIELDS, protocol, where, "will.");
    willScan = has;
    willSize = measureProperties(will, WILL_FIELDS, has, where);
    const qos = checkQoS(
      has & WILL_QOS ? will.qos : undefined,
      where,
      "will.qos",
      rules.willQoS3,
    );
    const retain = has & WILL_RETAIN
      ? checkBoolean(will.retain, where, "will.retain")
      : false;
    const topic = has & WILL_TOPIC ? will.topic : undefined;
    willTopicLength = stringLength(topic, where, "will.topic", protocol);
    willTopic = topic as string;
    const problem = topicNameProblem(willTopic, rules.willTopic);
    if (problem !== undefined) throw encodeError(where, "will.topic", problem);
    willPayload = has & WILL_PAYLOAD ? will.payload : undefined;
    const payloadLength = binaryLength(willPayload, where, "will.payload");
    remainingLength += propertiesSize(willSize, protocol) + 2 +
      willTopicLength + 2 + payloadLength;
    flags |= FLAG_WILL | (qos << 3) | (retain ? FLAG_WILL_RETAIN : 0);
  }
  const username = present & USERNAME ? packet.username : undefined;
  let usernameLength = 0;
  if (username !== undefined) {
    usernameLength = stringLength(username, where, "username", protocol);
    remainingLength += 2 + usernameLength;
    flags |= FLAG_USERNAME;
  }
  const password = present & PASSWORD ? packet.password : undefined;
  if (password !== undefined) {
    if (protocol.passwordNeedsUsername && username === undefined) {
      throw encodeError(
        where,
        "password",
        `needs a username in ${protocol.label} ${rules.passwordWithoutUsername}`,
      );
    }
    remainingLength += 2 + binaryLength(password, where, "password");
    flags |= FLAG_PASSWORD;
  }
  const w = startPacket(CONNECT.firstByte, remainingLength, where, into);
  w.u16(name.length);
  for (let i = 0; i < name.length; i++) w.u8(name.charCodeAt(i));
  w.u8(protocol.version);
  w.u8(flags);
  w.u16(keepAlive);
  if (protocol.properties) {
    writeFoundProperties(w, packet, FIELDS, present, size);
  }
  w.utf8(clientId as string, clientIdLength);
  if (will !== undefined) {
    if (protocol.properties) {
      writeFoundProperties(w, will, WILL_FIELDS, willScan, willSize);
    }
    w.utf8(willTopic, willTopicLength);
    w.binary(willPayload!);
  }
  if (username !== undefined) w.utf8(username, usernameLength);
  if (password !== undefined) w.binary(password);
  return w.bytes;
}

/** CONNECT: control packet type 1, flags 0000 (section 3.1.1). */
export const CONNECT: PacketCodec<ConnectPacket> = packetCodec(
  "connect",
  1,
  0,
  decodeConnect,
  encodeConnect,
);
