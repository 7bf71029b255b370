/**
 * The library in a real browser: the bundle (`scripts/build_bundle.ts`) and
 * a small page (`tests/browser/`) are served over 127.0.0.1 and opened in
 * headless Chromium, driven by playwright-core. The page connects over
 * WebSocket to the example broker, subscribes, publishes and receives its
 * own message through PacketReader/PacketWriter; the test reads the outcome
 * from the page and takes a screenshot into its temporary folder. A second
 * page runs the client scenarios of tests/support/scenarios.mjs, every row,
 * over the browser's WebSocket. A third page reads with PacketParser from
 * the WebSocket's `message` event (no streams), beside MQTT.js; and every
 * close order of tests/support/close_orders.mjs runs on the page's client
 * WebSocket, through webSocketStreams and connectWebSocket, against a raw
 * WebSocket server here.
 *
 * Needs Chromium at /usr/bin/chromium (Debian package `chromium`, installed
 * by `.ci/run`); the test is skipped, loudly, when it is missing off CI.
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import { afterAll, beforeAll, describe, it } from "@std/testing/bdd";
import type { BrowserContext, Page } from "playwright-core";
import mqtt from "mqtt";
import { type RunningBroker, startBroker } from "../examples/broker.ts";
import { buildBundle } from "../scripts/build_bundle.ts";
import { scenarios } from "./support/scenarios.mjs";
import { CLOSE_ORDERS } from "./support/close_orders.mjs";
import { PeerControl, type RowResult } from "./support/peer_control.ts";
import {
  type RawWebSocketServer,
  rawWebSocketServer,
} from "./support/raw_web_socket.ts";
import { withTimeout } from "./support/net.ts";
import {
  installedChromium,
  launchChromium,
  serveFiles,
} from "./support/chromium.ts";

const PAGE_DIR = new URL("./browser/", import.meta.url);
const chromiumPath = installedChromium("browser_test");

interface PageResult {
  error?: string;
  api: string;
  connackReasonCode: number;
  subackReasonCodes: number[];
  pubackPacketId: number;
  topic: string;
  payload: string;
  sent: string;
  contentType: string;
  payloadIsUint8Array: boolean;
}

/**
 * Serves the page and the bundle on 127.0.0.1, at the paths they have in the
 * repository (the page imports `../../dist/mqtt_codec.mjs`); the bundle is
 * this test's own build.
 */
function servePage(bundle: string): Deno.HttpServer<Deno.NetAddr> {
  return serveFiles({
    "/tests/browser/": [
      new URL("index.html", PAGE_DIR),
      "text/html; charset=utf-8",
    ],
    "/tests/browser/page.js": [new URL("page.js", PAGE_DIR), "text/javascript"],
    "/tests/browser/scenarios.html": [
      new URL("scenarios.html", PAGE_DIR),
      "text/html; charset=utf-8",
    ],
    "/tests/browser/scenarios.js": [
      new URL("scenarios.js", PAGE_DIR),
      "text/javascript",
    ],
    "/tests/support/scenarios.mjs": [
      new URL("../support/scenarios.mjs", PAGE_DIR),
      "text/javascript",
    ],
    "/tests/browser/close_orders.html": [
      new URL("close_orders.html", PAGE_DIR),
      "text/html; charset=utf-8",
    ],
    "/tests/browser/close_orders.js": [
      new URL("close_orders.js", PAGE_DIR),
      "text/javascript",
    ],
    "/tests/browser/push_parser.html": [
      new URL("push_parser.html", PAGE_DIR),
      "text/html; charset=utf-8",
    ],
    "/tests/browser/push_parser.js": [
      new URL("push_parser.js", PAGE_DIR),
      "text/javascript",
    ],
    "/tests/support/close_orders.mjs": [
      new URL("../support/close_orders.mjs", PAGE_DIR),
      "text/javascript",
    ],
    "/dist/mqtt_codec.mjs": [bundle, "text/javascript"],
  });
}

