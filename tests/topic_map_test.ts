/**
 * TopicMap (src/topic_map.ts): values by topic name, found by topic filter
 * (retained messages). The examples of section 4.7 one row each, Map-like
 * behaviour, validation, and properties against a linear scan with
 * `topicMatches`: same matches, and no level kept once nothing needs it.
 */

import {
  assert,
  assertEquals,
  assertFalse,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import { MqttError, ReasonCode, TopicMap, topicMatches } from "../mod.ts";
import {
  levelPrefixes,
  smallFilterArbitrary,
  smallTopicArbitrary,
  SPEC_EXAMPLES,
} from "./support/topic_examples.ts";

describe("TopicMap", () => {
  describe("matches as section 4.7 says", () => {
    for (const row of SPEC_EXAMPLES) {
      it(`${row.rule}: ${row.filter} ${row.matches ? "~" : "!~"} ${row.topic}`, () => {
        const map = new TopicMap<string>().set(row.topic, "retained");
        assertEquals(map.match(row.filter), row.matches ? ["retained"] : []);
      });
    }
  });

  it("works as a Map by topic name: set replaces, get, has, delete, size", () => {
    const map = new TopicMap<string | undefined>();
    assertEquals(map.set("a/b", "1"), map);
    map.set("a/b", "2").set("a", undefined);
    assertEquals(map.size, 2);
    assertEquals(map.get("a/b"), "2");
    assert(map.has("a")); // a stored undefined is a value
    assertEquals(map.match("a/#").sort(), ["2", undefined]);
    assertFalse(map.has("a/b/c"));
    assertEquals(map.get("nothing"), undefined);
    assert(map.delete("a"));
    assertFalse(map.delete("a"));
    assertFalse(map.delete("never"));
    assertEquals(map.match("a/#"), ["2"]);
    assertEquals(map.size, 1);
  });

  it("finds the topics of one branch among 100,000 without visiting the others", () => {
    const map = new TopicMap<number>();
    for (let i = 0; i < 100_000; i++) map.set(`device/${i}/state`, i);
    assertEquals(map.match("device/4242/+"), [4242]);
    assertEquals(map.match("device/+/state").length, 100_000);
    assertEquals(map.match("nothing/here/#"), []);
    for (let i = 0; i < 100_000; i++) map.delete(`device/${i}/state`);
    assertEquals([map.size, map.nodeCount], [0, 0]);
  });

  it("matches a '$share/' filter as written: shared subscriptions get no retained messages", () => {
    const map = new TopicMap<string>().set("jobs/1", "job");
    assertEquals(map.match("$share/g/jobs/+"), []);
    map.set("$share/g/jobs/1", "literal");
    assertEquals(map.match("$share/g/jobs/+"), ["literal"]);
  });

  describe("refuses what is not a topic name or filter", () => {
    for (const topic of ["", "a/+", "#", "a#"]) {
      it(`set(${JSON.stringify(topic)}): 0x90`, () => {
        const map = new TopicMap<number>();
        const error = assertThrows(() => map.set(topic, 1), MqttError);
        assertEquals(error.reasonCode, ReasonCode.TopicNameInvalid);
        assertStringIncludes(error.message, "TopicMap.set");
        assertEquals([map.size, map.nodeCount], [0, 0]);
      });
    }
    for (
      const [filter, rule] of [
        ["", "MQTT-4.7.3-1"],
        ["a/#/b", "MQTT-4.7.1-1"],
        ["a/b+", "MQTT-4.7.1-2"],
        ["$share/g/a#", "MQTT-4.7.1-2"], // 3.1.1's number for it: see TopicMap.match
      ]
    ) {
      it(`match(${JSON.stringify(filter)}): 0x8F with [${rule}]`, () => {
        const map = new TopicMap<number>().set("a", 1);
        const error = assertThrows(() => map.match(filter), MqttError);
        assertEquals(error.reasonCode, ReasonCode.TopicFilterInvalid);
        assertStringIncludes(error.message, "TopicMap.match");
        assertStringIncludes(error.message, rule);
      });
    }
  });

  it("clear() empties it", () => {
    const map = new TopicMap<number>().set("a/b", 1).set("c", 2);
    map.clear();
    assertEquals([map.size, map.nodeCount], [0, 0]);
    assertEquals(map.match("#"), []);
    assertFalse(map.has("a/b"));
    map.set("a/b", 3);
    assertEquals(map.match("#"), [3]);
  });

  describe("properties", () => {
    type Command =
      | { op: "set"; topic: string; value: number }
      | { op: "delete"; topic: string }
      | { op: "match"; filter: string };

    const command: fc.Arbitrary<Command> = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({
          op: fc.constant("set" as const),
          topic: smallTopicArbitrary(),
          value: fc.integer(),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          op: fc.constant("delete" as const),
          topic: smallTopicArbitrary(),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          op: fc.constant("match" as const),
          filter: smallFilterArbitrary(),
        }),
      },
    );

    it("match returns what a linear scan with topicMatches finds; nodes are exactly the stored levels", () => {
      fc.assert(
        fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
          const map = new TopicMap<number>();
          const model = new Map<string, number>();
          for (const c of commands) {
            if (c.op === "set") {
              map.set(c.topic, c.value);
              model.set(c.topic, c.value);
            } else if (c.op === "delete") {
              assertEquals(map.delete(c.topic), model.delete(c.topic));
            } else {
              const expected = [...model]
                .filter(([topic]) => topicMatches(c.filter, topic))
                .map(([, value]) => value);
              assertEquals(
                map.match(c.filter).sort((a, b) => a - b),
                expected.sort((a, b) => a - b),
              );
            }
            assertEquals(map.size, model.size);
            for (const [topic, value] of model) {
              assertEquals(map.get(topic), value);
            }
            assertEquals(map.nodeCount, levelPrefixes(model.keys()).size);
          }
        }),
        { numRuns: 300 },
      );
    });
  });
});
