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

  it("removeWhere takes out the items picked, front first, and keeps the rest in order", () => {
    const deque = new Deque<number>();
    for (let i = 0; i < 12; i++) deque.push(i);
    for (let i = 0; i < 5; i++) deque.shift(); // the ring's head is mid-buffer
    for (let i = 12; i < 16; i++) deque.push(i); // and wraps around its end
    assertEquals(deque.removeWhere((n) => n % 3 === 0), [6, 9, 12, 15]);
    assertEquals([...deque], [5, 7, 8, 10, 11, 13, 14]);
    deque.push(16);
    assertEquals(deque.shift(), 5);
    assertEquals([...deque], [7, 8, 10, 11, 13, 14, 16]);
    assertEquals(new Deque<number>().removeWhere(() => true), []);
  });

  it("behaves as an array used as a queue, over long runs that compact it", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.nat(), fc.constant(-1), fc.constant(-2)), {
          maxLength: 5_000,
        }),
        (steps) => {
          const deque = new Deque<number>();
          let model: number[] = [];
          const picked = (n: number) => n % 3 === 0;
          for (const step of steps) {
            if (step === -1) assertEquals(deque.shift(), model.shift());
            else if (step === -2) {
              assertEquals(deque.removeWhere(picked), model.filter(picked));
              model = model.filter((n) => !picked(n));
            } else {
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
