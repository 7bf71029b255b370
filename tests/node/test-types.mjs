// README's Node.js snippet (`new PacketReader(Readable.toWeb(socket))`)
// type-checks against the bundle's declarations with @types/node and
// lib "dom", without casts, under TypeScript 7 and 5 (installed with
// @types/node into .ci/runtimes by .ci/run; skipped, with a line saying so,
// where they are missing, except on CI). A copy with a deliberate mistake
// must fail, so that the check is known to check.
// Run: deno task build && node --test tests/node/test-types.mjs

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const modules = here("../../.ci/runtimes/node_modules/");
const COMPILERS = {
  "TypeScript 7": join(modules, "typescript/bin/tsc"),
  "TypeScript 5": join(modules, "typescript5/bin/tsc"),
};

/** The first ```ts block after the README heading `heading`. */
function snippetAfter(heading) {
  const readme = readFileSync(here("../../README.md"), "utf8");
  const start = readme.indexOf(`\n${heading}\n`);
  assert.notEqual(start, -1, `README.md has no heading "${heading}"`);
  const open = readme.indexOf("```ts\n", start);
  const close = readme.indexOf("\n```", open + 6);
  return readme.slice(open + 6, close + 1);
}

const dir = mkdtempSync(join(tmpdir(), "mqtt-codec-types-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a compiler on `code` as a module of its own; returns its output, or throws it. */
function typeCheck(compiler, code) {
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
  writeFileSync(join(dir, "snippet.ts"), code);
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "es2022",
        module: "nodenext",
        moduleResolution: "nodenext",
        lib: ["es2022", "dom"],
        types: ["node"],
        typeRoots: [join(modules, "@types")],
        strict: true,
        noEmit: true,
        skipLibCheck: true, // as most projects do: only our code is at stake
        paths: { "@mqtt/codec": [here("../../dist/mqtt_codec.d.mts")] },
      },
      files: ["snippet.ts"],
    }),
  );
  return execFileSync(process.execPath, [compiler, "-p", dir], {
    encoding: "utf8",
    stdio: "pipe",
  });
}

describe("README's Node.js snippet type-checks with @types/node and lib dom", () => {
  const snippet = snippetAfter("### Node.js");
  assert.match(snippet, /new PacketReader\(Readable\.toWeb\(socket\)/);
  assert.doesNotMatch(snippet, / as /, "the snippet needs no casts");

  for (const [name, compiler] of Object.entries(COMPILERS)) {
    const missing = !existsSync(compiler) && !process.env.CI;
    if (missing) {
      console.error(
        `${name} is missing in .ci/runtimes (bash .ci/run installs it)`,
      );
    }
    it(name, { skip: missing }, () => {
      typeCheck(compiler, snippet);
      // The control: a mistake is caught, so the check above checks.
      const broken = snippet.replace(
        "Readable.toWeb(socket)",
        "Readable.toWeb(socket).values()",
      );
      assert.throws(
        () => typeCheck(compiler, broken),
        (error) =>
          /error TS\d+: .*ReadableStreamLike/.test(String(error.stdout)),
      );
    });
  }
});
