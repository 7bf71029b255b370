/**
 * Headless Chromium for tests (Debian package `chromium`, installed by
 * `.ci/run`), driven by playwright-core, and a static file server on
 * 127.0.0.1 for the pages it opens.
 *
 * A missing Chromium skips the tests that need it, with one line saying
 * so, except on CI (`CI` set), where its absence is a failure.
 */

import { type BrowserContext, chromium } from "playwright-core";

import { installedExecutable } from "./runtimes.ts";

const CHROMIUM = "/usr/bin/chromium";

/** Chromium's path, or `undefined` (after one line on stderr) when missing off CI. */
export function installedChromium(test: string): string | undefined {
  return installedExecutable(CHROMIUM, `${CHROMIUM} is missing`, test);
}

/**
 * Starts headless Chromium with a new profile in `profileDir`, with the
 * flags that keep it off the network: this machine reaches no host but
 * 127.0.0.1.
 */
export async function launchChromium(
  executablePath: string,
  profileDir: string,
): Promise<BrowserContext> {
  return await chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
    ],
  });
}

/** A file to serve: its path (or URL) on disk and its content type. */
export type ServedFile = [file: URL | string, contentType: string];

/**
 * Serves `files` (by URL path) on a free 127.0.0.1 port, read from disk at
 * each request; anything else is a 404.
 */
export function serveFiles(
  files: Record<string, ServedFile>,
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const { pathname } = new URL(request.url);
      // Asked for by every page; an empty answer keeps the console clean.
      if (pathname === "/favicon.ico") {
        return new Response(null, { status: 204 });
      }
      const file = files[pathname];
      if (file === undefined) return new Response("not found", { status: 404 });
      return new Response(await Deno.readFile(file[0]), {
        headers: { "content-type": file[1], "cache-control": "no-store" },
      });
    },
  );
}
