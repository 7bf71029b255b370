/**
 * SUBSCRIBE (section 3.8): topic filters with their subscription options.
 * The topic filter list is shared with UNSUBSCRIBE (see `layouts.ts`).
 *
 * @module
 */

import { DEFAULT_RETAIN_HANDLING } from "../defaults.ts";
import type { SubscribePacket, Subscription } from "../packet.ts";
import type { Cursor } from "../primitives/cursor.ts";
import {
  checkBoolean,
  checkQoS,
  describe,
  encodeError,
  startPacket,
} from "../primitives/writer.ts";
import { Context, propertiesSize } from "../properties.ts";
import type { Protocol } from "../protocol.ts";
import { isSharedSubscription } from "../topic.ts";
import { checkPacketId, readPacketId } from "./fields.ts";
import {
  checkFilterList,
  readFilterListStart,
  readTopicFilter,
  topicFilterLength,
} from "./layouts.ts";
import { type PacketCodec, packetCodec } from "./packet_codec.ts";
import {
  checkFields,
  measureProperties,
  shape,
  writeFoundProperties,
} from "./shape.ts";
import { ReasonCode } from "../reason_code.ts";

const FIELDS = shape(
  "a SUBSCRIBE packet",
  ["type", "packetId", "subscriptions"],
  Context.Subscribe,
);
const SUBSCRIPTION = shape(
  "a subscription",
  ["topicFilter", "qos", "noLocal", "retainAsPublished", "retainHandling"],
  0,
);
const { topicFilter: TOPIC_FILTER, qos: QOS, noLocal: NO_LOCAL } =
  SUBSCRIPTION.bits;
const { retainAsPublished: RETAIN_AS_PUBLISHED } = SUBSCRIPTION.bits;
const { retainHandling: RETAIN_HANDLING } = SUBSCRIPTION.bits;

