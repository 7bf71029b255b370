/**
 * Topic Aliases we send (MQTT 5.0 section 3.3.2.3.4): assigned first come,
 * first served within the peer's maximum, never reassigned.
 */

import { assertEquals } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { OutboundTopicAliases } from "../../src/session/outbound_aliases.ts";

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
