/** Assertions shared by the stream tests. */

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
