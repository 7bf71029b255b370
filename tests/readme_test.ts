/**
 * Every TypeScript snippet of README.md runs as written. Each ```ts block
 * follows a comment that says how to run it:
 *
 * - `<!-- readme-test: run prints "TEXT" -->`: self-contained; run as is.
 * - `<!-- readme-test: tcp-client prints "TEXT" -->`: a client of a broker on
 *   127.0.0.1:1883; run against the example broker, on the port it got.
 * - `<!-- readme-test: ws-server -->`: a WebSocket server on port 8080;
 *   started on a free port, and stopped after the WebSocket clients ran.
 * - `<!-- readme-test: ws-client prints "TEXT" -->`: a WebSocket client of
 *   ws://127.0.0.1:8080; run against the README's server and against the
 *   example broker.
 * - `<!-- readme-test: mosquitto-client prints "TEXT" -->`: a client of a
 *   broker on 127.0.0.1:1883; run against a real mosquitto.
 *
 * The only change made to a snippet is the port number. Every snippet is
 * type-checked with the project's deno.json, which maps "@mqtt/codec" to
 * this working copy, and must print TEXT and exit 0.
 *
 * @module
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { afterAll, beforeAll, describe, it } from "@std/testing/bdd";
import { type RunningBroker, startBroker } from "../examples/broker.ts";
import { startMosquitto } from "./support/mosquitto.ts";

const CONFIG = new URL("../deno.json", import.meta.url).pathname;
const README = new URL("../README.md", import.meta.url);

interface Snippet {
  mode: "run" | "tcp-client" | "ws-server" | "ws-client" | "mosquitto-client";
  prints?: string;
  code: string;
  /** Line of the README where the block starts, for messages. */
  line: number;
}

const MODE =
  /^<!-- readme-test: (run|tcp-client|ws-server|ws-client|mosquitto-client)(?: prints "([^"]*)")? -->$/;

/** The ```ts blocks of the README, each with the mode of its comment. */
function readSnippets(markdown: string): Snippet[] {
  const lines = markdown.split("\n");
  const snippets: Snippet[] = [];
  let pending: RegExpMatchArray | null = null;
  for (let i = 0; i < lines.length; i++) {
    const match = lines[i].match(MODE);
    if (match) {
      pending = match;
      continue;
    }
    if (!/^```(ts|typescript)\b/.test(lines[i])) continue;
    const start = i + 1;
    const end = lines.indexOf("```", start);
    assert(end > 0, `README.md:${i + 1}: unclosed code block`);
    assert(
      pending !== null,
      `README.md:${
        i + 1
      }: a ts block without a "<!-- readme-test: ... -->" comment before it`,
    );
    snippets.push({
      mode: pending[1] as Snippet["mode"],
      prints: pending[2],
      code: lines.slice(start, end).join("\n") + "\n",
      line: i + 1,
    });
    pending = null;
    i = end;
  }
  return snippets;
}

async function deno(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    // A safety net against a snippet that never ends, not a time limit
    // under test.
    signal: AbortSignal.timeout(60_000),
  }).output();
  const text = new TextDecoder();
  return {
    code: output.code,
    stdout: text.decode(output.stdout),
    stderr: text.decode(output.stderr),
  };
}

/** A port nothing listens on right now. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

async function waitForPort(port: number, server: Deno.ChildProcess) {
  let exited = false;
  server.status.then(() => exited = true);
  for (;;) {
    assert(!exited, "the README's WebSocket server exited early");
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const snippets = readSnippets(await Deno.readTextFile(README));

describe("README.md snippets", {
  sanitizeOps: false,
  sanitizeResources: false,
}, () => {
  let tmp: string;
  let broker: RunningBroker;
  const files = new Map<Snippet, string>();

  /** Writes a snippet with its port replaced, and returns the file. */
  async function withPort(snippet: Snippet, from: number, to: number) {
    const code = snippet.code.replaceAll(String(from), String(to));
    assert(code !== snippet.code, `README.md:${snippet.line}: no port ${from}`);
    const file = `${tmp}/line_${snippet.line}_port_${to}.ts`;
    await Deno.writeTextFile(file, code);
    return file;
  }

  async function runSnippet(snippet: Snippet, file: string) {
    const result = await deno(["run", "-A", "--config", CONFIG, file]);
    const where = `README.md:${snippet.line}`;
    assertEquals(result.code, 0, `${where} failed:\n${result.stderr}`);
    if (snippet.prints !== undefined) {
      assertStringIncludes(result.stdout, snippet.prints, where);
    }
  }

  beforeAll(async () => {
    tmp = await Deno.makeTempDir({ prefix: "mqtt_codec_readme_" });
    for (const snippet of snippets) {
      const file = `${tmp}/line_${snippet.line}.ts`;
      await Deno.writeTextFile(file, snippet.code);
      files.set(snippet, file);
    }
    broker = await startBroker({ port: 0, wsPort: 0 });
  });

  afterAll(async () => {
    await broker?.close();
    if (tmp) await Deno.remove(tmp, { recursive: true });
  });

  it("has every kind of snippet, each after its readme-test comment", () => {
    const modes = new Set(snippets.map((snippet) => snippet.mode));
    assertEquals([...modes].sort(), [
      "mosquitto-client",
      "run",
      "tcp-client",
      "ws-client",
      "ws-server",
    ]);
  });

  it("type-checks every snippet", async () => {
    const result = await deno(["check", "--config", CONFIG, ...files.values()]);
    assertEquals(result.code, 0, result.stderr);
  });

  it("runs the self-contained snippets", async () => {
    for (const snippet of snippets.filter((s) => s.mode === "run")) {
      await runSnippet(snippet, files.get(snippet)!);
    }
  });

  it("runs the TCP clients against the example broker", async () => {
    for (const snippet of snippets.filter((s) => s.mode === "tcp-client")) {
      await runSnippet(snippet, await withPort(snippet, 1883, broker.tcpPort));
    }
  });

  it("runs the mosquitto clients against a real mosquitto", async () => {
    const mosquitto = await startMosquitto();
    try {
      for (
        const snippet of snippets.filter((s) => s.mode === "mosquitto-client")
      ) {
        await runSnippet(
          snippet,
          await withPort(snippet, 1883, mosquitto.port),
        );
      }
    } finally {
      await mosquitto.stop();
    }
  });

  it("runs the WebSocket clients against the README's server and the example broker", async () => {
    const [server] = snippets.filter((s) => s.mode === "ws-server");
    const clients = snippets.filter((s) => s.mode === "ws-client");
    assert(clients.length > 0);
    const port = freePort();
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--config",
        CONFIG,
        await withPort(server, 8080, port),
      ],
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    try {
      await waitForPort(port, child);
      for (const client of clients) {
        await runSnippet(client, await withPort(client, 8080, port));
        await runSnippet(client, await withPort(client, 8080, broker.wsPort!));
      }
    } finally {
      child.kill("SIGTERM");
      const { stderr } = await child.output();
      // The server logs failed connections; there must be none.
      const log = new TextDecoder().decode(stderr).split("\n")
        .filter((line) => line !== "" && !line.startsWith("Listening on "));
      assertEquals(log, []);
    }
  });
});
