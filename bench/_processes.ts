/**
 * Child processes for the benchmarks: start one and wait for a line announcing it is ready,
 * stop it (SIGTERM, then SIGKILL after a grace period), run one to completion with a deadline.
 */

/** A started child whose stdout announced it was ready. */
export interface ReadyChild extends AsyncDisposable {
  /** The line that matched. */
  readonly line: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Options of {@linkcode startUntilLine}. */
export interface StartOptions {
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Which stdout line means ready. */
  ready: (line: string) => boolean;
  timeoutMs: number;
}

async function stopChild(child: Deno.ChildProcess, graceMs: number): Promise<void> {
  const kill = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch { /* already exited */ }
  };
  kill("SIGTERM");
  const timer = setTimeout(() => kill("SIGKILL"), graceMs);
  try {
    await child.status;
  } finally {
    clearTimeout(timer);
  }
}

/** Starts `program` and resolves once a stdout line satisfies `ready`; fails with its stderr. */
export async function startUntilLine(program: string, options: StartOptions): Promise<ReadyChild> {
  const child = new Deno.Command(program, {
    args: options.args,
    ...(options.env ? { env: options.env } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${program} was not ready within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
  });
  const waitReady = async (): Promise<string> => {
    while (true) {
      const newline = seen.indexOf("\n");
      if (newline >= 0) {
        const line = seen.slice(0, newline).trim();
        seen = seen.slice(newline + 1);
        if (options.ready(line)) return line;
        continue;
      }
      const { done, value } = await lines.read();
      if (done) throw new Error(`${program} exited before it was ready: ${await stderr}`);
      seen += value;
    }
  };
  let line: string;
  try {
    line = await Promise.race([waitReady(), deadline]);
  } catch (error) {
    await stopChild(child, 2000);
    throw error;
  } finally {
    clearTimeout(timer);
  }
  // keep draining so the child never blocks on a full pipe
  (async () => {
    while (!(await lines.read()).done) { /* discard */ }
  })().catch(() => {});
  let stopping: Promise<void> | undefined;
  const stop = () => stopping ??= stopChild(child, 5000);
  return { line, pid: child.pid, stop, [Symbol.asyncDispose]: stop };
}

/** Runs `program` to completion and returns its stdout; fails with its stderr or on timeout. */
export async function runToEnd(
  program: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs: number },
): Promise<string> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  try {
    const output = await new Deno.Command(program, {
      args,
      ...(options.env ? { env: options.env } : {}),
      stdin: "null",
      signal: controller.signal,
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    if (controller.signal.aborted) {
      throw new Error(`${program} ${args.join(" ")} timed out after ${options.timeoutMs} ms`);
    }
    if (!output.success) {
      throw new Error(`${program} ${args.join(" ")} failed (${output.code}): ${stderr.trim()}`);
    }
    return new TextDecoder().decode(output.stdout);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `pid` and its descendants (`jmp run` serves from a confined child it starts); a process or
 * thread that ends while the tree is read is left out.
 */
export function processTree(pid: number): number[] {
  const tree = [pid];
  const read = (read: () => string[]) => {
    try {
      return read();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
  };
  for (let i = 0; i < tree.length; i++) {
    const tasks = read(() => [...Deno.readDirSync(`/proc/${tree[i]}/task`)].map((t) => t.name));
    for (const task of tasks) {
      const children = read(() =>
        Deno.readTextFileSync(`/proc/${tree[i]}/task/${task}/children`).split(" ")
      );
      tree.push(...children.filter(Boolean).map(Number));
    }
  }
  return tree;
}
