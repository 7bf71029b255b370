/**
 * The file of `examples/client.ts --state FILE`: a client's session
 * snapshot and the program's own state, as JSON, replaced atomically so
 * that a process killed at any moment leaves either the previous state or
 * the new one, never a part of either.
 *
 * @module
 */

import type { ClientSessionSnapshot } from "../../src/entries/session.ts";

/** What the file holds: the session, and the program's state saved with it. */
export interface SavedState<Application> {
  /** `ClientSession.snapshot()`. */
  session: ClientSessionSnapshot;
  /** What the program needs to go on (the next message to publish, say). */
  application: Application;
}

/** The key that marks bytes in the JSON: a snapshot's own objects have no such field. */
const BYTES = "$bytes";

/**
 * A state file at `path`, written by "write FILE.tmp, fsync, rename over
 * FILE, fsync the directory": a rename is atomic, so that FILE is always a
 * whole state, and the directory's fsync makes the rename itself durable
 * (without it a power loss could bring back the previous FILE).
 */
export class StateFile<Application> {
  /** The file's path. */
  readonly path: string;
  readonly #temporary: string;

  /** A state file at `path`; FILE.tmp is written next to it. */
  constructor(path: string) {
    this.path = path;
    this.#temporary = `${path}.tmp`;
  }

  /**
   * The saved state, or `undefined` when there is no file (a FILE.tmp
   * left by a process killed while writing it is not a saved state).
   */
  async load(): Promise<SavedState<Application> | undefined> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    }
    return JSON.parse(
      text,
      (_key, value) =>
        typeof value === "object" && value !== null && BYTES in value
          ? new Uint8Array(value[BYTES])
          : value,
    );
  }

  /** Saves `state`: on disk (fsync) when this resolves. */
  async save(state: SavedState<Application>): Promise<void> {
    const text = JSON.stringify(
      state,
      (_key, value) =>
        value instanceof Uint8Array ? { [BYTES]: [...value] } : value,
    );
    const file = await Deno.open(this.#temporary, {
      write: true,
      create: true,
      truncate: true,
    });
    try {
      const bytes = new TextEncoder().encode(text);
      for (let written = 0; written < bytes.length;) {
        written += await file.write(bytes.subarray(written));
      }
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(this.#temporary, this.path);
    await syncDirectory(this.path);
  }

  /** Removes the file (the session is complete), if there is one. */
  async remove(): Promise<void> {
    await Deno.remove(this.path).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
}

/**
 * Flushes the directory holding `path`, so that a rename in it is on disk.
 * Where a directory cannot be opened to sync (Windows), the rename stays
 * atomic, and only a power loss could undo it.
 */
async function syncDirectory(path: string): Promise<void> {
  const slash = path.lastIndexOf("/");
  const directory = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  let handle: Deno.FsFile;
  try {
    handle = await Deno.open(directory, { read: true });
  } catch {
    return;
  }
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}
