/**
 * Own properties only (issue 13, item 4): encode and decode never read a key
 * inherited from a prototype. Another library may set fields on
 * `Object.prototype`; with every field name set there, what encode writes
 * and what decode returns stay exactly the same.
 */

import { assert, assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import { decode, encode, MqttError, type Packet } from "../mod.ts";
import { PROPERTIES } from "../src/properties.ts";
import { packetArbitrary } from "./arbitraries.ts";

/** Every field of every packet object, of the Will and of a subscription. */
const BASE_FIELDS = [
  "type",
  "protocolVersion",
  "clientId",
  "cleanStart",
  "keepAlive",
  "username",
  "password",
  "will",
  "sessionPresent",
  "reasonCode",
  "reasonCodes",
  "topic",
  "payload",
  "qos",
  "retain",
  "dup",
  "packetId",
  "subscriptions",
  "topicFilters",
  "topicFilter",
  "noLocal",
  "retainAsPublished",
  "retainHandling",
];
/** mqtt-packet's names, which encode looks at to give a hint. */
const FOREIGN_FIELDS = ["cmd", "messageId", "properties", "clean", "length"];

/** A value for `field` that would change a packet if it were read. */
function pollutant(field: string): unknown {
  const definition = PROPERTIES.find((d) => d.field === field);
  switch (definition?.type ?? field) {
    case "flag":
    case "cleanStart":
    case "retain":
    case "dup":
    case "sessionPresent":
    case "noLocal":
    case "retainAsPublished":
      return true;
    case "qos":
    case "retainHandling":
      return 1;
    case "u16":
    case "u32":
    case "vbi":
    case "packetId":
    case "keepAlive":
    case "reasonCode":
      return definition?.repeats ? [7] : 7;
    case "utf8":
    case "topic":
    case "topicFilter":
    case "clientId":
    case "username":
      return "polluted";
    case "binary":
    case "payload":
    case "password":
      return new Uint8Array([0xee]);
    case "pair":
      return [["polluted", "yes"]];
    case "will":
      return { topic: "w", payload: new Uint8Array(), qos: 1, retain: true };
    case "protocolVersion":
      return 4;
    case "reasonCodes":
      return [0x80];
    case "subscriptions":
      return [{ topicFilter: "x", qos: 1 }];
    case "topicFilters":
      return ["x"];
    default:
      return 1;
  }
}

const FIELDS = [
  ...new Set([
    ...BASE_FIELDS,
    ...PROPERTIES.map((d) => d.field),
    ...FOREIGN_FIELDS,
  ]),
];

/** Runs `action` with every field name set on `Object.prototype`, then restores it. */
function polluted<T>(action: () => T): T {
  const prototype = Object.prototype as Record<string, unknown>;
  for (const field of FIELDS) {
    assert(!Object.hasOwn(prototype, field), `${field} is already there`);
  }
  try {
    for (const field of FIELDS) prototype[field] = pollutant(field);
    return action();
  } finally {
    for (const field of FIELDS) delete prototype[field];
  }
}

/** What encode writes, or the message it throws: comparable across runs. */
function encoded(packet: Packet, version: 3 | 4 | 5): Uint8Array | string {
  try {
    return encode(packet, { protocolVersion: version });
  } catch (error) {
    if (error instanceof MqttError) return error.message;
    throw error;
  }
}

describe("own properties only", () => {
  for (const version of [5, 4, 3] as const) {
    it(`encode and decode give the same results with every field name on Object.prototype (MQTT ${version})`, () => {
      const packets = fc.sample(packetArbitrary(version), {
        seed: 1313 + version,
        numRuns: 300,
      });
      // a packet without each of its optional fields is where an inherited
      // one would show
      const stripped = packets.map((packet) => {
        const copy: Record<string, unknown> = { ...packet };
        for (const key of Object.keys(copy)) {
          if (key !== "type" && copy[key] === undefined) delete copy[key];
        }
        return copy as unknown as Packet;
      });
      const wire = stripped.map((packet) => encoded(packet, version));
      const decoded = wire.map((bytes) =>
        typeof bytes === "string"
          ? undefined
          : decode(bytes, { protocolVersion: version })
      );
      const [wireAgain, decodedAgain] = polluted(() => {
        const again = stripped.map((packet) => encoded(packet, version));
        return [
          again,
          again.map((bytes) =>
            typeof bytes === "string"
              ? undefined
              : decode(bytes, { protocolVersion: version })
          ),
        ] as const;
      });
      assertEquals(wireAgain, wire);
      // the decoded objects hold only their own fields: compare them as data
      assertEquals(
        decodedAgain.map((p) => JSON.stringify(p, replacer)),
        decoded.map((p) => JSON.stringify(p, replacer)),
      );
    });
  }

  it("an inherited reasonString does not reach a PUBACK, nor topicAlias an empty-topic PUBLISH", () => {
    const { puback, error } = polluted(() => ({
      puback: encode({ type: "puback", packetId: 1 }),
      // PUBLISH, QoS 0, empty Topic Name, no properties
      error: assertThrows(
        () => decode(new Uint8Array([0x30, 0x03, 0x00, 0x00, 0x00])),
        MqttError,
      ),
    }));
    assertEquals(puback, new Uint8Array([0x40, 0x02, 0x00, 0x01]));
    assert(error.message.includes("no Topic Alias"), error.message);
  });

  it("a field given only by the prototype counts as absent (required ones are refused)", () => {
    const message = polluted(() =>
      assertThrows(
        () => encode(Object.create({ type: "pingreq" }) as Packet),
        MqttError,
      ).message
    );
    assert(message.includes("unknown packet type undefined"), message);
  });
});

/** JSON for packets: typed arrays as lists of bytes. */
function replacer(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? [...value] : value;
}
