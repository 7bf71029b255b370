/**
 * A child process for tests, started with `Deno.Command`, whose stdout is
 * collected line by line and which is always stopped by its PID and awaited.
 */

export class Process {
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  readonly #stderr: Promise<string>;
  readonly #stdoutDone: Promise<void>;

  constructor(command: string, args: string[]) {
    this.child = new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stderr = new Response(this.child.stderr).text();
    this.#stdoutDone = this.#readLines();
  }

  async #readLines(): Promise<void> {
    let rest = "";
    for await (
      const text of this.child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      const parts = (rest + text).split("\n");
      rest = parts.pop()!;
      this.lines.push(...parts);
    }
    if (rest !== "") this.lines.push(rest);
  }

  /** Waits for the process to exit by itself; kills it after `ms`. */
  async finish(
    ms = 10_000,
  ): Promise<{ code: number; lines: string[]; stderr: string }> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.kill();
        resolve();
      }, ms);
    });
    const status = await Promise.race([
      this.child.status,
      timeout.then(() => this.child.status),
    ]);
    clearTimeout(timer);
    await this.#stdoutDone;
    return { code: status.code, lines: this.lines, stderr: await this.#stderr };
  }

  /** Sends a signal (SIGTERM unless told) to the process's PID, if it still runs. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    try {
      this.child.kill(signal);
    } catch {
      // already exited
    }
  }

  /** Kills (if needed) and awaits the process and its output. */
  async stop(): Promise<void> {
    this.kill();
    await this.child.status;
    await this.#stdoutDone;
    await this.#stderr;
  }
}

/** Runs a command to its end; returns exit code, stdout lines and stderr. */
export async function run(
  command: string,
  args: string[],
  ms = 10_000,
): Promise<{ code: number; lines: string[]; stderr: string }> {
  return await new Process(command, args).finish(ms);
}
