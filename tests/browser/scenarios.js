// The client scenarios of tests/support/scenarios.mjs in the browser: each
// row in turn, over the page's WebSocket client to the broker whose port is
// in the query string (?ws=PORT), with the bundle; a row with a known bug
// here is skipped unless the query has knownBugs=1. What each row did goes
// to `window.scenarioResults` ({ name, error?, knownBug? }), read by
// tests/browser_test.ts.

import * as lib from "../../dist/mqtt_codec.mjs";
import { knownBugOf, scenarios } from "../support/scenarios.mjs";

const query = new URLSearchParams(location.search);
const port = query.get("ws");
const where = { runtime: "Chromium", transport: "WebSocket" };
const open = () =>
  Promise.resolve(
    lib.webSocketStreams(new WebSocket(`ws://127.0.0.1:${port}`, "mqtt")),
  );

const results = [];
for (const [row, scenario] of scenarios.entries()) {
  const knownBug = knownBugOf(scenario, where);
  if (knownBug !== undefined && query.get("knownBugs") !== "1") {
    results.push({ name: scenario.name, knownBug });
    continue;
  }
  try {
    await scenario.run({ lib, open, id: `chromium-WebSocket-${row}` });
    results.push({ name: scenario.name });
  } catch (error) {
    results.push({ name: scenario.name, error: String(error?.stack ?? error) });
  }
}
globalThis.scenarioResults = results;
