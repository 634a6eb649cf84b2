/**
 * Running an exporter under exactly what `jmp-exporter permissions` prints: the flags and the
 * environment they assume, no `-A`.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DENO_CONFIG, jmp, run, type RunResult } from "./_process.ts";
import { type BackgroundJmp, spawnJmp, spawnProgram } from "./_background.ts";

export const EXPORTER_MAIN: string = fileURLToPath(
  new URL("../exporter/main.ts", import.meta.url),
);
const TIMEOUT_MS = 30_000;

/** What `jmp-exporter permissions CONFIG ARGS -o json` prints. */
export interface Printed {
  flags: string[];
  env: Record<string, string>;
}

/**
 * `jmp-exporter permissions CONFIG ARGS -o json`: the flags and environment it prints. With `env`
 * it runs with those variables and adds them to the environment it prints.
 */
export async function printedPermissions(
  config: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<Printed> {
  const printed = await run(
    Deno.execPath(),
    [
      "run",
      "-A",
      "--quiet",
      "--config",
      DENO_CONFIG,
      EXPORTER_MAIN,
      "permissions",
      config,
      "-o",
      "json",
      ...args,
    ],
    { timeoutMs: TIMEOUT_MS, env },
  );
  assert.equal(printed.code, 0, `permissions failed: ${printed.stderr}`);
  const parsed: Printed = JSON.parse(printed.stdout);
  return { ...parsed, env: { ...env, ...parsed.env } };
}

/** `deno run <printed flags> exporter/main.ts --exporter-config CONFIG` with its environment. */
export function spawnUnderPrinted(config: string, printed: Printed): BackgroundJmp {
  assert.ok(
    !printed.flags.some((flag) => flag === "-A" || flag === "--allow-all"),
    `expected scoped grants, got ${printed.flags.join(" ")}`,
  );
  return spawnProgram(
    Deno.execPath(),
    [
      "run",
      "--quiet",
      "--no-prompt",
      "--config",
      DENO_CONFIG,
      ...printed.flags,
      EXPORTER_MAIN,
      "--exporter-config",
      config,
    ],
    { timeoutMs: TIMEOUT_MS, env: printed.env },
  );
}

/** The values of `--allow-NAME=...` in `printed`'s flags (none: empty). */
export function granted(printed: Printed, name: string): string[] {
  return printed.flags.find((flag) => flag.startsWith(`--allow-${name}=`))?.split("=")[1]
    ?.split(",") ?? [];
}

/** Writes an exporter config exporting `entry` (YAML below `export:`) as `dir/NAME`. */
export async function writeLab(dir: string, entry: string, name = "lab.yaml"): Promise<string> {
  const config = `${dir}/${name}`;
  await Deno.writeTextFile(
    config,
    `apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport:\n${entry}`,
  );
  return config;
}

/** An exporter serving under printed grants, and `j` run against it. */
export interface ConfinedExporter extends AsyncDisposable {
  readonly exporter: BackgroundJmp;
  /** `j ARGS`, which must succeed (the failure shows its stderr and the exporter's). */
  j(args: string[]): Promise<RunResult>;
  /** `j ARGS` in the background (e.g. `console log --follow`). */
  jInBackground(args: string[]): BackgroundJmp;
}

/** Serves `config` under `printed` and waits until it listens. */
export async function startConfined(config: string, printed: Printed): Promise<ConfinedExporter> {
  const exporter = spawnUnderPrinted(config, printed);
  const env = { JUMPSTARTER_HOST: await exporter.firstLine, JMP_DRIVERS_ALLOW: "UNSAFE" };
  return {
    exporter,
    j: async (args) => {
      const result = await jmp(["j", ...args], { timeoutMs: TIMEOUT_MS, env });
      assert.equal(
        result.code,
        0,
        `j ${args.join(" ")}: ${result.stderr}\nexporter: ${exporter.printed().stderr}`,
      );
      return result;
    },
    jInBackground: (args) => spawnJmp(["j", ...args], { timeoutMs: TIMEOUT_MS, env }),
    [Symbol.asyncDispose]: () => exporter[Symbol.asyncDispose](),
  };
}

/**
 * Writes `entry` as the one driver of an exporter config, serves it confined, runs `j ARGS`, then
 * `check` (while the exporter still serves: some drivers switch off when their session ends).
 */
export async function runConfined(
  dir: string,
  entry: string,
  args: string[],
  check: () => void | Promise<void>,
): Promise<{ netGrant: string[]; readGrant: string[] }> {
  const config = await writeLab(dir, entry);
  const printed = await printedPermissions(config, ["--socket-dir", `${dir}/run`]);
  await using served = await startConfined(config, printed);
  await served.j(args);
  await check();
  await served.exporter.stop("SIGTERM");
  // the exporter's own socket slots (`unix:...`) aside, the hosts the driver may reach
  const netGrant = granted(printed, "net").filter((host) => !host.startsWith("unix:"));
  return { netGrant, readGrant: granted(printed, "read") };
}
