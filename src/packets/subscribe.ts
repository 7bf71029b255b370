/**
 * SUBSCRIBE (section 3.8): topic filters with their subscription options.
 *
 * @module
 */

import type {
  SubscribePacket,
  Subscription,
  UnsubscribePacket,
} from "../packet.ts";
import type { Cursor } from "../primitives/cursor.ts";
import {
  checkBoolean,
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
import { isSharedSubscription, topicFilterProblem } from "../topic.ts";
import { checkPacketId, readPacketId } from "./fields.ts";

const MALFORMED = 0x81;
const PROTOCOL_ERROR = 0x82;
const WHERE = { 4: label("SUBSCRIBE", 4), 5: label("SUBSCRIBE", 5) } as const;

/** The rule that SUBSCRIBE and UNSUBSCRIBE carry at least one topic filter. */
export function atLeastOneRule(
  packet: "SUBSCRIBE" | "UNSUBSCRIBE",
  version: 4 | 5,
): string {
  if (packet === "UNSUBSCRIBE") return "[MQTT-3.10.3-2]";
  return version === 5 ? "[MQTT-3.8.3-2]" : "[MQTT-3.8.3-3]";
}

/** Reads a Topic Filter and checks its wildcards. */
export function readTopicFilter(c: Cursor): string {
  const at = c.pos;
  const filter = c.utf8("Topic Filter");
  const problem = topicFilterProblem(filter, c.version);
  if (problem !== undefined) c.fail("Topic Filter", problem, MALFORMED, at);
  return filter;
}

/** Checks a topic filter to encode and returns its length in bytes. */
export function topicFilterLength(
  filter: unknown,
  where: string,
  field: string,
  version: 4 | 5,
): number {
  const length = stringLength(filter, where, field);
  const problem = topicFilterProblem(filter as string, version);
  if (problem !== undefined) throw encodeError(where, field, problem);
  return length;
}

/**
 * Reads what SUBSCRIBE and UNSUBSCRIBE have between the Packet Identifier
 * and the topic filters (the properties, in MQTT 5.0), and checks that at
 * least one topic filter follows.
 */
export function readFilterListStart(
  c: Cursor,
  packet: SubscribePacket | UnsubscribePacket,
  context: Context,
  name: "SUBSCRIBE" | "UNSUBSCRIBE",
): void {
  if (c.version === 5) {
    decodeProperties(c, context, packet as unknown as Record<string, unknown>);
  }
  if (c.pos === c.end) {
    c.fail(
      "Payload",
      `must hold at least one Topic Filter ${atLeastOneRule(name, c.version)}`,
      PROTOCOL_ERROR,
    );
  }
}

/** Decodes the variable header and payload of a SUBSCRIBE. */
export function decodeSubscribe(c: Cursor): SubscribePacket {
  const packetId = readPacketId(c);
  const packet: SubscribePacket = {
    type: "subscribe",
    packetId,
    subscriptions: [],
  };
  const v5 = c.version === 5;
  readFilterListStart(c, packet, Context.Subscribe, "SUBSCRIBE");
  while (c.pos < c.end) {
    const topicFilter = readTopicFilter(c);
    const at = c.pos;
    const options = c.u8("Subscription Options");
    const qos = options & 3;
    if (!v5) {
      if (options > 2) {
        c.fail(
          "Requested QoS",
          "must be 0, 1 or 2 with the reserved bits 0 [MQTT-3-8.3-4]",
          MALFORMED,
          at,
        );
      }
      packet.subscriptions.push({ topicFilter, qos: qos as 0 | 1 | 2 });
      continue;
    }
    if (options & 0xc0) {
      c.fail(
        "Subscription Options",
        "has reserved bits 6 and 7 set [MQTT-3.8.3-5]",
        MALFORMED,
        at,
      );
    }
    if (qos === 3) {
      c.fail(
        "Subscription Options",
        "has a Maximum QoS of 3 (section 3.8.3.1)",
        PROTOCOL_ERROR,
        at,
      );
    }
    const retainHandling = (options >> 4) & 3;
    if (retainHandling === 3) {
      c.fail(
        "Subscription Options",
        "has a Retain Handling of 3 (section 3.8.3.1)",
        PROTOCOL_ERROR,
        at,
      );
    }
    const noLocal = (options & 4) !== 0;
    if (noLocal && isSharedSubscription(topicFilter)) {
      c.fail(
        "Subscription Options",
        "set No Local on a Shared Subscription [MQTT-3.8.3-4]",
        PROTOCOL_ERROR,
        at,
      );
    }
    packet.subscriptions.push({
      topicFilter,
      qos: qos as 0 | 1 | 2,
      noLocal,
      retainAsPublished: (options & 8) !== 0,
      retainHandling: retainHandling as 0 | 1 | 2,
    });
  }
  return packet;
}

function optionsByte(
  subscription: Subscription,
  where: string,
  field: string,
  version: 4 | 5,
): number {
  const qos = checkQoS(
    subscription.qos,
    where,
    `${field}.qos`,
    version === 5 ? "(section 3.8.3.1)" : "[MQTT-3-8.3-4]",
  );
  const noLocal = subscription.noLocal === undefined
    ? false
    : checkBoolean(subscription.noLocal, where, `${field}.noLocal`);
  const retainAsPublished = subscription.retainAsPublished === undefined
    ? false
    : checkBoolean(
      subscription.retainAsPublished,
      where,
      `${field}.retainAsPublished`,
    );
  const retainHandling = subscription.retainHandling ?? 0;
  if (retainHandling !== 0 && retainHandling !== 1 && retainHandling !== 2) {
    throw encodeError(
      where,
      `${field}.retainHandling`,
      `must be 0, 1 or 2, got ${describe(retainHandling)} (section 3.8.3.1)`,
      PROTOCOL_ERROR,
    );
  }
  if (version === 4) {
    if (noLocal || retainAsPublished || retainHandling !== 0) {
      throw encodeError(
        where,
        field,
        "has subscription options other than QoS, which MQTT 3.1.1 cannot carry",
        PROTOCOL_ERROR,
      );
    }
    return qos;
  }
  if (noLocal && isSharedSubscription(subscription.topicFilter)) {
    throw encodeError(
      where,
      `${field}.noLocal`,
      "must be false on a Shared Subscription [MQTT-3.8.3-4]",
      PROTOCOL_ERROR,
    );
  }
  return qos | (noLocal ? 4 : 0) | (retainAsPublished ? 8 : 0) |
    (retainHandling << 4);
}

/** Encodes a SUBSCRIBE. */
export function encodeSubscribe(
  packet: SubscribePacket,
  version: 4 | 5,
  into?: Uint8Array,
): Uint8Array {
  const where = WHERE[version];
  const packetId = checkPacketId(packet.packetId, where, version);
  const subscriptions = packet.subscriptions;
  if (!Array.isArray(subscriptions) || subscriptions.length === 0) {
    throw encodeError(
      where,
      "subscriptions",
      `must hold at least one subscription ${
        atLeastOneRule("SUBSCRIBE", version)
      }`,
      PROTOCOL_ERROR,
    );
  }
  const lengths = new Array<number>(subscriptions.length);
  const options = new Array<number>(subscriptions.length);
  let remainingLength = 2;
  for (let i = 0; i < subscriptions.length; i++) {
    const subscription = subscriptions[i];
    const field = `subscriptions[${i}]`;
    if (typeof subscription !== "object" || subscription === null) {
      throw encodeError(where, field, "must be an object");
    }
    lengths[i] = topicFilterLength(
      subscription.topicFilter,
      where,
      `${field}.topicFilter`,
      version,
    );
    options[i] = optionsByte(subscription, where, field, version);
    remainingLength += 3 + lengths[i];
  }
  let propertiesSize = 0;
  if (version === 5) {
    propertiesSize = propertiesLength(packet, Context.Subscribe, where);
    remainingLength += vbiLength(propertiesSize) + propertiesSize;
  } else {
    assertNoProperties(packet, where);
  }
  // SUBSCRIBE's fixed header flags are 0010 [MQTT-3.8.1-1]
  const w = startPacket(0x82, remainingLength, where, into);
  w.u16(packetId);
  if (version === 5) {
    writeProperties(w, packet, propertiesSize);
  }
  for (let i = 0; i < subscriptions.length; i++) {
    w.utf8(subscriptions[i].topicFilter, lengths[i]);
    w.u8(options[i]);
  }
  return w.bytes;
}
