/**
 * Topic Aliases (MQTT 5.0 section 3.3.2.3.4): inbound mappings resolved
 * and checked, outbound ones assigned first come, first served within the
 * peer's maximum.
 */

import { assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { MqttError } from "../../mod.ts";
import { InboundTopicAliases } from "../../src/session/inbound_aliases.ts";
import { OutboundTopicAliases } from "../../src/session/outbound_aliases.ts";

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

describe("OutboundTopicAliases", () => {
  it("offers the next free alias, then the established one once assigned", () => {
    const aliases = new OutboundTopicAliases(2);
    assertEquals(aliases.aliasFor("sensors/1"), 1);
    assertEquals(aliases.aliasFor("sensors/1"), 1); // not assigned yet
    aliases.assign("sensors/1", 1);
    assertEquals(aliases.aliasFor("sensors/1"), -1);
    assertEquals(aliases.aliasFor("sensors/2"), 2);
    aliases.assign("sensors/2", 2);
    // All taken: other topics go in full, nothing is reassigned.
    assertEquals(aliases.aliasFor("sensors/3"), 0);
    assertEquals(aliases.aliasFor("sensors/1"), -1);
    assertEquals(aliases.size, 2);
  });

  it("gives no alias when the peer takes none [MQTT-3.1.2-27], [MQTT-3.2.2-18], or for names too short to gain", () => {
    assertEquals(new OutboundTopicAliases(0).aliasFor("long/topic"), 0);
    assertEquals(new OutboundTopicAliases(10).aliasFor("a/b"), 0);
  });
});
