// The client scenarios of tests/support/scenarios.mjs in the browser: each
// row in turn, over the page's WebSocket client to the broker whose port is
// in the query string (?ws=PORT), with the bundle. What each row did goes
// to `window.scenarioResults` ({ name, error? }), read by
// tests/browser_test.ts.

import * as lib from "../../dist/mqtt_codec.mjs";
import { scenarios } from "../support/scenarios.mjs";

const port = new URLSearchParams(location.search).get("ws");
const open = () =>
  Promise.resolve(
    lib.webSocketStreams(new WebSocket(`ws://127.0.0.1:${port}`, "mqtt")),
  );

const results = [];
for (const [row, scenario] of scenarios.entries()) {
  try {
    await scenario.run({ lib, open, id: `chromium-WebSocket-${row}` });
    results.push({ name: scenario.name });
  } catch (error) {
    results.push({ name: scenario.name, error: String(error?.stack ?? error) });
  }
}
globalThis.scenarioResults = results;
