/**
 * What the sessions check of the application's input before it can do
 * harm: messages (topic, payload, QoS, RETAIN, properties), the time, and
 * options; one row per rule, each an `MqttError` with its reason code.
 */

import { assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { MqttError } from "../../mod.ts";
import type { ApplicationMessage } from "../../src/entries/session.ts";
import {
  checkMessage,
  checkNow,
  checkSessionOptions,
} from "../../src/session/validate.ts";
import { versionRules } from "../../src/session/version.ts";

const valid: ApplicationMessage = {
  topic: "a/b",
  payload: new Uint8Array(3),
  qos: 1,
  retain: false,
};

describe("checkMessage", () => {
  const table: [string, Partial<ApplicationMessage>, number, string][] = [
    ["an empty topic", { topic: "" }, 0x90, "[MQTT-4.7.3-1]"],
    ["a wildcard in the topic", { topic: "a/#" }, 0x90, "[MQTT-3.3.2-2]"],
    ["U+0000 in the topic", { topic: "a\0b" }, 0x90, "[MQTT-4.7.3-2]"],
    [
      "a lone surrogate in the topic",
      { topic: "a\uD800" },
      0x90,
      "[MQTT-1.5.4-1]",
    ],
    [
      "a topic over 65,535 bytes",
      { topic: "€".repeat(21_846) },
      0x90,
      "[MQTT-4.7.3-3]",
    ],
    [
      "a payload that is not a Uint8Array",
      { payload: "x" as unknown as Uint8Array },
      0x81,
      "payload",
    ],
    ["QoS 3", { qos: 3 as 0 }, 0x81, "[MQTT-3.3.1-4]"],
    [
      "a RETAIN that is not a boolean",
      { retain: 1 as unknown as boolean },
      0x81,
      "retain",
    ],
    [
      "an invalid property",
      { messageExpiryInterval: -1 },
      0x82,
      "messageExpiryInterval",
    ],
    [
      "a User Property with U+0000",
      { userProperties: [["a", "\0"]] },
      0x81,
      "userProperties",
    ],
  ];
  for (const [name, change, code, words] of table) {
    it(`refuses ${name} (0x${code.toString(16)})`, () => {
      const error = assertThrows(
        () =>
          checkMessage(
            { ...valid, ...change },
            versionRules(5),
            "publish",
            "refuse",
          ),
        MqttError,
        words,
      );
      assertEquals(error.reasonCode, code);
    });
  }

  it("returns the bytes the message holds: payload, topic, properties as encoded", () => {
    assertEquals(checkMessage(valid, versionRules(5), "publish", "refuse"), 6);
    // contentType "t": identifier 1, length 2, one byte
    const typed = { ...valid, contentType: "t" };
    assertEquals(checkMessage(typed, versionRules(5), "publish", "refuse"), 10);
  });

  it("MQTT 3.1.1: properties are refused in a client's own message, ignored in one forwarded", () => {
    const typed = { ...valid, contentType: "text/plain" };
    assertThrows(
      () => checkMessage(typed, versionRules(4), "publish", "refuse"),
      MqttError,
      "MQTT 3.1.1 cannot carry",
    );
    checkMessage(typed, versionRules(4), "deliver", "ignore");
  });
});

describe("checkNow and checkSessionOptions", () => {
  it("refuses a time that is not a finite number", () => {
    for (const now of [NaN, Infinity, "1", undefined]) {
      assertThrows(() => checkNow(now, "publish"), MqttError, "now");
    }
    assertEquals(checkNow(12.5, "publish"), 12.5);
  });

  it("fills in defaults and refuses limits out of range", () => {
    const defaults = {
      maximumInFlight: 100,
      maximumQueuedMessages: 1_000,
      maximumQueuedBytes: 1 << 24,
    };
    assertEquals(checkSessionOptions({}, "x", defaults), {
      manualAcknowledgement: false,
      strictReceiveMaximum: true,
      useTopicAliases: true,
      ...defaults,
    });
    for (
      const options of [
        { maximumInFlight: 0 },
        { maximumInFlight: 65_536 },
        { maximumQueuedMessages: 0 },
        { maximumQueuedBytes: 1.5 },
      ]
    ) {
      assertThrows(
        () => checkSessionOptions(options, "x", defaults),
        MqttError,
      );
    }
    assertEquals(
      checkSessionOptions({ maximumQueuedBytes: Infinity }, "x", defaults)
        .maximumQueuedBytes,
      Infinity,
    );
  });
});
