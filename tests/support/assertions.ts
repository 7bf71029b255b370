/** Assertions shared by the stream and session tests. */

import { assertEquals, assertMatch, assertRejects } from "@std/assert";
import { MqttError } from "../../mod.ts";

/** Asserts that `promise` rejects with an MqttError of `reasonCode` whose message matches. */
export async function assertMqttError(
  promise: Promise<unknown>,
  reasonCode: number,
  message?: RegExp,
): Promise<MqttError> {
  const error = await assertRejects(() => promise, MqttError);
  assertEquals(error.name, "MqttError");
  assertEquals(error.reasonCode, reasonCode);
  if (message !== undefined) assertMatch(error.message, message);
  return error;
}

/** A call that must throw: its name, the call, and a word its message must hold. */
export type MisuseCall = [name: string, call: () => unknown, words: string];

/**
 * Asserts that every call throws an MqttError whose message holds its
 * words (naming the argument), never another error and never nothing: all
 * of them are tried, and the wrong ones listed together.
 */
export function assertEachThrowsMqttError(calls: MisuseCall[]): void {
  const wrong: string[] = [];
  for (const [name, call, words] of calls) {
    try {
      call();
      wrong.push(`${name}: no error`);
    } catch (error) {
      if (!(error instanceof MqttError)) {
        wrong.push(`${name}: ${(error as Error).name}`);
      } else if (!error.message.includes(words)) {
        wrong.push(`${name}: ${error.message}`);
      }
    }
  }
  assertEquals(wrong, []);
}
