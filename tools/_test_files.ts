/**
 * The suite's test files, as `deno test` finds them (`*_test.ts`, `*.test.ts`, `test.ts` and the
 * other extensions it accepts), and the `deno test` arguments each one runs with.
 *
 * @module
 */
import { join, relative } from "node:path";

const TEST_FILE = /(^|[_.])test\.(ts|tsx|mts|js|mjs|jsx)$/;
const SKIPPED_DIRS = new Set(["node_modules", "dist", "coverage"]);

/** Every test file under `root`, relative to it (`./a/b_test.ts`), sorted. */
export async function findTestFiles(root: string, dir = root): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) {
      if (entry.name.startsWith(".") || SKIPPED_DIRS.has(entry.name)) continue;
      found.push(...await findTestFiles(root, path));
    } else if (entry.isFile && TEST_FILE.test(entry.name)) {
      found.push(`./${relative(root, path)}`);
    }
  }
  return found.sort();
}

/** Every test gets a deadline: the preload wraps `Deno.test` (see `lib/testing/deadline.ts`). */
export const DEADLINE_PRELOAD = "lib/testing/deadline_preload.ts";

/** `deno test` arguments for one file; the files were type-checked together beforehand. */
export function denoTestArgs(file: string): string[] {
  return ["test", "-A", "--no-check", "--preload", DEADLINE_PRELOAD, file];
}
