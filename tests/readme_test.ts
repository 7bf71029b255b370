/**
 * Every TypeScript snippet of README.md runs as written, in each runtime it
 * is written for. Each ```ts block follows a comment that says how:
 *
 *   <!-- readme-test: MODE [on RUNTIME, RUNTIME...] [prints "TEXT"] -->
 *
 * MODE is one of
 *
 * - `run`: self-contained; run as is.
 * - `tcp-client`: a client of a broker on 127.0.0.1:1883; run against the
 *   example broker, on the port it got.
 * - `ws-server`: a WebSocket server; a Deno or Bun one listens on port
 *   8080 and is started on a free port, a Worker is served by workerd on a
 *   free port (with each Durable Object class it exports bound to the
 *   `env.NAME` its code uses).
 * - `ws-client`: a WebSocket client of ws://127.0.0.1:8080; run against
 *   every `ws-server` snippet and against the example broker.
 * - `mosquitto-client`: a client of a broker on 127.0.0.1:1883; run against
 *   a real mosquitto, on the port it got.
 *
 * and RUNTIME (`deno` unless told) one of `deno`, `node` (Node 22, which
 * runs TypeScript as is), `node20` (Node 20, the snippet saved as `.mjs`:
 * it must have no types), `bun`, `chromium` (bundled into a page of
 * headless Chromium; what it logs is what it prints) and `workerd` (the
 * snippet is a Worker's main module, bundled with the library).
 *
 * The only change made to a snippet is the port number. A program must
 * print TEXT and exit 0 (in Chromium: finish without an error). `@mqtt/codec`
 * is this working copy: Deno maps it with the project's deno.json; Node and
 * Bun find the bundle (`scripts/build_bundle.ts`, with its declarations) in
 * a `node_modules/@mqtt/codec` of the snippets' folder.
 *
 * Every snippet is type-checked twice: by `deno check` (except those for Bun
 * or Workers only, whose globals Deno does not know), and by `tsc` with the
 * types its runtime's users have — `@types/node` with the DOM library for
 * Node, `@types/bun` for Bun, `@cloudflare/workers-types` for Workers, the
 * DOM library for browsers.
 *
 * @module
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { afterAll, beforeAll, describe, it } from "@std/testing/bdd";
import type { BrowserContext } from "playwright-core";
import { type RunningBroker, startBroker } from "../examples/broker.ts";
import { startMosquitto } from "./support/mosquitto.ts";
import { buildBundle } from "../scripts/build_bundle.ts";
import {
  installedChromium,
  launchChromium,
  serveFiles,
} from "./support/chromium.ts";
import { delay, freePort, waitForPort, withTimeout } from "./support/net.ts";
import { TestClient } from "./support/test_client.ts";
import { encode } from "../mod.ts";
import { installedRuntime, RUNTIME_MODULES } from "./support/runtimes.ts";
import { startWorkerd, type Workerd } from "./support/workerd.ts";

const CONFIG = new URL("../deno.json", import.meta.url).pathname;
const README = new URL("../README.md", import.meta.url);

const MODES = [
  "run",
  "tcp-client",
  "ws-server",
  "ws-client",
  "mosquitto-client",
] as const;
type Mode = typeof MODES[number];
type Runtime = "deno" | "node" | "node20" | "bun" | "chromium" | "workerd";

/** The modes each runtime can run a snippet in. */
const RUNTIME_MODES: Record<Runtime, Mode[]> = {
  deno: ["run", "tcp-client", "ws-server", "ws-client", "mosquitto-client"],
  node: ["run", "tcp-client", "ws-client"],
  node20: ["run", "tcp-client", "ws-client"],
  bun: ["run", "tcp-client", "ws-server", "ws-client"],
  chromium: ["run", "ws-client"],
  workerd: ["ws-server"],
};

/**
 * What the README must show, as "MODE on RUNTIME": a quick start for Deno,
 * Node, Bun, a browser and Workers.
 */