/** Decodes the variable header and payload of a SUBSCRIBE. */
function decodeSubscribe(c: Cursor): SubscribePacket {
  const packetId = readPacketId(c, "subscribe");
  const packet: SubscribePacket = {
    type: "subscribe",
    packetId,
    subscriptions: [],
  };
  const protocol = c.protocol;
  readFilterListStart(c, packet, Context.Subscribe);
  while (c.pos < c.end) {
    const topicFilter = readTopicFilter(c);
    const at = c.pos;
    const options = c.u8("Subscription Options");
    const qos = options & 3;
    if (!protocol.subscriptionOptions) {
      if (options > 2) {
        c.fail(
          "Requested QoS",
          `must be 0, 1 or 2 with the reserved bits 0 ${protocol.rules.requestedQoS}`,
          ReasonCode.MalformedPacket,
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
        ReasonCode.MalformedPacket,
        at,
      );
    }
    if (qos === 3) {
      c.fail(
        "Subscription Options",
        "has a Maximum QoS of 3 (section 3.8.3.1)",
        ReasonCode.ProtocolError,
        at,
      );
    }
    const retainHandling = (options >> 4) & 3;
    if (retainHandling === 3) {
      c.fail(
        "Subscription Options",
        "has a Retain Handling of 3 (section 3.8.3.1)",
        ReasonCode.ProtocolError,
        at,
      );
    }
    const noLocal = (options & 4) !== 0;
    if (noLocal && isSharedSubscription(topicFilter)) {
      c.fail(
        "Subscription Options",
        "set No Local on a Shared Subscription [MQTT-3.8.3-4]",
        ReasonCode.ProtocolError,
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

/** The Subscription Options byte (5.0) or Requested QoS byte of a subscription. */
function optionsByte(
  subscription: Subscription,
  present: number,
  topicFilter: string,
  where: string,
  field: string,
  protocol: Protocol,
): number {
  const qos = checkQoS(
    present & QOS ? subscription.qos : undefined,
    where,
    `${field}.qos`,
    protocol.rules.requestedQoS,
  );
  const noLocal = present & NO_LOCAL
    ? checkBoolean(subscription.noLocal, where, `${field}.noLocal`)
    : false;
  const retainAsPublished = present & RETAIN_AS_PUBLISHED
    ? checkBoolean(
      subscription.retainAsPublished,
      where,
      `${field}.retainAsPublished`,
    )
    : false;
  const retainHandling = present & RETAIN_HANDLING
    ? subscription.retainHandling
    : DEFAULT_RETAIN_HANDLING;
  if (retainHandling !== 0 && retainHandling !== 1 && retainHandling !== 2) {
    throw encodeError(
      where,
      `${field}.retainHandling`,
      `must be 0, 1 or 2, got ${describe(retainHandling)} (section 3.8.3.1)`,
      ReasonCode.ProtocolError,
    );
  }
  if (!protocol.subscriptionOptions) {
    if (noLocal || retainAsPublished || retainHandling !== 0) {
      throw encodeError(
        where,
        field,
        `has subscription options other than QoS, which ${protocol.label} cannot carry`,
        ReasonCode.ProtocolError,
      );
    }
    return qos;
  }
  if (noLocal && isSharedSubscription(topicFilter)) {
    throw encodeError(
      where,
      `${field}.noLocal`,
      "must be false on a Shared Subscription [MQTT-3.8.3-4]",
      ReasonCode.ProtocolError,
    );
  }
  return qos | (noLocal ? 4 : 0) | (retainAsPublished ? 8 : 0) |
    (retainHandling << 4);
}

/** Encodes a SUBSCRIBE. */
function encodeSubscribe(
  packet: SubscribePacket,
  protocol: Protocol,
  into?: Uint8Array,
): Uint8Array {
  const where = protocol.where.subscribe;
  const present = checkFields(packet, FIELDS, protocol, where);
  const size = measureProperties(packet, FIELDS, present, where);
  const packetId = checkPacketId(
    present & FIELDS.bits.packetId ? packet.packetId : undefined,
    "subscribe",
    protocol,
  );
  const subscriptions = checkFilterList(
    present & FIELDS.bits.subscriptions ? packet.subscriptions : undefined,
    "subscribe",
    "subscriptions",
    protocol,
  ) as Subscription[];
  const filters = new Array<string>(subscriptions.length);
  const lengths = new Array<number>(subscriptions.length);
  const options = new Array<number>(subscriptions.length);
  let remainingLength = 2;
  for (let i = 0; i < subscriptions.length; i++) {
    const subscription = subscriptions[i];
    const field = `subscriptions[${i}]`;
    if (typeof subscription !== "object" || subscription === null) {
      throw encodeError(where, field, "must be an object");
    }
    const has = checkFields(
      subscription,
      SUBSCRIPTION,
      protocol,
      where,
      `${field}.`,
    );
    const topicFilter = has & TOPIC_FILTER
      ? subscription.topicFilter
      : undefined;
    lengths[i] = topicFilterLength(
      topicFilter,
      where,
      `${field}.topicFilter`,
      protocol,
    );
    filters[i] = topicFilter as string;
    options[i] = optionsByte(
      subscription,
      has,
      filters[i],
      where,
      field,
      protocol,
    );
    remainingLength += 3 + lengths[i];
  }
  remainingLength += propertiesSize(size, protocol);
  const w = startPacket(SUBSCRIBE.firstByte, remainingLength, where, into);
  w.u16(packetId);
  if (protocol.properties) {
    writeFoundProperties(w, packet, FIELDS, present, size);
  }
  for (let i = 0; i < subscriptions.length; i++) {
    w.utf8(filters[i], lengths[i]);
    w.u8(options[i]);
  }
  return w.bytes;
}

/** SUBSCRIBE: control packet type 8, flags 0010 [MQTT-3.8.1-1]. */
export const SUBSCRIBE: PacketCodec<SubscribePacket> = packetCodec(
  "subscribe",
  8,
  2,
  decodeSubscribe,
  encodeSubscribe,
);
