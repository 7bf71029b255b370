/** The FIFO queue under the session's queues: order kept, memory released. */

import { assertEquals } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import { Deque } from "../../src/session/deque.ts";

describe("Deque", () => {
  it("is first in, first out", () => {
    const deque = new Deque<number>();
    deque.push(1);
    deque.push(2);
    assertEquals(deque.peek(), 1);
    assertEquals(deque.shift(), 1);
    deque.push(3);
    assertEquals([...deque], [2, 3]);
    assertEquals(deque.length, 2);
    assertEquals(deque.drain(), [2, 3]);
    assertEquals(deque.shift(), undefined);
    assertEquals(deque.peek(), undefined);
  });

  it("behaves as an array used as a queue, over long runs that compact it", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.nat(), fc.constant(-1)), { maxLength: 5_000 }),
        (steps) => {
          const deque = new Deque<number>();
          const model: number[] = [];
          for (const step of steps) {
            if (step === -1) assertEquals(deque.shift(), model.shift());
            else {
              deque.push(step);
              model.push(step);
            }
            assertEquals(deque.length, model.length);
          }
          assertEquals([...deque], model);
        },
      ),
      { numRuns: 30 },
    );
  });
});
