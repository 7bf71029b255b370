/**
 * The example broker's `--deny` list (examples/broker/deny_list.ts): which
 * filter covers which, one row per rule of section 4.7, checked against
 * `topicMatches` on sample topics; and what the list refuses and hides.
 */

import { assert, assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import { covers, DenyList } from "../examples/broker/deny_list.ts";
import { topicMatches } from "../mod.ts";

describe("covers(outer, inner): every topic inner matches, outer matches", () => {
  const table: [string, string, boolean, string][] = [
    ["a/b", "a/b", true, "a name covers itself"],
    ["a/b", "a/c", false, "and no other name"],
    ["a/+", "a/b", true, "+ covers a name"],
    ["a/+", "a/+", true, "+ covers +"],
    ["a/+", "a/#", false, "+ does not cover # (a/b/c)"],
    ["a/+", "a", false, "+ needs its level (a/+ does not match a)"],
    ["a/#", "a", true, "# covers the level above it [MQTT-4.7.1-1]"],
    ["a/#", "a/b/+/d", true, "# covers every level below"],
    ["a/#", "a/#", true, "# covers #"],
    ["a/b", "a/#", false, "a name does not cover #"],
    ["a/b/c", "a/b", false, "a longer filter does not cover a shorter one"],
    ["a", "a/b", false, "a shorter filter does not cover a longer one"],
    ["#", "+/x", true, "# covers everything that does not start with $"],
    ["#", "$SYS/#", false, "# does not cover $ topics [MQTT-4.7.2-1]"],
    ["+/x", "$SYS/x", false, "nor does a leading + [MQTT-4.7.2-1]"],
    ["$SYS/#", "$SYS/x", true, "a $ filter covers its $ topics"],
    ["+/+", "#", false, "+/+ does not cover # (a, a/b/c)"],
  ];
  for (const [outer, inner, expected, rule] of table) {
    it(`${outer} ${expected ? "covers" : "does not cover"} ${inner}: ${rule}`, () => {
      assertEquals(covers(outer, inner), expected);
    });
  }

  it("agrees with topicMatches: when outer covers inner, every topic inner matches, outer matches", () => {
    const level = fc.constantFrom("a", "b", "$s", "+", "#", "");
    const filter = fc.array(level, { minLength: 1, maxLength: 4 })
      .map((levels) => {
        const at = levels.indexOf("#");
        return (at < 0 ? levels : levels.slice(0, at + 1)).join("/");
      });
    const topic = fc.array(fc.constantFrom("a", "b", "$s", ""), {
      minLength: 1,
      maxLength: 5,
    }).map((levels) => levels.join("/"));
    fc.assert(
      fc.property(filter, filter, fc.array(topic), (outer, inner, topics) => {
        if (!covers(outer, inner)) return;
        for (const name of topics) {
          if (topicMatches(inner, name)) {
            assert(topicMatches(outer, name), `${outer} ⊇ ${inner}: ${name}`);
          }
        }
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("DenyList", () => {
  const deny = new DenyList(["secret/#", "test/nosubscribe"]);

  it("refuses what a deny filter covers, shared subscriptions by their filter", () => {
    for (
      const filter of [
        "secret/#",
        "secret",
        "secret/+/x",
        "test/nosubscribe",
        "$share/g/secret/a",
      ]
    ) {
      assert(deny.refuses(filter), filter);
    }
    for (const filter of ["#", "+/nosubscribe", "test/+", "public/a"]) {
      assert(!deny.refuses(filter), filter);
    }
  });

  it("hides the topics a deny filter matches, from every subscription", () => {
    assert(deny.hides("secret/plans/x"));
    assert(deny.hides("test/nosubscribe"));
    assert(!deny.hides("test/other"));
    assert(!new DenyList([]).hides("secret/a"));
    assert(new DenyList([]).isEmpty);
  });

  it("takes only valid, non-shared topic filters", () => {
    for (const bad of ["a/#/b", "a+", "$share/g/a", ""]) {
      assertThrows(() => new DenyList([bad]), Error, "not a topic filter");
    }
  });
});
