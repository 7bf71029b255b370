/**
 * The client scenarios of tests/support/scenarios.mjs on Deno, with mod.ts,
 * over `Deno.connect` to mosquitto and over Deno's WebSocket client to the
 * example broker: the same rows that Node and Bun run.
 *
 * @module
 */

import { afterAll, beforeAll, describe, it } from "@std/testing/bdd";
import * as lib from "../mod.ts";
import { brokerAddress, defineScenarioTests } from "./support/scenarios.mjs";
import {
  type ScenarioBrokers,
  startScenarioBrokers,
} from "./support/runtimes.ts";

let brokers: ScenarioBrokers;
let address: { tcpPort: number; wsUrl: string };

describe("scenarios", () => {
  beforeAll(async () => {
    brokers = await startScenarioBrokers();
    address = brokerAddress(brokers.env);
  });

  afterAll(async () => {
    await brokers?.stop();
  });

  defineScenarioTests({ describe, it }, lib, `Deno ${Deno.version.deno}`, {
    "Deno.connect": {
      async open() {
        const conn = await Deno.connect({
          hostname: "127.0.0.1",
          port: address.tcpPort,
        });
        return { readable: conn.readable, writable: conn.writable };
      },
    },
    "WebSocket": () =>
      Promise.resolve(
        lib.webSocketStreams(new WebSocket(address.wsUrl, "mqtt")),
      ),
  });
});
