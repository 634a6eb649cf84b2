/**
 * The lamp package `drivers/README.md` builds, written out from the README's own code blocks (each
 * starts with a `// <file>.ts` line) so tests drive the documented code, not a copy of it.
 */
import { join } from "node:path";
import { ROOT } from "./_helpers.ts";

/** The README's files by name: interface.ts, driver.ts, client.ts, cli.ts, package.ts. */
export async function readmeFiles(): Promise<Map<string, string>> {
  const text = await Deno.readTextFile(join(ROOT, "drivers", "README.md"));
  const files = new Map<string, string>();
  for (const match of text.matchAll(/```ts\n\/\/ ([\w.]+\.ts)\n([\s\S]*?)```/g)) {
    files.set(match[1]!, match[2]!);
  }
  for (const name of ["interface.ts", "driver.ts", "client.ts", "cli.ts", "package.ts"]) {
    if (!files.has(name)) throw new Error(`drivers/README.md has no \`// ${name}\` code block`);
  }
  return files;
}

/**
 * Writes the README's package into a new directory inside this workspace (so its bare imports
 * resolve as a driver package's do) and passes its path to `fn`; removes it afterwards.
 */
export async function withReadmePackage<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ dir: join(ROOT, "tests"), prefix: "_readme_lamp_" });
  try {
    for (const [name, code] of await readmeFiles()) {
      await Deno.writeTextFile(join(dir, name), code);
    }
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
