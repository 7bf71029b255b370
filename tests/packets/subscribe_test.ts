/**
 * SUBSCRIBE (MQTT 5.0 section 3.8, MQTT 3.1.1 section 3.8): fixed byte
 * vectors derived by hand from the specifications, decoded to the expected
 * object and encoded back to the exact bytes.
 */

import { assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { decode, encode, MqttError } from "../../mod.ts";
import type { SubscribePacket } from "../../mod.ts";
import { vector } from "./vector.ts";

describe("SUBSCRIBE, MQTT 3.1.1", () => {
  it("two filters with their requested QoS", () => {
    vector([
      0x82,
      0x0c, // SUBSCRIBE (flags 0010), Remaining Length 12
      0x00,
      0x0a, // Packet Identifier 10
      0x00,
      0x03,
      0x61,
      0x2f,
      0x2b, // Topic Filter "a/+"
      0x01, // Requested QoS 1
      0x00,
      0x01,
      0x23, // Topic Filter "#"
      0x02, // Requested QoS 2
    ], {
      type: "subscribe",
      packetId: 10,
      subscriptions: [
        { topicFilter: "a/+", qos: 1 },
        { topicFilter: "#", qos: 2 },
      ],
    }, 4);
  });

  it("'$share/...' is an ordinary filter in 3.1.1 (no shared subscriptions)", () => {
    vector([
      0x82,
      0x0b, // SUBSCRIBE (flags 0010), Remaining Length 11
      0x00,
      0x01, // Packet Identifier 1
      0x00,
      0x06,
      0x24,
      0x73,
      0x68,
      0x61,
      0x72,
      0x65, // Topic Filter "$share"
      0x00, // Requested QoS 0
    ], {
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "$share", qos: 0 }],
    }, 4);
  });

  it("encode accepts the 5.0 options at their defaults", () => {
    assertEquals(
      encode({
        type: "subscribe",
        packetId: 1,
        subscriptions: [{
          topicFilter: "#",
          qos: 0,
          noLocal: false,
          retainAsPublished: false,
          retainHandling: 0,
        }],
      }, { protocolVersion: 4 }),
      new Uint8Array([0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0x23, 0x00]),
    );
  });
});

describe("SUBSCRIBE, MQTT 5.0", () => {
  it("one filter, no properties: the options are always decoded", () => {
    vector([
      0x82,
      0x07, // SUBSCRIBE (flags 0010), Remaining Length 7
      0x00,
      0x01, // Packet Identifier 1
      0x00, // Property Length 0
      0x00,
      0x01,
      0x23, // Topic Filter "#"
      0x00, // Subscription Options: QoS 0, No Local 0, RAP 0, Retain Handling 0
    ], {
      type: "subscribe",
      packetId: 1,
      subscriptions: [{
        topicFilter: "#",
        qos: 0,
        noLocal: false,
        retainAsPublished: false,
        retainHandling: 0,
      }],
    }, 5);
  });

  it("encode fills absent options with their defaults", () => {
    assertEquals(
      encode({
        type: "subscribe",
        packetId: 1,
        subscriptions: [{ topicFilter: "#", qos: 0 }],
      }),
      new Uint8Array([0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 0x23, 0x00]),
    );
  });

  it("Subscription Identifier, User Property, every option, a shared subscription", () => {
    vector([
      0x82,
      0x1f, // SUBSCRIBE (flags 0010), Remaining Length 31
      0x00,
      0x0a, // Packet Identifier 10
      0x09, // Property Length 9
      0x0b,
      0x05, // Subscription Identifier 5
      0x26,
      0x00,
      0x01,
      0x61,
      0x00,
      0x01,
      0x62, // User Property "a" "b"
      0x00,
      0x03,
      0x61,
      0x2f,
      0x2b, // Topic Filter "a/+"
      0x2d, // Options 0010 1101: Retain Handling 2, RAP 1, No Local 1, QoS 1
      0x00,
      0x0a, // Topic Filter: 10 bytes
      0x24,
      0x73,
      0x68,
      0x61,
      0x72,
      0x65,
      0x2f,
      0x67,
      0x2f,
      0x78, // "$share/g/x"
      0x12, // Options 0001 0010: Retain Handling 1, RAP 0, No Local 0, QoS 2
    ], {
      type: "subscribe",
      packetId: 10,
      subscriptionIdentifier: 5,
      userProperties: [["a", "b"]],
      subscriptions: [
        {
          topicFilter: "a/+",
          qos: 1,
          noLocal: true,
          retainAsPublished: true,
          retainHandling: 2,
        },
        {
          topicFilter: "$share/g/x",
          qos: 2,
          noLocal: false,
          retainAsPublished: false,
          retainHandling: 1,
        },
      ],
    }, 5);
  });

  it("a Subscription Identifier of 268435455 takes 4 bytes", () => {
    vector([
      0x82,
      0x0c, // SUBSCRIBE (flags 0010), Remaining Length 12
      0x00,
      0x02, // Packet Identifier 2
      0x05, // Property Length 5
      0x0b,
      0xff,
      0xff,
      0xff,
      0x7f, // Subscription Identifier 268435455
      0x00,
      0x01,
      0x2b, // Topic Filter "+"
      0x01, // Options: QoS 1
    ], {
      type: "subscribe",
      packetId: 2,
      subscriptionIdentifier: 268435455,
      subscriptions: [{
        topicFilter: "+",
        qos: 1,
        noLocal: false,
        retainAsPublished: false,
        retainHandling: 0,
      }],
    }, 5);
  });
});

describe("SUBSCRIBE, MQTT 3.1", () => {
  const bytes = [
    0x82,
    0x06, // SUBSCRIBE (QoS 1 in the fixed header), Remaining Length 6
    0x00,
    0x07, // Message ID 7
    0x00,
    0x01,
    0x23, // Topic name "#"
    0x02, // Requested QoS 2
  ];
  const packet: SubscribePacket = {
    type: "subscribe",
    packetId: 7,
    subscriptions: [{ topicFilter: "#", qos: 2 }],
  };

  it("has the layout of 3.1.1 (section 3.8)", () => {
    vector(bytes, packet, 3);
  });

  it("accepts DUP on a SUBSCRIBE sent again (section 2.1), which 3.1.1 refuses [MQTT-3.8.1-1]", () => {
    const again = new Uint8Array(bytes);
    again[0] = 0x8a;
    assertEquals(decode(again, { protocolVersion: 3 }), packet);
    assertThrows(
      () => decode(again, { protocolVersion: 4 }),
      MqttError,
      "[MQTT-3.8.1-1]",
    );
    // only DUP: a QoS other than 1 in the fixed header is still refused
    again[0] = 0x84;
    assertThrows(() => decode(again, { protocolVersion: 3 }), MqttError);
  });

  it("refuses subscription options other than QoS", () => {
    assertThrows(
      () =>
        encode({
          type: "subscribe",
          packetId: 7,
          subscriptions: [{ topicFilter: "#", qos: 1, noLocal: true }],
        }, { protocolVersion: 3 }),
      MqttError,
      "which MQTT 3.1 cannot carry",
    );
  });
});
