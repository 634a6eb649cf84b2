/** Temporary directories and file helpers for the storage mux tests. */
import { join } from "node:path";

/** A temporary directory removed on dispose. */
export interface TempDir extends AsyncDisposable {
  path: string;
  join(...parts: string[]): string;
}

export async function tempDir(): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix: "jmp-mux-test-" });
  return {
    path,
    join: (...parts) => join(path, ...parts),
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

/** Names of staging files left in `dir`. */
export async function partialFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.endsWith(".partial")) names.push(entry.name);
  }
  return names;
}

/** Resolves once a staging file in `dir` has received bytes (a filesystem event, not a poll). */
export async function stagingWritten(watcher: Deno.FsWatcher): Promise<void> {
  for await (const event of watcher) {
    if (event.kind === "modify" && event.paths.some((path) => path.endsWith(".partial"))) return;
  }
}

/** An endless stream of 1 MiB chunks, pulled on demand. */
export function endlessStream(): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(1024 * 1024).fill(0xa5);
  return new ReadableStream({ pull: (controller) => controller.enqueue(chunk) }, {
    highWaterMark: 0,
  });
}
