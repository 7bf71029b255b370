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
  label,
  startPacket,
  stringLength,
  vbiLength,
} from "../primitives/writer.ts";
import {
  assertNoProperties,
  Context,
  decodeProperties,
  propertiesLength,
  writeProperties,
} from "../properties.ts";
import { topicNameProblem } from "../topic.ts";

const MALFORMED = 0x81;
const PROTOCOL_ERROR = 0x82;
const UNSUPPORTED_PROTOCOL_VERSION = 0x84;
const CLIENT_IDENTIFIER_NOT_VALID = 0x85;
const WHERE = { 4: label("CONNECT", 4), 5: label("CONNECT", 5) } as const;

const FLAG_RESERVED = 0x01;
const FLAG_CLEAN_START = 0x02;
const FLAG_WILL = 0x04;
const FLAG_WILL_RETAIN = 0x20;
const FLAG_PASSWORD = 0x40;
const FLAG_USERNAME = 0x80;

/** The rules on the Will flags, numbered differently by each version. */
const WILL_RULES = {
  5: {
    qosWithoutWill: "[MQTT-3.1.2-11]",
    qos3: "[MQTT-3.1.2-12]",
    retainWithoutWill: "[MQTT-3.1.2-13]",
  },
  4: {
    qosWithoutWill: "[MQTT-3.1.2-13]",
    qos3: "[MQTT-3.1.2-14]",
    retainWithoutWill: "[MQTT-3.1.2-15]",
  },
} as const;

/** The rule against wildcards in a Topic Name, which the Will Topic is. */
function willTopicRule(version: 4 | 5): string {
  return version === 5 ? "[MQTT-4.7.0-1]" : "[MQTT-4.7.1-1]";
}

