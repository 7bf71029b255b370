/**
 * The subscriber's set of distinct payloads (examples/client/payload_set.ts):
 * what it saves is small for "0" .. "N-1", and gives the same set back.
 */

import { assertEquals } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import { PayloadSet } from "../../examples/client/payload_set.ts";

describe("PayloadSet", () => {
  it("add() says whether a payload is new", () => {
    const set = new PayloadSet();
    assertEquals([set.add("1"), set.add("1"), set.add("x")], [
      true,
      false,
      true,
    ]);
    assertEquals(set.size, 2);
  });

  it("saves runs of whole numbers as [first, last], other payloads as they are", () => {
    const set = new PayloadSet();
    for (let i = 0; i < 2_000; i++) if (i !== 700) set.add(String(i));
    // Not whole numbers as String() writes them: kept as text.
    for (const other of ["007", "-1", "1e3", "", "x"]) set.add(other);
    assertEquals(set.save(), [
      [0, 699],
      [701, 1_999],
      "007",
      "-1",
      "1e3",
      "",
      "x",
    ]);
  });

  it("from(save()) is the same set", () => {
    const payload = fc.oneof(
      fc.nat({ max: 300 }).map(String),
      fc.string({ maxLength: 4 }),
    );
    fc.assert(fc.property(fc.array(payload), (payloads) => {
      const set = new PayloadSet();
      for (const text of payloads) set.add(text);
      const restored = PayloadSet.from(set.save());
      assertEquals(restored.size, new Set(payloads).size);
      for (const text of payloads) assertEquals(restored.add(text), false);
      assertEquals(restored.save(), set.save());
    }));
  });
});
