/**
 * Running an exporter under exactly what `jmp-exporter permissions` prints: the flags and the
 * environment they assume, no `-A`.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { Grants } from "@jumpstarter/lib/driver";
import { DENO_CONFIG, jmp, run, type RunResult } from "./_process.ts";
import { type BackgroundJmp, spawnJmp, spawnProgram } from "./_background.ts";

export const EXPORTER_MAIN: string = fileURLToPath(
  new URL("../exporter/main.ts", import.meta.url),
);
export const TIMEOUT_MS = 30_000;

/** What `jmp-exporter permissions CONFIG ARGS -o json` prints. */
export interface Printed {
  flags: string[];
  env: Record<string, string>;
  /** Each driver entry's grants (null: its type declares none). */
  drivers: { path: string; type: string; grants: Grants | null }[];
}

/**
 * `jmp-exporter permissions CONFIG ARGS -o json`: the flags and environment it prints. With `env`
 * it runs with those variables (some grants name what they hold) and adds them to the environment
 * it prints.
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

/**
 * `deno run <printed flags> exporter/main.ts --exporter-config CONFIG` with its environment, run
 * through `enter` when given (a command prefix, e.g. `nsenter -t PID -n`).
 */
export function spawnUnderPrinted(
  config: string,
  printed: Printed,
  enter: string[] = [],
): BackgroundJmp {
  assert.ok(
    !printed.flags.some((flag) => flag === "-A" || flag === "--allow-all"),
    `expected scoped grants, got ${printed.flags.join(" ")}`,
  );
  const [program, ...args] = [
    ...enter,
    Deno.execPath(),
    "run",
    "--quiet",
    "--no-prompt",
    "--config",
    DENO_CONFIG,
    ...printed.flags,
    EXPORTER_MAIN,
    "--exporter-config",
    config,
  ];
  return spawnProgram(program!, args, { timeoutMs: TIMEOUT_MS, env: printed.env });
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
  /** Where the exporter's session is (`JUMPSTARTER_HOST`). */
  readonly host: string;
  /** The environment `j` reaches the exporter with. */
  readonly env: Record<string, string>;
  /** `j ARGS`, which must exit with `code` (0; a failure shows its stderr and the exporter's). */
  j(args: string[], code?: number): Promise<RunResult>;
  /** `j ARGS` in the background (e.g. `console log --follow`). */
  jInBackground(args: string[]): BackgroundJmp;
}

/** How {@linkcode startConfined} serves (by default: `deno run <printed flags>`). */
export interface StartOptions {
  /** Variables of the exporter's beyond the printed ones (all `jmp run` is given). */
  env?: Record<string, string>;
  /**
   * Served by `jmp run --exporter-config`, which starts itself again under the grants and passes
   * on only the variables they name (the program's and the drivers' `env`), instead of by hand.
   */
  byJmpRun?: boolean;
  /** A command prefix the exporter runs through (e.g. `nsenter -t PID -n`: another netns). */
  enter?: string[];
  /**
   * A module serving the config in a worker confined to the printed flags, its peers in the main
   * thread: `deno run -A --unstable-worker-options MODULE CONFIG FLAGS_JSON`.
   */
  worker?: string;
}

/** Starts the exporter of `config` as `options` say, under `printed`. */
function spawnExporter(config: string, printed: Printed, options: StartOptions): BackgroundJmp {
  if (options.byJmpRun) {
    assert.ok(!printed.flags.includes("-A"), `expected scoped grants, got ${printed.flags}`);
    return spawnJmp(["run", "--exporter-config", config], {
      timeoutMs: TIMEOUT_MS,
      env: options.env ?? {},
    });
  }
  const env = { ...options.env, ...printed.env };
  if (!options.worker) return spawnUnderPrinted(config, { ...printed, env }, options.enter);
  return spawnProgram(
    Deno.execPath(),
    [
      ...["run", "-A", "--unstable-worker-options", "--quiet", "--config", DENO_CONFIG],
      ...[options.worker, config, JSON.stringify(printed.flags)],
    ],
    { timeoutMs: TIMEOUT_MS, env },
  );
}

/** Serves `config` under `printed` and waits until it listens (failing with what it said). */
export async function startConfined(
  config: string,
  printed: Printed,
  options: StartOptions = {},
): Promise<ConfinedExporter> {
  const exporter = spawnExporter(config, printed, options);
  let host: string;
  try {
    host = await exporter.firstLine;
  } catch (error) {
    await exporter.stop("SIGTERM");
    throw new Error(`the confined exporter did not start: ${exporter.printed().stderr}`, {
      cause: error,
    });
  }
  // jmp run serves unconfined, with a warning, when it cannot confine itself
  const stderr = exporter.printed().stderr;
  assert.ok(!stderr.includes("unconfined"), `the exporter serves unconfined: ${stderr}`);
  const env = { JUMPSTARTER_HOST: host, JMP_DRIVERS_ALLOW: "UNSAFE" };
  return {
    exporter,
    host,
    env,
    j: async (args, code = 0) => {
      const result = await jmp(["j", ...args], { timeoutMs: TIMEOUT_MS, env });
      assert.equal(
        result.code,
        code,
        `j ${args.join(" ")}: ${result.stderr}\nexporter: ${exporter.printed().stderr}`,
      );
      return result;
    },
    jInBackground: (args) => spawnJmp(["j", ...args], { timeoutMs: TIMEOUT_MS, env }),
    [Symbol.asyncDispose]: () => exporter[Symbol.asyncDispose](),
  };
}

/** A config of one test served confined, with what was printed for it. */
export interface ServedLab extends ConfinedExporter {
  readonly printed: Printed;
  /** The values of the printed `--allow-NAME=` flag (empty when it is absent or bare). */
  granted(name: string): string[];
  /** The grants printed for the driver at `path` (`board.power`). */
  grantsOf(path: string): Grants | null;
}

/**
 * Writes `entries` (the lines under `export:`) as `dir/lab.yaml`, its sockets in `dir/run`, and
 * serves it under its printed grants (`options.env` is given to `permissions` too: some grants
 * name what variables hold).
 */
export async function serveConfined(
  dir: string,
  entries: string,
  options: StartOptions = {},
): Promise<ServedLab> {
  const config = await writeLab(dir, entries);
  const printed = await printedPermissions(config, ["--socket-dir", `${dir}/run`], options.env);
  const served = await startConfined(config, printed, options);
  return {
    ...served,
    printed,
    granted: (name) => granted(printed, name),
    grantsOf: (path) => printed.drivers.find((driver) => driver.path === path)?.grants ?? null,
  };
}

/** Serves `entries` confined, expecting the exporter to stop before it serves: what it said. */
export async function failureToStart(dir: string, entries: string): Promise<string> {
  const message = await serveConfined(dir, entries).then(
    async (served) => {
      await served[Symbol.asyncDispose]();
      return undefined;
    },
    (error: Error) => error.message,
  );
  assert.ok(message !== undefined, "expected the exporter to stop before serving; it served");
  return message;
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
  await using served = await serveConfined(dir, entry);
  await served.j(args);
  await check();
  // the exporter's own socket slots (`unix:...`) aside, the hosts the driver may reach
  const netGrant = served.granted("net").filter((host) => !host.startsWith("unix:"));
  return { netGrant, readGrant: served.granted("read") };
}
