/**
 * Topic names and topic filters (section 4.7 of both versions, shared
 * subscriptions of MQTT 5.0 section 4.8.2): validation and matching, with
 * the examples of the specification.
 */

import { topicNameProblem } from "../src/topic.ts";
import { assert, assertEquals, assertFalse } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import {
  isSharedSubscription,
  isValidTopicFilter,
  isValidTopicName,
  topicMatches,
} from "../mod.ts";

describe("isValidTopicName", () => {
  it("accepts names without wildcards, empty levels, spaces, '$' and multi-byte characters", () => {
    for (
      const name of [
        "a",
        "a/b",
        "/",
        "/a",
        "a/",
        "a//b",
        "$SYS/broker/uptime",
        "Accounts payable",
        "ü/€/😀",
        "\uFEFFa",
      ]
    ) {
      assert(isValidTopicName(name), name);
    }
  });

  it("rejects the empty name [MQTT-4.7.3-1] and any wildcard [MQTT-3.3.2-2]", () => {
    for (
      const name of ["", "+", "#", "a/+", "a/#", "a+b", "a#", "+/a", "a/b/#"]
    ) {
      assertFalse(isValidTopicName(name), name);
    }
  });
});

describe("isValidTopicFilter", () => {
  it("accepts well-placed wildcards (sections 4.7.1.2, 4.7.1.3)", () => {
    for (
      const filter of [
        "#",
        "+",
        "a/#",
        "sport/tennis/player1/#",
        "sport/tennis/+",
        "+/+",
        "/+",
        "+/",
        "+/tennis/#",
        "sport/+/player1",
        "a//b",
        "/",
        "$SYS/#",
        "$share",
      ]
    ) {
      assert(isValidTopicFilter(filter), filter);
    }
  });

  it("rejects '#' that is not alone in the last level [MQTT-4.7.1-1]", () => {
    for (
      const filter of [
        "a#",
        "sport/tennis#",
        "sport/tennis/#/ranking",
        "#/",
        "##",
      ]
    ) {
      assertFalse(isValidTopicFilter(filter), filter);
    }
  });

  it("rejects '+' that does not fill its level [MQTT-4.7.1-2]", () => {
    for (const filter of ["sport+", "a+", "+a", "a/b+", "a/+b/c", "++"]) {
      assertFalse(isValidTopicFilter(filter), filter);
    }
  });

  it("rejects the empty filter [MQTT-4.7.3-1]", () => {
    assertFalse(isValidTopicFilter(""));
  });

  it("accepts valid shared subscriptions (section 4.8.2)", () => {
    for (
      const filter of [
        "$share/g/a",
        "$share/g/#",
        "$share/g/+/b",
        "$share/consumer1/sport/tennis/+",
        "$share/g//",
      ]
    ) {
      assert(isValidTopicFilter(filter), filter);
    }
  });

  it("rejects shared subscriptions without a ShareName or filter, or with wildcards in the ShareName [MQTT-4.8.2-1, MQTT-4.8.2-2]", () => {
    for (
      const filter of [
        "$share/",
        "$share//a",
        "$share/g",
        "$share/g/",
        "$share/g+/a",
        "$share/+/a",
        "$share/#",
        "$share/g#/a",
        "$share/g/a#",
        "$share/g/a+",
      ]
    ) {
      assertFalse(isValidTopicFilter(filter), filter);
    }
  });
});

describe("isSharedSubscription", () => {
  it("is true for filters starting with $share/", () => {
    assert(isSharedSubscription("$share/g/a"));
    assert(isSharedSubscription("$share/consumer1/sport/#"));
  });

  it("is false otherwise (the prefix is case-sensitive)", () => {
    for (
      const filter of [
        "$share",
        "$SHARE/g/a",
        "share/g/a",
        "a/$share/g/b",
        "$sharex/g/a",
        "#",
      ]
    ) {
      assertFalse(isSharedSubscription(filter), filter);
    }
  });
});

describe("topicMatches", () => {
  /** [filter, topic, matches] */
  const cases: [string, string, boolean][] = [
    // section 4.7.1.2, the multi-level wildcard
    ["sport/tennis/player1/#", "sport/tennis/player1", true],
    ["sport/tennis/player1/#", "sport/tennis/player1/ranking", true],
    ["sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true],
    ["sport/#", "sport", true],
    ["a/#", "a", true],
    ["a/#", "a/", true],
    ["a/#", "ab", false],
    ["a/#", "b/a", false],
    ["#", "a", true],
    ["#", "/", true],
    ["#", "a/b/c", true],
    // section 4.7.1.3, the single-level wildcard
    ["sport/tennis/+", "sport/tennis/player1", true],
    ["sport/tennis/+", "sport/tennis/player2", true],
    ["sport/tennis/+", "sport/tennis/player1/ranking", false],
    ["sport/+", "sport", false],
    ["sport/+", "sport/", true],
    ["+/+", "/finance", true],
    ["/+", "/finance", true],
    ["+", "/finance", false],
    ["+/tennis/#", "sport/tennis/player1", true],
    ["+/tennis/#", "sport/tennis", true],
    ["sport/+/player1", "sport/tennis/player1", true],
    // '+' matches an empty level
    ["a/+/c", "a//c", true],
    ["+/b", "/b", true],
    ["a/+", "a/", true],
    ["+/+", "/", true],
    ["+", "", true],
    ["a/+/#", "a/b", true],
    ["a/+/#", "a/", true],
    ["a/+/#", "a", false],
    // exact matching: case, spaces, levels
    ["ACCOUNTS", "Accounts", false],
    ["Accounts payable", "Accounts payable", true],
    ["a/b", "a/b", true],
    ["a/b", "a/b/c", false],
    ["a/b/c", "a/b", false],
    ["a/b", "a/bc", false],
    ["/a", "a", false],
    ["a//b", "a/b", false],
    ["ü/€", "ü/€", true],
    // [MQTT-4.7.2-1]: a leading wildcard does not match a '$' topic
    ["#", "$SYS/monitor/Clients", false],
    ["+/monitor/Clients", "$SYS/monitor/Clients", false],
    ["+", "$SYS", false],
    ["+/#", "$SYS/a", false],
    ["$SYS/#", "$SYS/monitor/Clients", true],
    ["$SYS/monitor/+", "$SYS/monitor/Clients", true],
    ["$SYS/#", "$SYS", true],
    ["a/#", "a/$b", true],
    ["a/+", "a/$b", true],
  ];

  for (const [filter, topic, matches] of cases) {
    it(`"${filter}" ${matches ? "matches" : "does not match"} "${topic}"`, () => {
      assertEquals(topicMatches(filter, topic), matches);
    });
  }
});

describe("topicNameProblem (the last valid topic is remembered)", () => {
  it("answers for each topic by its own characters, whatever came before", () => {
    const rows: [string, boolean][] = [
      ["a/b", true],
      ["a/b", true],
      ["a/+", false],
      ["a/b", true],
      ["", false],
      ["a/#", false],
      ["a/#", false],
      ["x", true],
    ];
    for (const [topic, valid] of rows) {
      assertEquals(topicNameProblem(topic) === undefined, valid, topic);
    }
  });
});
