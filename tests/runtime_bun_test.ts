/**
 * The library in Bun (npm package `bun`, installed by `.ci/run`): one
 * `bun test` process runs tests/bun/ — the codec on mod.ts, which Bun runs
 * as TypeScript, the client scenarios of tests/support/scenarios.mjs over
 * `Bun.connect`, `node:net` and Bun's WebSocket, against mosquitto (TCP) and
 * the example broker (WebSocket) started here, and the close orders of
 * tests/support/close_orders.mjs on the same transports.
 *
 * Bun imports mod.ts, not the bundle: Bun runs TypeScript as it is, so the
 * sources themselves are what runs (no build step between the code and the
 * test), and any syntax of ours that Bun's transpiler took differently would
 * show here. The bundle is what Node and Chromium run, and what the README's
 * snippets import in Bun (tests/readme_test.ts), as a Bun user's
 * node_modules would have it.
 *
 * @module
 */

import { afterAll, beforeAll, describe, it } from "@std/testing/bdd";
import {
  assertSuitePassed,
  installedRuntime,
  runSuite,
  runtimeVersion,
  type ScenarioBrokers,
  startScenarioBrokers,
} from "./support/runtimes.ts";

const bun = installedRuntime("bun", "runtime_bun_test");

describe({
  name: "Bun",
  ignore: bun === undefined,
  // The brokers live across the tests of this suite.
  sanitizeOps: false,
  sanitizeResources: false,
}, () => {
  let brokers: ScenarioBrokers;

  beforeAll(async () => {
    brokers = await startScenarioBrokers();
  });

  afterAll(async () => {
    await brokers?.stop();
  });

  it("runs tests/bun/: the codec, the scenarios and the close orders over Bun.connect, node:net and WebSocket", async () => {
    const result = await runSuite(bun!, ["test", "./tests/bun/"], brokers.env);
    assertSuitePassed(`Bun ${await runtimeVersion(bun!)}`, result);
  });
});