const EXPECTED_KINDS = [
  "mosquitto-client on deno",
  "run on bun",
  "run on chromium",
  "run on deno",
  "run on node",
  "tcp-client on bun",
  "tcp-client on deno",
  "tcp-client on node",
  "tcp-client on node20",
  "ws-client on bun",
  "ws-client on chromium",
  "ws-client on deno",
  "ws-server on bun",
  "ws-server on deno",
  "ws-server on workerd",
];

interface Snippet {
  mode: Mode;
  runtimes: Runtime[];
  prints?: string;
  code: string;
  /** Line of the README where the block starts, for messages and names. */
  line: number;
}

const MARKER =
  /^<!-- readme-test: ([a-z-]+)(?: on ([a-z0-9]+(?:, [a-z0-9]+)*))?(?: prints "([^"]*)")? -->$/;

/** The ```ts blocks of the README, each with the marker before it. */
function readSnippets(markdown: string): Snippet[] {
  const lines = markdown.split("\n");
  const snippets: Snippet[] = [];
  let pending: RegExpMatchArray | null = null;
  for (let i = 0; i < lines.length; i++) {
    const match = lines[i].match(MARKER);
    if (match) {
      pending = match;
      continue;
    }
    if (!/^```(ts|typescript)\b/.test(lines[i])) continue;
    const start = i + 1;
    const end = lines.indexOf("```", start);
    const where = `README.md:${i + 1}`;
    assert(end > 0, `${where}: unclosed code block`);
    assert(
      pending !== null,
      `${where}: a ts block without a "<!-- readme-test: ... -->" comment before it`,
    );
    const mode = pending[1] as Mode;
    assert(MODES.includes(mode), `${where}: unknown mode ${mode}`);
    const runtimes = (pending[2]?.split(", ") ?? ["deno"]) as Runtime[];
    for (const runtime of runtimes) {
      assert(
        RUNTIME_MODES[runtime]?.includes(mode),
        `${where}: ${runtime} cannot run a ${mode} snippet`,
      );
    }
    snippets.push({
      mode,
      runtimes,
      prints: pending[3],
      code: lines.slice(start, end).join("\n") + "\n",
      line: i + 1,
    });
    pending = null;
    i = end;
  }
  return snippets;
}

const snippets = readSnippets(await Deno.readTextFile(README));

/** The snippets of `mode` that run on `runtime`. */
function snippetsOf(mode: Mode, runtime: Runtime): Snippet[] {
  return snippets.filter((s) =>
    s.mode === mode && s.runtimes.includes(runtime)
  );
}

/** The executables of the runtimes, `undefined` when one is missing off CI. */
const executables: Record<Runtime, string | undefined> = {
  deno: Deno.execPath(),
  node: installedRuntime("node22", "readme_test"),
  node20: installedRuntime("node20", "readme_test"),
  bun: installedRuntime("bun", "readme_test"),
  chromium: installedChromium("readme_test"),
  workerd: installedRuntime("workerd", "readme_test"),
};
const tsc = installedRuntime("tsc", "readme_test");

/** What a program printed and how it ended. */
interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; a safety net kills it after 60 s. */
async function command(
  executable: string,
  args: string[],
  cwd?: string,
): Promise<Output> {
  const output = await new Deno.Command(executable, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(60_000),
  }).output();
  const text = new TextDecoder();
  return {
    code: output.code,
    stdout: text.decode(output.stdout),
    stderr: text.decode(output.stderr),
  };
}

/**
 * The snippets' folder: each snippet as `line_N.ts`, and a `node_modules`
 * with the bundle as `@mqtt/codec` and the runtimes' type packages, where
 * Node, Bun and tsc find them.
 */
