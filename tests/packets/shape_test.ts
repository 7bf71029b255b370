/**
 * Strict objects on encode: each field a packet type does not have is an
 * MqttError naming it, with a hint for mqtt-packet's names and near misses;
 * only own keys count.
 */

import fc from "fast-check";
import { assert, assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { encode, MqttError } from "../../mod.ts";
import type { Packet } from "../../mod.ts";
import {
  checkFields,
  measureProperties,
  shape,
} from "../../src/packets/shape.ts";
import { Context } from "../../src/properties.ts";
import { MQTT_3_1_1, MQTT_5_0 } from "../../src/protocol.ts";

const PUBLISH = {
  type: "publish",
  topic: "a/b",
  payload: new Uint8Array([1]),
  qos: 0,
  retain: false,
  dup: false,
} as const;

/** The MqttError `encode` throws for `packet`, checked to be 0x81 and to name `field`. */
function refused(packet: unknown, field: string, protocolVersion = 5): string {
  const error = assertThrows(
    () => encode(packet as Packet, { protocolVersion: protocolVersion as 5 }),
    MqttError,
  );
  assertEquals(error.reasonCode, 0x81, error.message);
  assert(error.message.includes(field), error.message);
  return error.message;
}

describe("checkFields", () => {
  const fields = shape("a test object", ["type", "a", "b"], Context.Publish);

  it("sets a bit per own field and per property; measureProperties measures them; undefined counts as absent", () => {
    assertEquals(
      checkFields({ type: "t", b: 1 }, fields, MQTT_5_0, "where"),
      fields.bits.type | fields.bits.b,
    );
    const source = { a: undefined, contentType: "x", b: 1 };
    const scan = checkFields(source, fields, MQTT_5_0, "w");
    assertEquals(scan & 0x3ff, fields.bits.b);
    assert(scan > 0x3ff, "a bit for the property");
    // Content Type "x": identifier, length, one byte
    assertEquals(measureProperties(source, fields, scan, "w"), 4);
    assertEquals(checkFields({}, fields, MQTT_5_0, "where"), 0);
  });

  it("gives the same answer whatever the key order, and after objects of other key orders", () => {
    const orders = [
      { type: "t", a: 1, contentType: "x" },
      { contentType: "x", type: "t", a: 1 },
      { a: 1, contentType: "x", type: "t" },
    ];
    const expected = checkFields(orders[0], fields, MQTT_5_0, "w");
    for (let round = 0; round < 3; round++) {
      for (const object of orders) {
        assertEquals(checkFields(object, fields, MQTT_5_0, "w"), expected);
      }
    }
    // a key that was valid at this position last time is still checked
    // when another object has a bad key there
    checkFields({ type: "t", a: 1 }, fields, MQTT_5_0, "w");
    assertThrows(
      () => checkFields({ type: "t", c: 1 }, fields, MQTT_5_0, "w"),
      MqttError,
      "c is not a field of a test object",
    );
  });

  it("answers from its memo exactly as a fresh shape does, over any run of objects, key orders and versions", () => {
    const names = ["type", "a", "b", "contentType", "topicAlias", "bogus"];
    const values: Record<string, unknown[]> = {
      type: ["t", undefined],
      a: [1, undefined],
      b: [2],
      contentType: ["x", 7, undefined],
      topicAlias: [3, 0],
      bogus: [1, undefined],
    };
    const object = fc.uniqueArray(fc.constantFrom(...names)).chain((keys) =>
      fc.tuple(
        ...keys.map((key) =>
          fc.constantFrom(...values[key]).map((value) => [key, value] as const)
        ),
      )
    ).map((entries) => Object.fromEntries(entries));
    const outcome = (run: () => number): unknown => {
      try {
        return run();
      } catch (error) {
        return error instanceof MqttError
          ? [error.reasonCode, error.message]
          : error;
      }
    };
    fc.assert(
      fc.property(
        fc.array(fc.tuple(object, fc.boolean()), { maxLength: 20 }),
        (run) => {
          const remembering = shape(
            "a test object",
            ["type", "a", "b"],
            Context.Publish,
          );
          for (const [source, v5] of run) {
            const protocol = v5 ? MQTT_5_0 : MQTT_3_1_1;
            const fresh = shape(
              "a test object",
              ["type", "a", "b"],
              Context.Publish,
            );
            const expected = outcome(() =>
              checkFields(source, fresh, protocol, "w")
            );
            assertEquals(
              outcome(() => checkFields(source, remembering, protocol, "w")),
              expected,
            );
            if (typeof expected === "number") {
              assertEquals(
                outcome(() =>
                  measureProperties(source, remembering, expected, "w")
                ),
                outcome(() => measureProperties(source, fresh, expected, "w")),
              );
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("skips inherited keys: a field on the prototype is not the object's", () => {
    const object = Object.create({ a: 1, bogus: 2, contentType: "x" });
    object.b = 2;
    assertEquals(checkFields(object, fields, MQTT_5_0, "w"), fields.bits.b);
  });

  it("refuses a property in a version without properties (0x82), but not an empty list", () => {
    for (let round = 0; round < 2; round++) {
      // the second round answers from the memo of the keys seen
      checkFields({ contentType: "x" }, fields, MQTT_5_0, "w");
      const error = assertThrows(
        () => checkFields({ contentType: "x" }, fields, MQTT_3_1_1, "w"),
        MqttError,
        "which MQTT 3.1.1 cannot carry",
      );
      assertEquals(error.reasonCode, 0x82);
      assertEquals(
        checkFields({ userProperties: [] }, fields, MQTT_3_1_1, "w"),
        0,
      );
    }
  });
});

describe("encode: strict objects", () => {
  it("refuses a field the packet type does not have, naming it (0x81)", () => {
    const message = refused({ ...PUBLISH, colour: "red" }, "colour");
    assert(message.includes("is not a field of a PUBLISH packet"), message);
    refused({ type: "pingreq", packetId: 1 }, "packetId");
    refused({ type: "puback", packetId: 1, topic: "a" }, "topic");
    refused({ type: "disconnect", packetId: 1 }, "packetId");
  });

  it("suggests the field meant by a near miss", () => {
    const message = refused({ ...PUBLISH, contentTyp: "x" }, "contentTyp");
    assert(message.includes("did you mean contentType?"), message);
    assert(
      refused({
        type: "connect",
        protocolVersion: 5,
        clientID: "c",
        cleanStart: true,
        keepAlive: 0,
      }, "clientID").includes("did you mean clientId?"),
    );
  });

  it("gives mqtt-packet's names their name here", () => {
    const rows: [unknown, string, string][] = [
      [{ ...PUBLISH, cmd: "publish" }, "cmd", '"type"'],
      [{ ...PUBLISH, qos: 1, messageId: 1 }, "messageId", "packetId"],
      [
        {
          type: "connect",
          protocolVersion: 4,
          clientId: "c",
          clean: true,
          keepAlive: 0,
        },
        "clean",
        "cleanStart",
      ],
      [
        {
          type: "connect",
          protocolVersion: 4,
          clientId: "c",
          cleanStart: true,
          keepalive: 60,
        },
        "keepalive",
        "keepAlive",
      ],
      [
        { type: "connack", sessionPresent: false, returnCode: 0 },
        "returnCode",
        "reasonCode",
      ],
      [{ type: "suback", packetId: 1, granted: [0] }, "granted", "reasonCodes"],
      [
        { type: "unsubscribe", packetId: 1, unsubscriptions: ["a"] },
        "unsubscriptions",
        "topicFilters",
      ],
      [{ ...PUBLISH, length: 6 }, "length", "computed by encode"],
      [
        {
          type: "subscribe",
          packetId: 1,
          subscriptions: [{ topic: "a", qos: 0 }],
        },
        "subscriptions[0].topic",
        "topicFilter",
      ],
      [
        {
          type: "subscribe",
          packetId: 1,
          subscriptions: [{ topicFilter: "a", qos: 0, rh: 1 }],
        },
        "subscriptions[0].rh",
        "retainHandling",
      ],
    ];
    for (const [packet, field, hint] of rows) {
      const message = refused(packet, field);
      assert(message.includes(hint), `"${hint}" in: ${message}`);
    }
  });

  it("explains that MQTT 5 properties are flat fields, naming them", () => {
    const message = refused(
      {
        ...PUBLISH,
        properties: { contentType: "x", messageExpiryInterval: 5 },
      },
      "properties",
    );
    assert(
      message.includes(
        "MQTT 5 properties are flat fields of the packet (write contentType, messageExpiryInterval",
      ),
      message,
    );
    refused({ ...PUBLISH, properties: {} }, "properties", 4);
  });

  it("checks the Will and each subscription too", () => {
    refused({
      type: "connect",
      protocolVersion: 5,
      clientId: "c",
      cleanStart: true,
      keepAlive: 0,
      will: { topic: "w", payload: new Uint8Array(), qos: 0, flag: true },
    }, "will.flag");
    refused({
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "a", qos: 0 }, {
        topicFilter: "b",
        qos: 0,
        userProperties: [],
      }],
    }, "subscriptions[1].userProperties");
  });

  it("points a PUBLISH's subscriptionIdentifier to subscriptionIdentifiers", () => {
    const error = assertThrows(
      () => encode({ ...PUBLISH, subscriptionIdentifier: 3 } as Packet),
      MqttError,
      "subscriptionIdentifiers, a list",
    );
    assertEquals(error.reasonCode, 0x81);
  });

  it("ignores a field whose value is undefined: nothing is lost", () => {
    assertEquals(
      encode({ ...PUBLISH, extra: undefined } as Packet),
      encode(PUBLISH),
    );
  });
});
