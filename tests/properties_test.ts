/**
 * The property table of MQTT 5.0 section 2.2.2.2: all 27 identifiers, their
 * data types, the packets that may carry them; and the reading and writing
 * of a property list.
 */

import { assert, assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { MqttError } from "../mod.ts";
import {
  Context,
  decodeProperties,
  PROPERTIES,
  propertiesOf,
  type PropertyFields,
} from "../src/properties.ts";
import { Cursor } from "../src/primitives/cursor.ts";
import { ByteWriter } from "../src/primitives/writer.ts";
import { MQTT_5_0 } from "../src/protocol.ts";
import {
  checkFields,
  measureProperties,
  shape,
  writeFoundProperties,
} from "../src/packets/shape.ts";

/** A PUBLISH-like shape, to measure properties through `checkFields`. */
const FIELDS = shape("a test object", ["type", "topic"], Context.Publish);
function propertiesLength(source: object, context: Context): number {
  const fields = shape("a test object", ["type", "topic"], context);
  const scan = checkFields(source, fields, MQTT_5_0, "TEST");
  return measureProperties(source, fields, scan, "TEST");
}

const C = Context;
const ACKS = C.PublishAck;

/**
 * Table 2-4 of section 2.2.2.2, by hand: identifier, field, data type
 * ("flag" and "qos" are a Byte), the packets that may carry it.
 */
const TABLE: [number, string, string, number][] = [
  [0x01, "payloadFormatIndicator", "flag", C.Publish | C.Will],
  [0x02, "messageExpiryInterval", "u32", C.Publish | C.Will],
  [0x03, "contentType", "utf8", C.Publish | C.Will],
  [0x08, "responseTopic", "utf8", C.Publish | C.Will],
  [0x09, "correlationData", "binary", C.Publish | C.Will],
  [0x0b, "subscriptionIdentifiers", "vbi", C.Publish],
  [0x0b, "subscriptionIdentifier", "vbi", C.Subscribe],
  [0x11, "sessionExpiryInterval", "u32", C.Connect | C.Connack | C.Disconnect],
  [0x12, "assignedClientIdentifier", "utf8", C.Connack],
  [0x13, "serverKeepAlive", "u16", C.Connack],
  [0x15, "authenticationMethod", "utf8", C.Connect | C.Connack | C.Auth],
  [0x16, "authenticationData", "binary", C.Connect | C.Connack | C.Auth],
  [0x17, "requestProblemInformation", "flag", C.Connect],
  [0x18, "willDelayInterval", "u32", C.Will],
  [0x19, "requestResponseInformation", "flag", C.Connect],
  [0x1a, "responseInformation", "utf8", C.Connack],
  [0x1c, "serverReference", "utf8", C.Connack | C.Disconnect],
  [
    0x1f,
    "reasonString",
    "utf8",
    C.Connack | ACKS | C.Suback | C.Unsuback | C.Disconnect | C.Auth,
  ],
  [0x21, "receiveMaximum", "u16", C.Connect | C.Connack],
  [0x22, "topicAliasMaximum", "u16", C.Connect | C.Connack],
  [0x23, "topicAlias", "u16", C.Publish],
  [0x24, "maximumQoS", "qos", C.Connack],
  [0x25, "retainAvailable", "flag", C.Connack],
  [
    0x26,
    "userProperties",
    "pair",
    C.Connect | C.Connack | C.Publish | C.Will | ACKS | C.Subscribe |
    C.Suback | C.Unsubscribe | C.Unsuback | C.Disconnect | C.Auth,
  ],
  [0x27, "maximumPacketSize", "u32", C.Connect | C.Connack],
  [0x28, "wildcardSubscriptionAvailable", "flag", C.Connack],
  [0x29, "subscriptionIdentifiersAvailable", "flag", C.Connack],
  [0x2a, "sharedSubscriptionAvailable", "flag", C.Connack],
];

function cursor(bytes: number[], packet = "TEST"): Cursor {
  const array = new Uint8Array(bytes);
  return new Cursor(array, 0, 0, array.length, packet, MQTT_5_0);
}

describe("the property table", () => {
  it("has the 27 identifiers of the specification", () => {
    const ids = new Set(PROPERTIES.map((d) => d.id));
    assertEquals(ids.size, 27);
    assertEquals(
      [...ids],
      [...new Set(TABLE.map(([id]) => id))],
    );
  });

  it("gives each identifier its field, data type and packets", () => {
    assertEquals(
      PROPERTIES.map((d): [number, string, string, number] => [
        d.id,
        d.field,
        d.type,
        d.contexts,
      ]),
      TABLE,
    );
  });

  it("lets only User Property, and Subscription Identifier in PUBLISH, repeat", () => {
    assertEquals(
      PROPERTIES.filter((d) => d.repeats).map((d) => d.field).sort(),
      ["subscriptionIdentifiers", "userProperties"],
    );
  });

  it("marks the properties for which 0 is a Protocol Error", () => {
    assertEquals(
      PROPERTIES.filter((d) => d.nonZero).map((d) => d.field).sort(),
      [
        "maximumPacketSize",
        "receiveMaximum",
        "subscriptionIdentifier",
        "subscriptionIdentifiers",
        "topicAlias",
      ],
    );
  });

  it("lists per packet the properties it allows", () => {
    assertEquals(
      propertiesOf(C.Auth).map((d) => d.id),
      [0x15, 0x16, 0x1f, 0x26],
    );
    assertEquals(
      propertiesOf(C.Will).map((d) => d.id),
      [0x01, 0x02, 0x03, 0x08, 0x09, 0x18, 0x26],
    );
    assertEquals(propertiesOf(C.Unsubscribe).map((d) => d.id), [0x26]);
    assertEquals(propertiesOf(C.Connack).length, 17);
    assertEquals(propertiesOf(C.Connect).length, 9);
    assertEquals(propertiesOf(C.Publish).length, 8);
  });
});

describe("decodeProperties", () => {
  it("reads a property list into fields, User Properties in order, views for binary data", () => {
    const bytes = [
      0x0f, // Property Length 15
      0x09,
      0x00,
      0x01,
      0xaa, // Correlation Data aa
      0x26,
      0x00,
      0x01,
      0x6b,
      0x00,
      0x01,
      0x32, // User Property "k" "2"
      0x0b,
      0x05, // Subscription Identifier 5
      0x0b,
      0x06, // Subscription Identifier 6
      0x00,
      0x00, // beyond the properties: not read
    ];
    const c = cursor(bytes);
    const target: PropertyFields = {};
    decodeProperties(c, C.Publish, target);
    assertEquals(target, {
      correlationData: new Uint8Array([0xaa]),
      userProperties: [["k", "2"]],
      subscriptionIdentifiers: [5, 6],
    });
    assertEquals(c.pos, 16);
    assertEquals(c.end, bytes.length);
    assert((target.correlationData as Uint8Array).buffer === c.bytes.buffer);
  });

  it("rejects a property the context does not allow (0x81), naming it by identifier", () => {
    const error = assertThrows(
      () => decodeProperties(cursor([0x02, 0x23, 0x01]), C.Connack, {}),
      MqttError,
      "Property Identifier 0x23",
    );
    assertEquals(error.reasonCode, 0x81);
  });

  it("rejects a property repeated (0x82)", () => {
    const error = assertThrows(
      () =>
        decodeProperties(
          cursor([
            0x06, // Property Length 6
            0x13,
            0x00,
            0x01, // Server Keep Alive 1
            0x13,
            0x00,
            0x02, // Server Keep Alive 2
          ]),
          C.Connack,
          {},
        ),
      MqttError,
      "more than once",
    );
    assertEquals(error.reasonCode, 0x82);
  });

  it("rejects a value cut off by the Property Length (0x81)", () => {
    const error = assertThrows(
      () =>
        decodeProperties(
          cursor([
            0x02, // Property Length 2
            0x13,
            0x00, // Server Keep Alive: 1 of its 2 bytes
            0x01, // outside the properties
          ]),
          C.Connack,
          {},
        ),
      MqttError,
      "serverKeepAlive",
    );
    assertEquals(error.reasonCode, 0x81);
  });
});

describe("measuring (checkFields, measureProperties) and writing (writeFoundProperties)", () => {
  it("measure and write the properties of a packet object in identifier order, whatever its key order", () => {
    const source = {
      type: "publish",
      topic: "t",
      userProperties: [["k", "v"], ["k", "v"]],
      subscriptionIdentifiers: [128],
      topicAlias: 2,
      contentType: "a",
    };
    const scan = checkFields(source, FIELDS, MQTT_5_0, "TEST");
    const length = measureProperties(source, FIELDS, scan, "TEST");
    assertEquals(length, 4 + 3 + 7 + 7 + 3);
    const w = new ByteWriter(new Uint8Array(1 + length));
    writeFoundProperties(w, source, FIELDS, scan, length);
    assertEquals(
      w.bytes,
      new Uint8Array([
        0x18, // Property Length 24
        0x03,
        0x00,
        0x01,
        0x61, // Content Type "a"
        0x0b,
        0x80,
        0x01, // Subscription Identifier 128
        0x23,
        0x00,
        0x02, // Topic Alias 2
        0x26,
        0x00,
        0x01,
        0x6b,
        0x00,
        0x01,
        0x76, // User Property "k" "v"
        0x26,
        0x00,
        0x01,
        0x6b,
        0x00,
        0x01,
        0x76, // User Property "k" "v"
      ]),
    );
  });

  it("skip fields that are not properties and properties that are undefined", () => {
    assertEquals(
      propertiesLength(
        { type: "publish", topic: "t", topicAlias: undefined },
        C.Publish,
      ),
      0,
    );
    assertEquals(
      checkFields({ topic: "t" }, FIELDS, MQTT_5_0, "TEST"),
      FIELDS.bits.topic,
    );
  });

  it("refuse a property the context cannot carry (0x81, as decode does)", () => {
    const error = assertThrows(
      () => propertiesLength({ maximumQoS: 1 }, C.Publish),
      MqttError,
      "maximumQoS",
    );
    assertEquals(error.reasonCode, 0x81);
  });
});