async function writeProject(dir: string): Promise<void> {
  const codec = `${dir}/node_modules/@mqtt/codec`;
  await Deno.mkdir(codec, { recursive: true });
  await buildBundle(`${codec}/mqtt_codec.mjs`);
  await Deno.writeTextFile(
    `${codec}/package.json`,
    JSON.stringify({
      name: "@mqtt/codec",
      type: "module",
      exports: {
        ".": { types: "./mqtt_codec.d.mts", default: "./mqtt_codec.mjs" },
      },
    }),
  );
  for (const scope of ["@types", "@cloudflare"]) {
    await Deno.symlink(
      `${RUNTIME_MODULES}${scope}`,
      `${dir}/node_modules/${scope}`,
    );
  }
  await Deno.writeTextFile(
    `${dir}/package.json`,
    JSON.stringify({ type: "module", private: true }),
  );
  for (const snippet of snippets) {
    await Deno.writeTextFile(`${dir}/line_${snippet.line}.ts`, snippet.code);
  }
}

/** The compiler options of tsc for each runtime, as its users would set them. */
const TSC_OPTIONS: Partial<Record<Runtime, Record<string, unknown>>> = {
  node: {
    module: "nodenext",
    lib: ["es2023", "dom"],
    types: ["node"],
  },
  bun: {
    module: "preserve",
    moduleResolution: "bundler",
    lib: ["esnext"],
    types: ["bun"],
  },
  workerd: {
    module: "esnext",
    moduleResolution: "bundler",
    lib: ["esnext"],
    types: ["@cloudflare/workers-types"],
  },
  chromium: {
    module: "esnext",
    moduleResolution: "bundler",
    lib: ["esnext", "dom"],
    types: [],
  },
};

/**
 * Type-checks with tsc that the README says must compile but does not yet,
 * by runtime, with the reason; MQTT_CODEC_KNOWN_BUGS=1 runs them. None
 * today: `new PacketReader(Readable.toWeb(socket))`, TS2345 with @types/node
 * and the DOM library until the reader took a ReadableStreamLike (issue 12
 * item 3), compiles.
 */
const KNOWN_TSC_BUGS: Partial<Record<Runtime, string>> = {};