/** Decodes the variable header and payload of a CONNECT. */
export function decodeConnect(c: Cursor): ConnectPacket {
  const nameAt = c.pos;
  const protocolName = c.utf8("Protocol Name");
  if (protocolName !== "MQTT") {
    c.fail(
      "Protocol Name",
      `must be "MQTT", got ${JSON.stringify(protocolName)} [MQTT-3.1.2-1]`,
      UNSUPPORTED_PROTOCOL_VERSION,
      nameAt,
    );
  }
  const levelAt = c.pos;
  const level = c.u8("Protocol Level");
  if (level !== 4 && level !== 5) {
    c.fail(
      "Protocol Level",
      `${level} is not supported: only 4 (MQTT 3.1.1) and 5 (MQTT 5.0) are [MQTT-3.1.2-2]`,
      UNSUPPORTED_PROTOCOL_VERSION,
      levelAt,
    );
  }
  c.version = level;
  const flagsAt = c.pos;
  const flags = c.u8("Connect Flags");
  if (flags & FLAG_RESERVED) {
    c.fail(
      "Connect Flags",
      "has the reserved bit set [MQTT-3.1.2-3]",
      MALFORMED,
      flagsAt,
    );
  }
  const rules = WILL_RULES[level];
  const hasWill = (flags & FLAG_WILL) !== 0;
  const willQoS = (flags >> 3) & 3;
  const willRetain = (flags & FLAG_WILL_RETAIN) !== 0;
  if (!hasWill && willQoS !== 0) {
    c.fail(
      "Will QoS",
      `must be 0 without a Will ${rules.qosWithoutWill}`,
      MALFORMED,
      flagsAt,
    );
  }
  if (willQoS === 3) {
    c.fail("Will QoS", `must not be 3 ${rules.qos3}`, MALFORMED, flagsAt);
  }
  if (!hasWill && willRetain) {
    c.fail(
      "Will Retain",
      `must be 0 without a Will ${rules.retainWithoutWill}`,
      MALFORMED,
      flagsAt,
    );
  }
  const hasUsername = (flags & FLAG_USERNAME) !== 0;
  const hasPassword = (flags & FLAG_PASSWORD) !== 0;
  if (level === 4 && hasPassword && !hasUsername) {
    c.fail(
      "Password Flag",
      "is set without the User Name Flag [MQTT-3.1.2-22]",
      MALFORMED,
      flagsAt,
    );
  }
  const cleanStart = (flags & FLAG_CLEAN_START) !== 0;
  const keepAlive = c.u16("Keep Alive");
  const packet: ConnectPacket = {
    type: "connect",
    protocolVersion: level,
    clientId: "",
    cleanStart,
    keepAlive,
  };
  if (level === 5) {
    const propertiesAt = c.pos;
    decodeProperties(
      c,
      Context.Connect,
      packet as unknown as Record<string, unknown>,
    );
    if (
      packet.authenticationData !== undefined &&
      packet.authenticationMethod === undefined
    ) {
      c.fail(
        "Authentication Data",
        "is present without an Authentication Method (section 3.1.2.11.10)",
        PROTOCOL_ERROR,
        propertiesAt,
      );
    }
  }
  const clientIdAt = c.pos;
  packet.clientId = c.utf8("Client Identifier");
  if (level === 4 && packet.clientId.length === 0 && !cleanStart) {
    c.fail(
      "Client Identifier",
      "is empty while Clean Session is 0 [MQTT-3.1.3-7]",
      CLIENT_IDENTIFIER_NOT_VALID,
      clientIdAt,
    );
  }
  if (hasWill) {
    const will = {} as Will;
    if (level === 5) {
      decodeProperties(
        c,
        Context.Will,
        will as unknown as Record<string, unknown>,
      );
    }
    const topicAt = c.pos;
    will.topic = c.utf8("Will Topic");
    const problem = topicNameProblem(will.topic, willTopicRule(level));
    if (problem !== undefined) {
      c.fail("Will Topic", problem, MALFORMED, topicAt);
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
export function encodeConnect(
  packet: ConnectPacket,
  into?: Uint8Array,
): Uint8Array {
  const version = packet.protocolVersion;
  if (version !== 4 && version !== 5) {
    throw encodeError(
      label("CONNECT", 5),
      "protocolVersion",
      `must be 4 (MQTT 3.1.1) or 5 (MQTT 5.0), got ${
        describe(version)
      } [MQTT-3.1.2-2]`,
      UNSUPPORTED_PROTOCOL_VERSION,
    );
  }
  const where = WHERE[version];
  const cleanStart = packet.cleanStart === undefined
    ? false
    : checkBoolean(packet.cleanStart, where, "cleanStart");
  const keepAlive = checkInteger(
    packet.keepAlive,
    0,
    0xffff,
    where,
    "keepAlive",
    "(section 3.1.2.10)",
  );
  const clientIdLength = stringLength(packet.clientId, where, "clientId");
  if (version === 4 && clientIdLength === 0 && !cleanStart) {
    throw encodeError(
      where,
      "clientId",
      "must not be empty while cleanStart is false [MQTT-3.1.3-7]",
      CLIENT_IDENTIFIER_NOT_VALID,
    );
  }
  // Protocol Name, Protocol Level, Connect Flags, Keep Alive
  let remainingLength = 6 + 1 + 1 + 2 + 2 + clientIdLength;
  let propertiesSize = 0;
  if (version === 5) {
    propertiesSize = propertiesLength(packet, Context.Connect, where);
    if (
      packet.authenticationData !== undefined &&
      packet.authenticationMethod === undefined
    ) {
      throw encodeError(
        where,
        "authenticationData",
        "needs an authenticationMethod (section 3.1.2.11.10)",
        PROTOCOL_ERROR,
      );
    }
    remainingLength += vbiLength(propertiesSize) + propertiesSize;
  } else {
    assertNoProperties(packet, where);
  }
  let flags = cleanStart ? FLAG_CLEAN_START : 0;
  const will = packet.will;
  let willPropertiesSize = 0;
  let willTopicLength = 0;
  if (will !== undefined) {
    if (typeof will !== "object" || will === null) {
      throw encodeError(where, "will", "must be an object");
    }
    const qos = checkQoS(will.qos, where, "will.qos", WILL_RULES[version].qos3);
    const retain = will.retain === undefined
      ? false
      : checkBoolean(will.retain, where, "will.retain");
    willTopicLength = stringLength(will.topic, where, "will.topic");
    const problem = topicNameProblem(will.topic, willTopicRule(version));
    if (problem !== undefined) throw encodeError(where, "will.topic", problem);
    const payloadLength = binaryLength(will.payload, where, "will.payload");
    if (version === 5) {
      willPropertiesSize = propertiesLength(will, Context.Will, where);
      remainingLength += vbiLength(willPropertiesSize) + willPropertiesSize;
    } else {
      assertNoProperties(will, where);
    }
    remainingLength += 2 + willTopicLength + 2 + payloadLength;
    flags |= FLAG_WILL | (qos << 3) | (retain ? FLAG_WILL_RETAIN : 0);
  }
  let usernameLength = 0;
  if (packet.username !== undefined) {
    usernameLength = stringLength(packet.username, where, "username");
    remainingLength += 2 + usernameLength;
    flags |= FLAG_USERNAME;
  }
  if (packet.password !== undefined) {
    if (version === 4 && packet.username === undefined) {
      throw encodeError(
        where,
        "password",
        "needs a username in MQTT 3.1.1 [MQTT-3.1.2-22]",
      );
    }
    remainingLength += 2 + binaryLength(packet.password, where, "password");
    flags |= FLAG_PASSWORD;
  }
  const w = startPacket(0x10, remainingLength, where, into);
  w.u16(4);
  w.u8(0x4d); // M
  w.u8(0x51); // Q
  w.u8(0x54); // T
  w.u8(0x54); // T
  w.u8(version);
  w.u8(flags);
  w.u16(keepAlive);
  if (version === 5) {
    writeProperties(w, packet, propertiesSize);
  }
  w.utf8(packet.clientId, clientIdLength);
  if (will !== undefined) {
    if (version === 5) {
      writeProperties(w, will, willPropertiesSize);
    }
    w.utf8(will.topic, willTopicLength);
    w.binary(will.payload);
  }
  if (packet.username !== undefined) w.utf8(packet.username, usernameLength);
  if (packet.password !== undefined) w.binary(packet.password);
  return w.bytes;
}
