/**
 * TopicTree (src/topic_tree.ts): the subscription index. The examples of
 * section 4.7 one row each, shared subscriptions kept apart, validation, and
 * properties against a linear scan with `topicMatches`: same matches, and no
 * level kept once nothing needs it.
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
import {
  isSharedSubscription,
  MqttError,
  ReasonCode,
  topicMatches,
  TopicTree,
} from "../mod.ts";
import {
  levelPrefixes,
  smallFilterArbitrary,
  smallTopicArbitrary,
  SPEC_EXAMPLES,
} from "./support/topic_examples.ts";

/** The filter of a shared subscription without `$share/{ShareName}/`, and its ShareName. */
function splitShared(filter: string): { shareName?: string; plain: string } {
  if (!isSharedSubscription(filter)) return { plain: filter };
  const slash = filter.indexOf("/", "$share/".length);
  return {
    shareName: filter.slice("$share/".length, slash),
    plain: filter.slice(slash + 1),
  };
}

describe("TopicTree", () => {
  describe("matches as section 4.7 says", () => {
    for (const row of SPEC_EXAMPLES) {
      it(`${row.rule}: ${row.filter} ${row.matches ? "~" : "!~"} ${row.topic}`, () => {
        const tree = new TopicTree<string>();
        tree.add(row.filter, "subscriber");
        tree.add(`$share/group/${row.filter}`, "member");
        assertEquals(tree.match(row.topic), row.matches ? ["subscriber"] : []);
        assertEquals(
          tree.matchShared(row.topic).map((group) => [...group.members]),
          row.matches ? [["member"]] : [],
        );
        // The table agrees with the library's own matcher.
        assertEquals(topicMatches(row.filter, row.topic), row.matches);
      });
    }
  });

  it("returns every matching value once per matching filter (overlapping subscriptions)", () => {
    const tree = new TopicTree<string>();
    tree.add("a/b", "x");
    tree.add("a/+", "x");
    tree.add("a/#", "y");
    tree.add("#", "z");
    tree.add("a/c", "w");
    assertEquals(tree.match("a/b").sort(), ["x", "x", "y", "z"]);
    assertEquals(tree.match("a").sort(), ["y", "z"]);
  });

  it("stores a value once per filter; values are compared as a Set does", () => {
    const tree = new TopicTree<{ id: number }>();
    const one = { id: 1 };
    assert(tree.add("a", one));
    assertFalse(tree.add("a", one));
    assert(tree.add("a", { id: 1 })); // another object
    assertEquals(tree.size, 2);
    assertEquals(tree.match("a").length, 2);
    assert(tree.has("a", one));
    assertFalse(tree.has("b", one));
    assertFalse(tree.has("a/#", one));
  });

  describe("shared subscriptions", () => {
    it("keeps them out of match and returns one group per ShareName and filter", () => {
      const tree = new TopicTree<string>();
      tree.add("$share/g1/jobs/+", "w1");
      tree.add("$share/g1/jobs/+", "w2");
      tree.add("$share/g2/jobs/+", "w3");
      tree.add("$share/g1/jobs/#", "w4"); // same ShareName, another filter
      tree.add("jobs/+", "plain");
      assertEquals(tree.match("jobs/1"), ["plain"]);
      const groups = tree.matchShared("jobs/1")
        .map((group) => ({
          shareName: group.shareName,
          topicFilter: group.topicFilter,
          members: [...group.members],
        }))
        .sort((a, b) =>
          (a.shareName + a.topicFilter).localeCompare(
            b.shareName + b.topicFilter,
          )
        );
      assertEquals(groups, [
        { shareName: "g1", topicFilter: "jobs/#", members: ["w4"] },
        { shareName: "g1", topicFilter: "jobs/+", members: ["w1", "w2"] },
        { shareName: "g2", topicFilter: "jobs/+", members: ["w3"] },
      ]);
      assertEquals(tree.size, 5);
    });

    it("keeps members in the order added; a removed member leaves the group, the last one the group", () => {
      const tree = new TopicTree<string>();
      for (const member of ["a", "b", "c"]) tree.add("$share/g/t", member);
      assertFalse(tree.add("$share/g/t", "b"));
      assert(tree.remove("$share/g/t", "b"));
      assertFalse(tree.remove("$share/g/t", "b"));
      assertFalse(tree.remove("t", "a")); // not a plain subscription
      assertEquals(tree.matchShared("t")[0].members, ["a", "c"]);
      tree.remove("$share/g/t", "a");
      tree.remove("$share/g/t", "c");
      assertEquals(tree.matchShared("t"), []);
      assertEquals([tree.size, tree.nodeCount], [0, 0]);
    });

    it("a shared '#' matches no $ topic either [MQTT-4.7.2-1]", () => {
      const tree = new TopicTree<string>();
      tree.add("$share/g/#", "m");
      assertEquals(tree.matchShared("$SYS/x"), []);
      assertEquals(tree.matchShared("x").length, 1);
    });

    it("'$share' alone, or without the slash, is an ordinary filter", () => {
      const tree = new TopicTree<string>();
      tree.add("$share", "v");
      assertEquals(tree.match("$share"), ["v"]);
      assertEquals(tree.matchShared("$share"), []);
    });
  });

  describe("refuses what is not a topic filter or name", () => {
    const badFilters: [string, string][] = [
      ["", "MQTT-4.7.3-1"],
      ["a/#/b", "MQTT-4.7.1-1"],
      ["a#", "MQTT-4.7.1-1"],
      ["a/b+", "MQTT-4.7.1-2"],
      ["$share//a", "MQTT-4.8.2-1"],
      ["$share/g+/a", "MQTT-4.8.2-1"],
      ["$share/g", "MQTT-4.8.2-2"],
      ["$share/g/", "MQTT-4.8.2-2"],
    ];
    for (const [filter, rule] of badFilters) {
      it(`filter ${JSON.stringify(filter)}: 0x8F with [${rule}], in add, remove and has`, () => {
        const tree = new TopicTree<number>();
        for (
          const call of [
            () => tree.add(filter, 1),
            () => tree.remove(filter, 1),
            () => tree.has(filter, 1),
          ]
        ) {
          const error = assertThrows(call, MqttError);
          assertEquals(error.reasonCode, ReasonCode.TopicFilterInvalid);
          assertStringIncludes(error.message, "TopicTree.");
          assertStringIncludes(error.message, rule);
        }
        assertEquals([tree.size, tree.nodeCount], [0, 0]);
      });
    }

    for (const topic of ["", "a/+", "#", "a/b#"]) {
      it(`topic name ${JSON.stringify(topic)}: 0x90 in match and matchShared`, () => {
        const tree = new TopicTree<number>();
        tree.add("#", 1);
        for (
          const call of [() => tree.match(topic), () => tree.matchShared(topic)]
        ) {
          const error = assertThrows(call, MqttError);
          assertEquals(error.reasonCode, ReasonCode.TopicNameInvalid);
          assertStringIncludes(error.message, "TopicTree.match");
        }
      });
    }

    it("cuts a long filter short in the message", () => {
      const filter = `${"x".repeat(10_000)}/#/y`;
      const error = assertThrows(
        () => new TopicTree<number>().add(filter, 1),
        MqttError,
      );
      assert(error.message.length < 300, error.message);
    });
  });

  it("frees every level once nothing is stored under it", () => {
    const tree = new TopicTree<number>();
    const filters = ["a/b/c", "a/b/#", "a/+/c", "+/#", "$share/g/a/b/c", "#"];
    for (const filter of filters) tree.add(filter, 1);
    // a, a/b, a/b/c, a/b/#, a/+, a/+/c, +, +/#, # (the shared one reuses a/b/c)
    assertEquals(tree.nodeCount, 9);
    for (const filter of filters) tree.remove(filter, 1);
    assertEquals([tree.size, tree.nodeCount], [0, 0]);
    // 100,000 distinct filters in, then out: nothing stays behind.
    for (let i = 0; i < 100_000; i++) tree.add(`s/${i % 100}/${i}/#`, i);
    assertEquals(tree.size, 100_000);
    for (let i = 0; i < 100_000; i++) tree.remove(`s/${i % 100}/${i}/#`, i);
    assertEquals([tree.size, tree.nodeCount], [0, 0]);
  });

  it("clear() empties it", () => {
    const tree = new TopicTree<number>();
    tree.add("a/b", 1);
    tree.add("$share/g/a/b", 2);
    tree.clear();
    assertEquals([tree.size, tree.nodeCount], [0, 0]);
    assertEquals(tree.match("a/b"), []);
    assertEquals(tree.matchShared("a/b"), []);
    tree.add("a/b", 1);
    assertEquals(tree.match("a/b"), [1]);
  });

  describe("properties", () => {
    type Command =
      | { op: "add"; filter: string; value: number }
      | { op: "remove"; filter: string; value: number }
      | { op: "match"; topic: string };

    const filter = fc.oneof(
      { weight: 4, arbitrary: smallFilterArbitrary() },
      {
        weight: 1,
        arbitrary: fc.tuple(fc.constantFrom("g", "h"), smallFilterArbitrary())
          .map(([name, rest]) => `$share/${name}/${rest}`),
      },
    );
    const value = fc.integer({ min: 0, max: 3 });
    const command: fc.Arbitrary<Command> = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({
          op: fc.constant("add" as const),
          filter,
          value,
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          op: fc.constant("remove" as const),
          filter,
          value,
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          op: fc.constant("match" as const),
          topic: smallTopicArbitrary(),
        }),
      },
    );

    it("match and matchShared return what a linear scan with topicMatches finds; nodes are exactly the stored levels", () => {
      fc.assert(
        fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
          const tree = new TopicTree<number>();
          /** The model: every (filter, value) pair stored, as "filter\0value". */
          const stored = new Set<string>();
          const key = (f: string, v: number) => `${f}\u0000${v}`;
          for (const c of commands) {
            if (c.op === "add") {
              assertEquals(
                tree.add(c.filter, c.value),
                !stored.has(key(c.filter, c.value)),
              );
              stored.add(key(c.filter, c.value));
            } else if (c.op === "remove") {
              assertEquals(
                tree.remove(c.filter, c.value),
                stored.delete(key(c.filter, c.value)),
              );
            } else {
              const plain: number[] = [];
              const shared = new Map<string, number[]>();
              for (const entry of stored) {
                const [f, v] = entry.split("\u0000");
                const { shareName, plain: plainFilter } = splitShared(f);
                if (!topicMatches(plainFilter, c.topic)) continue;
                if (shareName === undefined) plain.push(Number(v));
                else {
                  const group = `${shareName} ${plainFilter}`;
                  shared.set(group, [...shared.get(group) ?? [], Number(v)]);
                }
              }
              assertEquals(tree.match(c.topic).sort(), plain.sort());
              const groups = new Map(
                tree.matchShared(c.topic).map((group) => [
                  `${group.shareName} ${group.topicFilter}`,
                  [...group.members].sort(),
                ]),
              );
              assertEquals(
                groups,
                new Map(
                  [...shared].map((
                    [group, members],
                  ) => [group, members.sort()]),
                ),
              );
            }
            assertEquals(tree.size, stored.size);
            const filters = [...stored].map((entry) =>
              splitShared(entry.split("\u0000")[0]).plain
            );
            assertEquals(tree.nodeCount, levelPrefixes(filters).size);
          }
        }),
        { numRuns: 300 },
      );
    });
  });
});
