/**
 * Builds the library into one ES module for runtimes that do not read
 * TypeScript from JSR directly: Node's own tests (`tests/node/`) and the
 * browser test import it. Output: `dist/mqtt_codec.mjs` and its type
 * declarations `dist/mqtt_codec.d.mts` (`dist/` is not committed).
 *
 * Run: `deno task build` (or `deno run -A scripts/build_bundle.ts [out.mjs]`).
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);

/** Where `deno task build` writes the bundle. */
export const DEFAULT_BUNDLE: URL = new URL("dist/mqtt_codec.mjs", ROOT);

/**
 * Bundles `mod.ts` with `deno bundle` (esbuild) for the browser platform,
 * which is what any runtime with web-standard APIs can load, and checks that
 * the result holds nothing Deno- or Node-specific.
 *
 * @param outFile Where to write the `.mjs` file; the library's declarations
 * go beside it.
 * @param entry The module to bundle, relative to the project's root: `mod.ts`
 * unless a program that imports the library (a Worker, a page's script) is
 * bundled with it, which gets no declarations (and no type-check).
 * @returns The path written.
 */
export async function buildBundle(
  outFile: string | URL = DEFAULT_BUNDLE,
  entry = "mod.ts",
): Promise<string> {
  const out = outFile instanceof URL
    ? decodeURIComponent(outFile.pathname)
    : outFile;
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform=browser",
      "--format=esm",
      ...(entry === "mod.ts" ? ["--declaration"] : []),
      "--output",
      out,
      entry,
    ],
    cwd: ROOT,
    stdout: "inherit",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `deno bundle failed (${code}): ${new TextDecoder().decode(stderr)}`,
    );
  }
  const source = await Deno.readTextFile(out);
  // src/ promises web-standard APIs only: a runtime-specific reference in the
  // bundle would break Node, Bun or browsers at load time.
  const foreign = source.match(/\bDeno\.\w+|from\s+["']node:[\w/]+["']/);
  if (foreign) {
    throw new Error(`${out} is not runtime-neutral: found ${foreign[0]}`);
  }
  return out;
}

if (import.meta.main) {
  const written = await buildBundle(Deno.args[0] ?? DEFAULT_BUNDLE);
  const { size } = await Deno.stat(written);
  console.log(`built ${written} (${(size / 1024).toFixed(1)} KiB)`);
}
