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
  markChecked,
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
          ),
        MqttError,
        words,
      );
      assertEquals(error.reasonCode, code);
    });
  }

  it("returns the bytes the message holds: payload, topic, properties as encoded", () => {
    assertEquals(checkMessage(valid, versionRules(5), "publish"), 6);
    // contentType "t": identifier 1, length 2, one byte
    const typed = { ...valid, contentType: "t" };
    assertEquals(checkMessage(typed, versionRules(5), "publish"), 10);
  });

  it("MQTT 3.1.1: properties are refused in a client's own message, ignored in one forwarded", () => {
    const typed = { ...valid, contentType: "text/plain" };
    assertThrows(
      () => checkMessage(typed, versionRules(4), "publish"),
      MqttError,
      "MQTT 3.1.1 cannot carry",
    );
    checkMessage(typed, versionRules(4), "deliver");
  });

  // A message delivered to many sessions is checked once; the same object
  // changed since is checked again, whatever changed.
  const changes: [string, (m: ApplicationMessage) => void][] = [
    ["its topic", (m) => m.topic = "a/+"],
    ["its payload", (m) => m.payload = "x" as unknown as Uint8Array],
    ["its QoS", (m) => m.qos = 3 as 0],
    ["its RETAIN", (m) => m.retain = 1 as unknown as boolean],
    ["a property added", (m) => m.messageExpiryInterval = -1],
    ["a property changed", (m) => m.contentType = 7 as unknown as string],
    [
      "its correlation data",
      (m) => m.correlationData = "x" as unknown as Uint8Array,
    ],
    [
      "a User Property added to its list",
      (m) => m.userProperties!.push(["k", "\0"]),
    ],
    [
      "a User Property's value changed in place",
      (m) => m.userProperties![0][1] = "\0",
    ],
    [
      "a User Property's pair replaced",
      (m) => m.userProperties![0] = null as unknown as [string, string],
    ],
  ];
  for (const [name, change] of changes) {
    it(`checks a message found valid again once ${name} changed`, () => {
      for (const remember of ["checked", "marked"] as const) {
        const message: ApplicationMessage = {
          ...valid,
          contentType: "text/plain",
          userProperties: [["k", "v"]],
        };
        if (remember === "checked") {
          checkMessage(message, versionRules(5), "deliver");
        } else markChecked(message); // as received
        checkMessage(message, versionRules(5), "deliver"); // remembered
        change(message);
        assertThrows(
          () => checkMessage(message, versionRules(5), "deliver"),
          MqttError,
          undefined,
          `${remember}, then ${name}`,
        );
      }
    });
  }

  it("counts the bytes of a message anew once its payload changed", () => {
    const message = { ...valid };
    assertEquals(checkMessage(message, versionRules(5), "deliver"), 6);
    message.payload = new Uint8Array(100);
    assertEquals(checkMessage(message, versionRules(5), "deliver"), 103);
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
