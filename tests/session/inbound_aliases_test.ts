/**
 * Topic Aliases we receive (MQTT 5.0 section 3.3.2.3.4): mappings resolved
 * and checked.
 */

import { assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { MqttError } from "../../mod.ts";
import { InboundTopicAliases } from "../../src/session/inbound_aliases.ts";

describe("InboundTopicAliases", () => {
  it("maps an alias sent with a topic, and resolves it later [MQTT-3.3.2-10], [MQTT-3.3.2-12]", () => {
    const aliases = new InboundTopicAliases(2);
    assertEquals(aliases.resolve("a/b", 1), "a/b");
    assertEquals(aliases.resolve("", 1), "a/b");
    assertEquals(aliases.resolve("c", 2), "c");
    // A new topic replaces the mapping.
    assertEquals(aliases.resolve("d", 1), "d");
    assertEquals(aliases.resolve("", 1), "d");
  });

  const table: [string, number, number, number][] = [
    ["an alias of 0", 2, 0, 0x94],
    ["an alias above our maximum", 2, 3, 0x94],
    ["any alias when we accept none", 0, 1, 0x94],
  ];
  for (const [name, maximum, alias, code] of table) {
    it(`refuses ${name} with 0x94 Topic Alias invalid (section 3.3.2.3.4)`, () => {
      const error = assertThrows(
        () => new InboundTopicAliases(maximum).resolve("t", alias),
        MqttError,
      );
      assertEquals(error.reasonCode, code);
    });
  }

  it("refuses an empty topic with an alias not mapped yet: 0x82 Protocol Error", () => {
    const error = assertThrows(
      () => new InboundTopicAliases(5).resolve("", 4),
      MqttError,
      "no mapping",
    );
    assertEquals(error.reasonCode, 0x82);
  });
});
