/** What differs between the protocol versions, in the one table the sessions ask. */

import { assert, assertEquals, assertFalse } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import {
  connectReturnCode,
  isKnownVersion,
  rule,
  subackReturnCode,
  versionRules,
} from "../../src/session/version.ts";

const v3 = versionRules(3);
const v4 = versionRules(4);
const v5 = versionRules(5);

describe("versionRules", () => {
  it("MQTT 5.0 has every capability, 3.1.1 none of the 5.0 ones", () => {
    for (
      const capability of [
        "properties",
        "reasonCodes",
        "connectReasonCodes",
        "serverDisconnect",
        "receiveMaximum",
        "topicAliases",
        "sessionExpiry",
        "willDelay",
        "subscriptionOptions",
        "sharedSubscriptions",
        "messageExpiry",
        "emptyClientIdResumes",
        "serverKeepAlive",
      ] as const
    ) {
      assert(v5[capability], capability);
      assertFalse(v4[capability], capability);
    }
    assert(v4.everyDisconnectDeletesWill);
    assertFalse(v5.everyDisconnectDeletesWill);
    assertEquals([v5.defaultInFlight, v4.defaultInFlight], [65_535, 20]);
  });

  it("MQTT 3.1 is 3.1.1 without Session Present, and without a SUBACK code of refusal", () => {
    assertEquals(
      { ...v3, version: 4, sessionPresentFlag: true, subackRefusal: true },
      v4,
    );
    assertFalse(v3.sessionPresentFlag);
    assertFalse(v3.subackRefusal);
  });

  it("knows 3, 4 and 5, nothing else", () => {
    for (const version of [3, 4, 5]) assert(isKnownVersion(version));
    for (const value of [2, 6, "5", undefined]) {
      assertFalse(isKnownVersion(value));
    }
  });

  it("picks the conformance id of the version (the numbering differs)", () => {
    assertEquals(
      rule(v5, "[MQTT-3.1.2-22]", "[MQTT-3.1.2-24]"),
      "[MQTT-3.1.2-22]",
    );
    assertEquals(
      rule(v4, "[MQTT-3.1.2-22]", "[MQTT-3.1.2-24]"),
      "[MQTT-3.1.2-24]",
    );
  });
});

describe("connectReturnCode", () => {
  it("maps refusals to the nearest 3.1.1 return code (section 3.2.2.3), or none", () => {
    const table: [number, number | undefined][] = [
      [0x84, 1],
      [0x85, 2],
      [0x88, 3],
      [0x89, 3],
      [0x86, 4],
      [0x87, 5],
      [0x8a, 5],
      [0x8c, 5],
      [3, 3],
      [0x97, undefined],
      [0x80, undefined],
    ];
    for (const [code, expected] of table) {
      assertEquals(connectReturnCode(code), expected, `0x${code.toString(16)}`);
    }
  });
});

describe("subackReturnCode", () => {
  it("says a granted QoS as it is, and a refusal as the version can: 5.0 its code, 3.1.1 0x80 (section 3.9.3), 3.1 the QoS asked (it has no refusal)", () => {
    const table: [number, number, number, number][] = [
      // code, 5.0, 3.1.1, 3.1 (asked for QoS 1)
      [0, 0, 0, 0],
      [2, 2, 2, 2],
      [0x80, 0x80, 0x80, 1],
      [0x87, 0x87, 0x80, 1],
      [0x97, 0x97, 0x80, 1],
      [0xa2, 0xa2, 0x80, 1],
    ];
    for (const [code, ...expected] of table) {
      assertEquals(
        [v5, v4, v3].map((rules) => subackReturnCode(rules, code, 1)),
        expected,
        `0x${code.toString(16)}`,
      );
    }
  });
});
