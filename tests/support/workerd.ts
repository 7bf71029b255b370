/**
 * Runs a Worker in workerd, the open-source Cloudflare Workers runtime (npm
 * package `workerd`, installed by `.ci/run`): a capnp configuration is
 * written beside the bundled module in a temporary folder, with one HTTP
 * socket on a free 127.0.0.1 port, Durable Objects if asked for (stored
 * on disk in that folder), and the newest compatibility date the
 * installed workerd supports (or the one given). Stopped by its PID.
 */

import { runtimeVersion } from "./runtimes.ts";
import { freePort, waitForPort, withTimeout } from "./net.ts";

/** A workerd started by {@linkcode startWorkerd}. */
export interface Workerd {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** The compatibility date the Worker runs with. */
  compatibilityDate: string;
  /** Stops workerd (SIGTERM), waits for it to exit; returns its output. */
  stop(): Promise<string>;
}

/** The newest compatibility date `workerd` supports: the date of its release. */
async function newestCompatibilityDate(workerd: string): Promise<string> {
  const version = await runtimeVersion(workerd); // "workerd 2026-11-23"
  const date = version.match(/\d{4}-\d{2}-\d{2}/)?.[0];
  if (date === undefined) {
    throw new Error(`cannot read a date from workerd --version: ${version}`);
  }
  return date;
}

/** Options of {@linkcode startWorkerd}. */
export interface WorkerdOptions {
  /** The compatibility date; the newest workerd supports if not given. */
  compatibilityDate?: string;
  /** Compatibility flags, such as `unsafe_module` (for `workerd:unsafe`). */
  compatibilityFlags?: string[];
  /**
   * Durable Object classes the module exports, by the name of the binding
   * the Worker reaches them through; their storage is on disk in the
   * temporary folder, so that it outlives an evicted object.
   */
  durableObjects?: Record<string, string>;
}

/** The configuration: one Worker, one HTTP socket, its Durable Objects. */
function config(
  port: number,
  compatibilityDate: string,
  options: WorkerdOptions,
  dir: string,
): string {
  const objects = Object.entries(options.durableObjects ?? {});
  const list = (items: string[]) => `[${items.join(", ")}]`;
  const storage = objects.length === 0 ? "" : `
  bindings = ${
    list(objects.map(([binding, className]) =>
      `(name = "${binding}", durableObjectNamespace = "${className}")`
    ))
  },
  durableObjectNamespaces = ${
    list(objects.map(([, className]) =>
      `(className = "${className}", uniqueKey = "${className}")`
    ))
  },
  durableObjectStorage = (localDisk = "storage"),`;
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # fetch() from the Worker reaches 127.0.0.1 only: the tests' own servers.
    (name = "internet", network = (allow = ["local"])),
    (name = "storage", disk = (path = "${dir}/storage", writable = true)),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "${compatibilityDate}",
  compatibilityFlags = ${
    list((options.compatibilityFlags ?? []).map((flag) => `"${flag}"`))
  },${storage}
);
`;
}

/**
 * Serves the ES module `bundle` (the Worker and everything it imports, in
 * one file) with `workerd` on a free port, with the newest compatibility
 * date unless one is given; retries on another port if that one was taken
 * meanwhile.
 */
export async function startWorkerd(
  workerd: string,
  bundle: string,
  options: WorkerdOptions = {},
): Promise<Workerd> {
  const compatibilityDate = options.compatibilityDate ??
    await newestCompatibilityDate(workerd);
  const dir = await Deno.makeTempDir({ prefix: "mqtt_codec_workerd_" });
  await Deno.copyFile(bundle, `${dir}/worker.js`);
  await Deno.mkdir(`${dir}/storage`);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = freePort();
    await Deno.writeTextFile(
      `${dir}/config.capnp`,
      config(port, compatibilityDate, options, dir),
    );
    const child = new Deno.Command(workerd, {
      args: [
        "serve",
        `${dir}/config.capnp`,
        // unsafe_module is an experimental flag.
        ...(options.compatibilityFlags?.length ? ["--experimental"] : []),
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = child.output();
    let exited = false;
    output.finally(() => exited = true).catch(() => {});
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    let stopped: Promise<string> | undefined;
    const signal = (name: Deno.Signal) => {
      try {
        child.kill(name);
      } catch {
        // already exited
      }
    };
    const stop = (removeDir: boolean) =>
      stopped ??= (async () => {
        // workerd drains open connections on SIGTERM: a connection left
        // half-open would keep it running, so it is killed after 2 s.
        signal("SIGTERM");
        const drained = await withTimeout(output, "workerd to stop", 2_000)
          .then(() => true, () => false);
        if (!drained) signal("SIGKILL");
        const { stdout, stderr } = await output;
        if (removeDir) await Deno.remove(dir, { recursive: true });
        return text(stdout) + text(stderr);
      })();
    try {
      // Ready when it accepts connections; failed if it exits first.
      await withTimeout(
        Promise.race([
          waitForPort(port, 20_000),
          output.then(({ code, stderr }) => {
            throw new Error(
              `workerd exited with code ${code}: ${text(stderr)}`,
            );
          }),
        ]),
        "workerd to start",
        20_000,
      );
      // Another process may answer the port: one that took it between
      // freePort() and workerd's bind, which then makes workerd exit. Only a
      // workerd still running after answering an HTTP request is ready.
      await withTimeout(
        fetch(`http://127.0.0.1:${port}/`).then((response) =>
          response.body?.cancel()
        ),
        "workerd to answer HTTP",
        10_000,
      );
      if (exited) throw new Error(`workerd exited after port ${port} answered`);
      return {
        url: `http://127.0.0.1:${port}`,
        port,
        compatibilityDate,
        stop: () => stop(true),
      };
    } catch (error) {
      await stop(false);
      lastError = error;
    }
  }
  await Deno.remove(dir, { recursive: true });
  throw lastError;
}
