/**
 * `deno task compile [--target T]... [--out DIR] [--exporter-config FILE] [--dry-run]`: builds the
 * three programs as single binaries with `deno compile`, for x86_64 and aarch64 Linux by default:
 * `DIR/<target>/jmp` (and `j`, a hard link: the program picks `j` by the name it was started as),
 * `jmp-exporter` and `jmp-controller`.
 *
 * Permissions are fixed when a binary is compiled (a binary cannot narrow itself later), so `jmp`
 * and `jmp-controller` get `-A`, and `jmp-exporter` gets `-A` too unless `--exporter-config` names
 * the config it will serve: then it gets exactly what `jmp-exporter permissions FILE` prints, except
 * that FFI is granted whole (a binary unpacks its native addons outside Deno's npm cache). Such an
 * exporter must be started with the environment that command prints (`with VAR=...`).
 * Native addons come from `npm:` specifiers, which `deno compile` embeds for the target platform.
 *
 * `deno compile` downloads its runtime (`denort`) for each target from Deno's servers; without
 * them it fails, and so does this task, naming the program and target.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const TARGETS = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"] as const;
const PROGRAMS = [
  { name: "jmp", entry: "cli/main.ts", links: ["j"] },
  { name: "jmp-exporter", entry: "exporter/main.ts", links: [] },
  { name: "jmp-controller", entry: "controller/main.ts", links: [] },
] as const;

/** One `deno compile` run and the hard links to make next to its output. */
export interface CompileStep {
  target: string;
  args: string[];
  output: string;
  links: string[];
}

/** What `jmp-exporter permissions FILE -o json` prints that the build uses. */
interface PrintedPermissions {
  flags: string[];
}

/** The `deno compile` runs for `targets` into `out`, with `exporterFlags` for jmp-exporter. */
export function compilePlan(
  targets: readonly string[],
  out: string,
  exporterFlags: readonly string[] = ["-A"],
): CompileStep[] {
  return targets.flatMap((target) =>
    PROGRAMS.map((program) => {
      const output = `${out}/${target}/${program.name}`;
      const permissions = program.name === "jmp-exporter" ? exporterFlags : ["-A"];
      return {
        target,
        args: [
          "compile",
          "--quiet",
          "--config",
          `${ROOT}deno.json`,
          "--target",
          target,
          "--output",
          output,
          ...permissions,
          `${ROOT}${program.entry}`,
        ],
        output,
        links: program.links.map((link) => `${out}/${target}/${link}`),
      };
    })
  );
}

/** The grants a compiled exporter for `config` gets: the printed ones, FFI whole. */
export async function exporterFlagsFor(config: string): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", `${ROOT}exporter/main.ts`, "permissions", config, "-o", "json"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(new TextDecoder().decode(output.stderr).trim().split("\n").at(-1));
  }
  const printed = JSON.parse(new TextDecoder().decode(output.stdout)) as PrintedPermissions;
  return printed.flags.map((flag) => flag.startsWith("--allow-ffi") ? "--allow-ffi" : flag);
}

async function build(steps: CompileStep[]): Promise<void> {
  for (const step of steps) {
    console.error(`compiling ${step.output}`);
    const result = await new Deno.Command(Deno.execPath(), {
      args: step.args,
      env: { NO_COLOR: "1" },
      stderr: "piped",
    }).output();
    if (!result.success) {
      const reason = new TextDecoder().decode(result.stderr).split("\n")
        .find((line) => line.startsWith("error:")) ?? `exit ${result.code}`;
      // deno compile says no more than this when it cannot download denort
      const hint = reason.includes("Writing deno compile executable")
        ? ` (it downloads denort for ${step.target} from dl.deno.land: is that reachable?)`
        : "";
      throw new Error(`deno compile of ${step.output} failed: ${reason}${hint}`);
    }
    for (const link of step.links) {
      await Deno.remove(link).catch(() => {});
      await Deno.link(step.output, link);
    }
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      target: { type: "string", multiple: true },
      out: { type: "string", default: "dist" },
      "exporter-config": { type: "string" },
      "dry-run": { type: "boolean" },
    },
  });
  try {
    const targets = values.target ?? [...TARGETS];
    const unknown = targets.filter((target) => !(TARGETS as readonly string[]).includes(target));
    if (unknown.length) throw new Error(`--target ${unknown[0]}: expected one of ${TARGETS}`);
    const exporterConfig = values["exporter-config"];
    const exporterFlags = exporterConfig ? await exporterFlagsFor(exporterConfig) : undefined;
    const steps = compilePlan(targets, values.out, exporterFlags);
    if (values["dry-run"]) {
      for (const step of steps) console.log(["deno", ...step.args].join(" "));
    } else {
      await build(steps);
    }
  } catch (error) {
    console.error(`compile: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