describe("README.md snippets", {
  sanitizeOps: false,
  sanitizeResources: false,
}, () => {
  let tmp: string;
  let broker: RunningBroker;
  let browser: BrowserContext | undefined;

  beforeAll(async () => {
    tmp = await Deno.makeTempDir({ prefix: "mqtt_codec_readme_" });
    await writeProject(tmp);
    broker = await startBroker({ port: 0, wsPort: 0 });
    if (executables.chromium !== undefined) {
      browser = await launchChromium(executables.chromium, `${tmp}/profile`);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await broker?.close();
    if (tmp) await Deno.remove(tmp, { recursive: true });
  });

  /**
   * Writes a snippet as a file of its own, with its port `from` replaced by
   * `to` if given, and returns the file.
   */
  async function writeSnippet(
    snippet: Snippet,
    extension: string,
    port?: [from: number, to: number],
  ): Promise<string> {
    let code = snippet.code;
    if (port) {
      code = code.replaceAll(String(port[0]), String(port[1]));
      assert(
        code !== snippet.code,
        `README.md:${snippet.line}: no port ${port[0]}`,
      );
    }
    const file = `${tmp}/line_${snippet.line}_port_${
      port?.[1] ?? 0
    }.${extension}`;
    await Deno.writeTextFile(file, code);
    return file;
  }

  /** Runs a snippet's program in a runtime, with its port replaced if given. */
  async function runSnippet(
    snippet: Snippet,
    runtime: Runtime,
    port?: [from: number, to: number],
  ) {
    // Node 20 runs JavaScript only: the snippet as an .mjs file.
    const file = await writeSnippet(
      snippet,
      runtime === "node20" ? "mjs" : "ts",
      port,
    );
    const where = `README.md:${snippet.line} in ${runtime}`;
    const result = await runProgram(runtime, file);
    assertEquals(
      result.code,
      0,
      `${where} failed:\n${result.stdout}\n${result.stderr}`,
    );
    if (snippet.prints !== undefined) {
      assertStringIncludes(result.stdout, snippet.prints, where);
    }
  }

  async function runProgram(runtime: Runtime, file: string): Promise<Output> {
    const executable = executables[runtime]!;
    switch (runtime) {
      case "deno":
        return await command(executable, [
          "run",
          "-A",
          "--config",
          CONFIG,
          file,
        ]);
      case "node":
      case "node20":
      case "bun":
        return await command(executable, [file], tmp);
      case "chromium":
        return await runInChromium(file);
      default:
        throw new Error(`${runtime} runs no programs`);
    }
  }

  /**
   * Bundles the snippet with the library, opens it in a page, and waits for
   * it to finish; what it logs is its stdout, its errors its stderr.
   */
  async function runInChromium(file: string): Promise<Output> {
    const page = `${file}.html`;
    const bundle = await buildBundle(`${file}.js`, file);
    await Deno.writeTextFile(
      page,
      `<!doctype html><meta charset="utf-8"><title>README snippet</title>
<script type="module">
try {
  await import("./snippet.js");
  console.log("readme-test: done");
} catch (error) {
  console.error("readme-test: failed", String(error?.stack ?? error));
}
</script>
`,
    );
    const server = serveFiles({
      "/": [page, "text/html; charset=utf-8"],
      "/snippet.js": [bundle, "text/javascript"],
    });
    const tab = await browser!.newPage();
    const stdout: string[] = [];
    const stderr: string[] = [];
    try {
      const finished = new Promise<void>((resolve) => {
        tab.on("console", (message) => {
          const line = message.text();
          if (message.type() === "error") stderr.push(line);
          else if (line !== "readme-test: done") stdout.push(line);
          if (line.startsWith("readme-test: ")) resolve();
        });
        tab.on("pageerror", (error) => {
          stderr.push(String(error));
          resolve();
        });
      });
      await tab.goto(`http://127.0.0.1:${server.addr.port}/`);
      await withTimeout(finished, "the snippet to finish in Chromium", 30_000);
    } finally {
      await tab.close();
      await server.shutdown();
    }
    return {
      code: stderr.length === 0 ? 0 : 1,
      stdout: stdout.join("\n"),
      stderr: stderr.join("\n"),
    };
  }

  /** A running `ws-server` snippet: its port, and stop() returns its error log. */
  interface Server {
    name: string;
    port: number;
    stop(): Promise<string[]>;
  }

  /**
   * The Durable Object classes a Worker exports, each bound to the
   * `env.NAME` the code uses (one of each at most, as in the README).
   */
  function durableObjectsOf(snippet: Snippet): Record<string, string> {
    const classes = [...snippet.code.matchAll(/^export class (\w+)/gm)];
    if (classes.length === 0) return {};
    const binding = /\benv\.([A-Z_]+)\b/.exec(snippet.code)?.[1];
    assert(
      classes.length === 1 && binding !== undefined,
      `README.md:${snippet.line}: one Durable Object class and its env binding`,
    );
    return { [binding]: classes[0][1] };
  }

  /** Starts a `ws-server` snippet in Deno or Bun (on a free port) or in workerd. */
  async function startServer(
    snippet: Snippet,
    runtime: Runtime,
  ): Promise<Server> {
    const name = `README.md:${snippet.line} in ${runtime}`;
    if (runtime === "workerd") {
      const bundle = await buildBundle(
        `${tmp}/line_${snippet.line}.worker.js`,
        `${tmp}/line_${snippet.line}.ts`,
      );
      const workerd: Workerd = await startWorkerd(
        executables.workerd!,
        bundle,
        { durableObjects: durableObjectsOf(snippet) },
      );
      return {
        name,
        port: workerd.port,
        // workerd prints what the Worker logs, "connection failed:" among it.
        stop: async () =>
          (await workerd.stop()).split("\n").filter((line) =>
            /error|uncaught|failed/i.test(line)
          ),
      };
    }
    const port = freePort();
    const file = await writeSnippet(snippet, "ts", [8080, port]);
    const child = new Deno.Command(executables[runtime]!, {
      args: runtime === "bun"
        ? [file]
        : ["run", "-A", "--config", CONFIG, file],
      cwd: tmp,
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const output = child.output();
    await withTimeout(
      Promise.race([
        waitForPort(port, 20_000),
        output.then(() => {
          throw new Error(`${name} exited early`);
        }),
      ]),
      `${name} to listen`,
      20_000,
    );
    return {
      name,
      port,
      async stop() {
        child.kill("SIGTERM");
        const { stderr } = await output;
        // The server logs failed connections; there must be none.
        return new TextDecoder().decode(stderr).split("\n")
          .filter((line) => line !== "" && !line.startsWith("Listening on "));
      },
    };
  }

  it("has a quick start for Deno, Node, Bun, a browser and Workers, each after its readme-test comment", () => {
    const kinds = new Set(
      snippets.flatMap((s) => s.runtimes.map((r) => `${s.mode} on ${r}`)),
    );
    assertEquals([...kinds].sort(), EXPECTED_KINDS);
  });

  it("type-checks the snippets with deno check (but those for Bun or Workers only)", async () => {
    const files = snippets
      .filter((s) => s.runtimes.some((r) => r !== "bun" && r !== "workerd"))
      .map((s) => `${tmp}/line_${s.line}.ts`);
    const result = await command(Deno.execPath(), [
      "check",
      "--config",
      CONFIG,
      ...files,
    ]);
    assertEquals(result.code, 0, result.stderr);
  });

  describe({
    name: "tsc, with each runtime's types",
    ignore: tsc === undefined,
  }, () => {
    for (const [runtime, compilerOptions] of Object.entries(TSC_OPTIONS)) {
      const knownBug = KNOWN_TSC_BUGS[runtime as Runtime];
      const runKnownBug = Deno.env.get("MQTT_CODEC_KNOWN_BUGS") === "1";
      it({
        name: `type-checks the ${runtime} snippets${
          knownBug ? ` [KNOWN BUG: ${knownBug}]` : ""
        }`,
        ignore: knownBug !== undefined && !runKnownBug,
        async fn() {
          const files = snippets
            .filter((s) => s.runtimes.includes(runtime as Runtime))
            .map((s) => `line_${s.line}.ts`);
          assert(files.length > 0);
          const config = `tsconfig.${runtime}.json`;
          await Deno.writeTextFile(
            `${tmp}/${config}`,
            JSON.stringify({
              compilerOptions: {
                target: "es2022",
                strict: true,
                noEmit: true,
                skipLibCheck: true,
                ...compilerOptions,
              },
              files,
            }),
          );
          const result = await command(tsc!, ["-p", config], tmp);
          assertEquals(result.code, 0, result.stdout + result.stderr);
        },
      });
    }
  });

  for (const runtime of ["deno", "node", "bun", "chromium"] as const) {
    for (const snippet of snippetsOf("run", runtime)) {
      it({
        name: `runs README.md:${snippet.line} in ${runtime}`,
        ignore: executables[runtime] === undefined,
        fn: () => runSnippet(snippet, runtime),
      });
    }
  }

  for (const runtime of ["deno", "node", "node20", "bun"] as const) {
    for (const snippet of snippetsOf("tcp-client", runtime)) {
      it({
        name:
          `runs the TCP client of README.md:${snippet.line} in ${runtime} against the example broker`,
        ignore: executables[runtime] === undefined,
        fn: () => runSnippet(snippet, runtime, [1883, broker.tcpPort]),
      });
    }
  }

  // What the README says of its Durable Object: a connection goes on across
  // a hibernation, with its version, its subscriptions and the bytes of a
  // packet split over messages. The snippet is served with one more route,
  // POST /__evict, which evicts every object with its WebSockets
  // hibernated (workerd:unsafe, an experimental module: tests only).
  for (const snippet of snippetsOf("ws-server", "workerd")) {
    const objects = durableObjectsOf(snippet);
    if (Object.keys(objects).length === 0) continue;
    it({
      name:
        `README.md:${snippet.line} in workerd goes on across a hibernation (3.1.1, a subscription, a PUBLISH split over two messages)`,
      ignore: executables.workerd === undefined,
      async fn() {
        const wrapper = `${tmp}/line_${snippet.line}.evict.ts`;
        await Deno.writeTextFile(
          wrapper,
          `import worker from "./line_${snippet.line}.ts";
export * from "./line_${snippet.line}.ts";
export default {
  async fetch(request: Request, env: unknown, context: unknown) {
    if (new URL(request.url).pathname !== "/__evict") {
      return worker.fetch(request, env as never);
    }
    const unsafe = (await import(["workerd", "unsafe"].join(":"))).default;
    await unsafe.evictAllDurableObjects({ webSockets: "hibernate" });
    return new Response(null, { status: 204 });
  },
};
`,
        );
        const bundle = await buildBundle(`${wrapper}.js`, wrapper);
        const workerd = await startWorkerd(executables.workerd!, bundle, {
          durableObjects: objects,
          compatibilityFlags: ["unsafe_module"],
        });
        try {
          const client = await TestClient.connect(
            `ws://127.0.0.1:${workerd.port}/`,
            { protocolVersion: 4, clientId: "hibernating" },
          );
          await client.subscribe([{ topicFilter: "sleep/#", qos: 0 }]);
          const publish = encode({
            type: "publish",
            topic: "sleep/well",
            payload: new TextEncoder().encode("split by a hibernation"),
            qos: 0,
            retain: false,
            dup: false,
          }, { protocolVersion: 4 });
          await client.sendBytes(publish.subarray(0, 7));
          await delay(50); // the object takes the first part in
          const evicted = await fetch(`${workerd.url}/__evict`, {
            method: "POST",
          });
          assertEquals(evicted.status, 204);
          await client.sendBytes(publish.subarray(7));
          const echo = await client.expect("publish");
          assertEquals(
            [echo.topic, new TextDecoder().decode(echo.payload)],
            ["sleep/well", "split by a hibernation"],
          );
          await client.disconnect();
        } finally {
          const log = await workerd.stop();
          assertEquals(log.match(/uncaught|error/gi), null, log);
        }
      },
    });
  }

  for (const snippet of snippetsOf("mosquitto-client", "deno")) {
    it(`runs the client of README.md:${snippet.line} in deno against mosquitto`, async () => {
      const mosquitto = await startMosquitto();
      try {
        await runSnippet(snippet, "deno", [1883, mosquitto.port]);
      } finally {
        await mosquitto.stop();
      }
    });
  }

  describe("WebSocket clients against each WebSocket server", () => {
    const servers = (["deno", "bun", "workerd"] as const).flatMap((runtime) =>
      snippetsOf("ws-server", runtime).map((snippet) => ({ snippet, runtime }))
    );
    const clients = (["deno", "chromium", "bun"] as const).flatMap((runtime) =>
      snippetsOf("ws-client", runtime).map((snippet) => ({ snippet, runtime }))
    );

    for (const server of [...servers, undefined]) {
      const serverName = server
        ? `README.md:${server.snippet.line} in ${server.runtime}`
        : "the example broker";
      it({
        name: `${serverName}, with every WebSocket client`,
        ignore: server !== undefined &&
          executables[server.runtime] === undefined,
        async fn() {
          const running = server
            ? await startServer(server.snippet, server.runtime)
            : undefined;
          let errors: string[] = [];
          try {
            const port = running?.port ?? broker.wsPort!;
            for (const client of clients) {
              if (executables[client.runtime] === undefined) continue;
              await runSnippet(client.snippet, client.runtime, [8080, port]);
            }
          } finally {
            errors = await running?.stop() ?? [];
          }
          assertEquals(errors, [], `${serverName} logged errors`);
        },
      });
    }
  });
});
