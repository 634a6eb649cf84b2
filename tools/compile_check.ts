/**
 * `deno task compile:check [PROGRAM...]`: fails (exit 1) when a module in a program's graph
 * (`deno info --json`) would break inside a `deno compile`d binary (see `compile_hazards.ts`),
 * printing each as `file:line: reason`. Default programs: `jmp`, `jmp-exporter`,
 * `jmp-controller`.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { compileHazards } from "./compile_hazards.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const PROGRAMS = ["cli/main.ts", "exporter/main.ts", "controller/main.ts"];

interface ModuleGraph {
  modules: { specifier: string; local?: string }[];
}

/** This repository's own modules in `program`'s graph (not npm's, not remote ones). */
async function localModules(program: string): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", program],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`deno info ${program} failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  const graph = JSON.parse(new TextDecoder().decode(output.stdout)) as ModuleGraph;
  return graph.modules.flatMap((module) =>
    module.specifier.startsWith("file:") && module.local && !module.local.includes("/node_modules/")
      ? [module.local]
      : []
  );
}

/** Each hazard as `file:line: reason`, over the graphs of `programs`. */
export async function checkPrograms(programs: readonly string[]): Promise<string[]> {
  const files = new Set<string>();
  for (const program of programs) for (const file of await localModules(program)) files.add(file);
  const found: string[] = [];
  for (const file of [...files].sort()) {
    const shown = file.startsWith(ROOT) ? file.slice(ROOT.length) : file;
    for (const hazard of compileHazards(await Deno.readTextFile(file))) {
      found.push(`${shown}:${hazard.line}: ${hazard.reason}`);
    }
  }
  return found;
}

if (import.meta.main) {
  const programs = Deno.args.length > 0 ? Deno.args : PROGRAMS;
  const found = await checkPrograms(programs);
  for (const line of found) console.error(line);
  if (found.length > 0) {
    console.error(`${found.length} module(s) would break in a compiled binary`);
    Deno.exit(1);
  }
  console.error(`compile-safe: ${programs.join(", ")}`);
}
