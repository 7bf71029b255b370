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

  it("works before its first push and after drain(), when it holds no buffer", () => {
    const deque = new Deque<number>();
    assertEquals([deque.length, deque.peek(), deque.shift()], [
      0,
      undefined,
      undefined,
    ]);
    assertEquals([...deque, ...deque.drain()], []);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 20; i++) deque.push(i);
      assertEquals(deque.shift(), 0);
      assertEquals(deque.drain().length, 19);
    }
    // Two queues never share what they hold.
    const other = new Deque<number>();
    deque.push(1);
    assertEquals([...other], []);
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
