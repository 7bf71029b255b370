/** The Packet Identifier table: a Map of identifiers, by linear probing. */

import { assert, assertEquals, assertFalse } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import { IdTable } from "../../src/session/id_table.ts";

describe("IdTable", () => {
  it("sets, gets, replaces and deletes", () => {
    const table = new IdTable<string>();
    table.set(1, "a");
    table.set(9, "b"); // the same home slot as 1 in 8 slots
    table.set(1, "c");
    assertEquals([table.get(1), table.get(9), table.size], ["c", "b", 2]);
    assert(table.delete(1));
    assertFalse(table.delete(1));
    assertEquals(table.get(9), "b"); // shifted back, still found
    assertEquals(table.get(1), undefined);
    table.clear();
    assertEquals(table.size, 0);
  });

  it("works before its first entry and after clear(), when it holds no slots", () => {
    const table = new IdTable<string>();
    const empty = () =>
      assertEquals(
        [table.size, table.has(3), table.get(3), table.delete(3)],
        [0, false, undefined, false],
      );
    empty();
    table.set(3, "x");
    table.clear();
    empty();
    assertEquals(table.values(), []);
    table.set(65_535, "y");
    assertEquals([table.get(65_535), table.size], ["y", 1]);
  });

  it("behaves as a Map, through growth and deletions that wrap around the slots", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.boolean(),
            fc.oneof(
              fc.integer({ min: 1, max: 40 }),
              fc.integer({ min: 1, max: 65_535 }),
            ),
          ),
          { maxLength: 400 },
        ),
        (steps) => {
          const table = new IdTable<number>();
          const model = new Map<number, number>();
          steps.forEach(([add, id], i) => {
            if (add) {
              table.set(id, i);
              model.set(id, i);
            } else {
              assertEquals(table.delete(id), model.delete(id));
            }
            assertEquals(table.size, model.size);
          });
          for (const [id, value] of model) assertEquals(table.get(id), value);
          assertEquals(
            table.values().sort((a, b) => a - b),
            [...model.values()].sort((a, b) => a - b),
          );
          for (let id = 1; id <= 45; id++) {
            assertEquals(table.has(id), model.has(id));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