describe({
  name: "the bundle in headless Chromium",
  ignore: chromiumPath === undefined,
  // Chromium and the broker live across the tests of this suite.
  sanitizeOps: false,
  sanitizeResources: false,
}, () => {
  let tmp: string;
  let broker: RunningBroker;
  let server: Deno.HttpServer<Deno.NetAddr>;
  let context: BrowserContext;
  // A failed run keeps its folder (screenshot, profile) for a look.
  let passed = 0;

  beforeAll(async () => {
    tmp = await Deno.makeTempDir({ prefix: "mqtt_codec_browser_" });
    const bundle = await buildBundle(`${tmp}/mqtt_codec.mjs`);
    broker = await startBroker({ port: 0, wsPort: 0 });
    server = servePage(bundle);
    context = await launchChromium(chromiumPath!, `${tmp}/profile`);
  });

  afterAll(async () => {
    await context?.close();
    await server?.shutdown();
    await broker?.close();
    if (passed >= 3) await Deno.remove(tmp, { recursive: true });
    else if (tmp) console.error(`browser_test: kept ${tmp} (screenshot)`);
  });

  for (
    const [open, api] of [
      ["streams", "webSocketStreams"],
      ["connect", "WebSocketStream"],
    ]
  ) {
    it(`subscribes, publishes and receives over WebSocket through PacketReader/PacketWriter (${api})`, async () => {
      const page = await context.newPage();
      const consoleErrors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") consoleErrors.push(message.text());
      });
      page.on("pageerror", (error) => consoleErrors.push(String(error)));

      await page.goto(
        `http://127.0.0.1:${server.addr.port}/tests/browser/?ws=${broker.wsPort}&open=${open}`,
      );
      await page.waitForFunction(() => "mqttResult" in globalThis, undefined, {
        timeout: 30_000,
      });
      const result = await page.evaluate(() =>
        (globalThis as unknown as { mqttResult: PageResult }).mqttResult
      );

      const screenshot = `${tmp}/browser_test_${open}.png`;
      await page.screenshot({ path: screenshot, fullPage: true });
      const png = await Deno.readFile(screenshot);
      // The PNG signature: a real image was written.
      assertEquals([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);

      assertEquals(result.error, undefined, result.error);
      // connectWebSocket takes Chromium's WebSocketStream.
      assertEquals(result.api, api);
      assertEquals(consoleErrors, []);
      assertEquals(result.connackReasonCode, 0);
      assertEquals(result.subackReasonCodes, [1]);
      assertEquals(result.pubackPacketId, 2);
      assertEquals(result.topic, "browser/test");
      assertEquals(result.payload, result.sent);
      assert(result.sent.startsWith("hello from HeadlessChrome/"), result.sent);
      assertEquals(result.contentType, "text/plain");
      assert(result.payloadIsUint8Array);
      // The page shows every step, for the screenshot.
      assertEquals(await page.locator("li.ok").count(), 5);
      assertEquals(await page.locator("li.fail").count(), 0);
      await page.close();
      passed++;
    });
  }

  it("runs the client scenarios over WebSocket, every row", async () => {
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on("pageerror", (error) => consoleErrors.push(String(error)));
    await page.goto(
      `http://127.0.0.1:${server.addr.port}/tests/browser/scenarios.html?ws=${broker.wsPort}&knownBugs=${
        Deno.env.get("MQTT_CODEC_KNOWN_BUGS") ?? ""
      }`,
    );
    await page.waitForFunction(
      () => "scenarioResults" in globalThis,
      undefined,
      {
        timeout: 60_000,
      },
    );
    const results = await page.evaluate(() =>
      (globalThis as unknown as {
        scenarioResults: { name: string; error?: string; knownBug?: string }[];
      }).scenarioResults
    );
    await page.close();
    for (const { name, knownBug } of results) {
      if (knownBug) console.warn(`skipped: ${name} [KNOWN BUG: ${knownBug}]`);
    }
    assertEquals(consoleErrors, []);
    assertEquals(results.map((r) => r.name), scenarios.map((s) => s.name));
    assertEquals(results.filter((r) => r.error !== undefined), []);
    passed++;
  });
  it("reads with PacketParser from the WebSocket's message event: its own message and MQTT.js's, through the example broker", async () => {
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(String(error)));
    await page.goto(
      `http://127.0.0.1:${server.addr.port}/tests/browser/push_parser.html`,
    );
    await page.waitForFunction(() => "parserClient" in globalThis);
    type Client = {
      connect(url: string): Promise<unknown>;
      finish(): Promise<unknown>;
    };
    const url = `ws://127.0.0.1:${broker.wsPort}`;
    const connected = await page.evaluate(
      (url) =>
        (globalThis as unknown as { parserClient: Client }).parserClient
          .connect(url),
      url,
    );
    assertEquals(connected, { connack: 0, suback: [1] });
    // MQTT.js, on its own connection, publishes to the page and hears it.
    const mqttJs = await mqtt.connectAsync(url, {
      protocolVersion: 5,
      clientId: "mqttjs-beside-the-page",
      reconnectPeriod: 0,
    });
    const heard: string[] = [];
    mqttJs.on("message", (topic, payload) => {
      heard.push(`${topic} ${new TextDecoder().decode(payload)}`);
    });
    await mqttJs.subscribeAsync("browser/parser/page", { qos: 1 });
    await mqttJs.publishAsync("browser/parser/mqttjs", "from MQTT.js", {
      qos: 1,
    });
    const finished = await withTimeout(
      page.evaluate(() =>
        (globalThis as unknown as { parserClient: Client }).parserClient
          .finish()
      ),
      "the page to finish",
      10_000,
    );
    await mqttJs.endAsync();
    await page.close();
    assertEquals(finished, {
      puback: 2,
      messages: [
        "browser/parser/mqttjs from MQTT.js",
        "browser/parser/page from the page",
      ],
      pingresp: "pingresp",
      leftover: [],
      buffered: 0,
    });
    assertEquals(heard, ["browser/parser/page from the page"]);
    assertEquals(pageErrors, []);
  });

  for (const transport of ["webSocketStreams", "connectWebSocket"]) {
    describe(`close orders on the page's WebSocket through ${transport} (tests/support/close_orders.mjs)`, () => {
      const control = new PeerControl();
      let controlServer: Deno.HttpServer<Deno.NetAddr>;
      let rawServer: RawWebSocketServer;
      let page: Page;
      const pageErrors: string[] = [];

      beforeAll(async () => {
        controlServer = control.serve();
        rawServer = await rawWebSocketServer("mqtt");
        page = await context.newPage();
        page.on("pageerror", (error) => pageErrors.push(String(error)));
        await page.goto(
          `http://127.0.0.1:${server.addr.port}/tests/browser/close_orders.html`,
        );
        await page.waitForFunction(() => "closeOrdersReady" in globalThis);
      });

      afterAll(async () => {
        await page?.close();
        await control.dispose();
        await rawServer?.close();
        await controlServer?.shutdown();
        assertEquals(pageErrors, []);
      });

      CLOSE_ORDERS.forEach((order, row) => {
        it(order.name, async () => {
          const id = `chromium-${transport}-${row}`;
          const accepted = rawServer.accept();
          const running = page.evaluate(
            ([transport, row, url, control, id]) =>
              (globalThis as unknown as {
                runCloseOrder(...args: unknown[]): Promise<RowResult>;
              }).runCloseOrder(transport, row, url, control, id),
            [
              transport,
              row,
              rawServer.url,
              `http://127.0.0.1:${controlServer.addr.port}`,
              id,
            ] as const,
          );
          control.add(id, await withTimeout(accepted, "the page to connect"));
          const result = await withTimeout(
            running,
            `the page to run: ${order.name}`,
            10_000,
          );
          assertEquals(result.error, undefined, result.error);
          assertEquals(result.uncaught, []);
        });
      });
    });
  }
});
