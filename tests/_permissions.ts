/**
 * Running an exporter under exactly what `jmp-exporter permissions` prints: the flags and the
 * environment they assume, no `-A`.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { Grants } from "@jumpstarter/lib/driver";
import { DENO_CONFIG, jmp, run, type RunResult } from "./_process.ts";
import { type BackgroundJmp, spawnJmp, spawnProgram } from "./_background.ts";
import { waitFor } from "../drivers/serial/_testing/pty.ts";
import { TtyPort } from "../drivers/serial/tty_port.ts";

export const EXPORTER_MAIN: string = fileURLToPath(
  new URL("../exporter/main.ts", import.meta.url),
);
const TIMEOUT_MS = 30_000;

/** What `jmp-exporter permissions CONFIG ARGS -o json` prints. */
export interface Printed {
  flags: string[];
  env: Record<string, string>;
  /** Each driver entry's grants (null: its type declares none). */
  drivers: { path: string; type: string; grants: Grants | null }[];
}

/**
 * `jmp-exporter permissions CONFIG ARGS -o json`: the flags and environment it prints (with `env`
 * added to its environment: some grants name what variables hold).
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
  return JSON.parse(printed.stdout);
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

/** An exporter serving one config under exactly its printed grants; dispose to stop it. */
export interface ConfinedExporter extends AsyncDisposable {
  readonly printed: Printed;
  readonly exporter: BackgroundJmp;
  /** Where the exporter's session is (`JUMPSTARTER_HOST`). */
  readonly host: string;
  /** The environment `j` reaches the exporter with. */
  readonly env: Record<string, string>;
  /** The values of the printed `--allow-NAME=` flag (empty when it is absent or bare). */
  granted(name: string): string[];
  /** The grants printed for the driver at `path` (`board.power`). */
  grantsOf(path: string): Grants | null;
  /** Runs `j ARGS`, failing with both sides' output unless it exits with `code` (0). */
  j(args: string[], code?: number): Promise<RunResult>;
}

/** Options of {@linkcode serveConfined}. */
export interface ServeConfinedOptions {
  /** Added to the exporter's environment (what a driver reads, or a fake peer it starts). */
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
   * thread: `deno run -A --unstable-worker-options MODULE DIR CONFIG FLAGS_JSON`.
   */
  worker?: string;
}

/** Starts the exporter of `config` as `options` say, under `printed`. */
function spawnExporter(
  dir: string,
  config: string,
  printed: Printed,
  options: ServeConfinedOptions,
): BackgroundJmp {
  const env = { ...options.env, ...printed.env };
  if (options.byJmpRun) {
    return spawnJmp(["run", "--exporter-config", config], {
      timeoutMs: TIMEOUT_MS,
      env: options.env ?? {},
    });
  }
  if (options.worker) {
    const flags = JSON.stringify(printed.flags);
    return spawnProgram(
      Deno.execPath(),
      [
        ...["run", "-A", "--unstable-worker-options", "--quiet", "--config", DENO_CONFIG],
        ...[options.worker, dir, config, flags],
      ],
      { timeoutMs: TIMEOUT_MS, env },
    );
  }
  return spawnUnderPrinted(config, { ...printed, env }, options.enter);
}

/** Writes `entries` (the lines under `export:`) as a config in `dir` and serves it confined. */
export async function serveConfined(
  dir: string,
  entries: string,
  options: ServeConfinedOptions = {},
): Promise<ConfinedExporter> {
  const config = `${dir}/lab.yaml`;
  await Deno.writeTextFile(
    config,
    `apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport:\n${entries}`,
  );
  const printed = await printedPermissions(config, ["--socket-dir", `${dir}/run`], options.env);
  const exporter = spawnExporter(dir, config, printed, options);
  const stop = async () => {
    await exporter.stop("SIGTERM");
  };
  let host: string;
  try {
    host = await exporter.firstLine;
  } catch (error) {
    await stop();
    throw new Error(`the confined exporter did not start: ${exporter.printed().stderr}`, {
      cause: error,
    });
  }
  if (options.byJmpRun) {
    assert.ok(
      !printed.flags.includes("-A") && !exporter.printed().stderr.includes("unconfined"),
      `jmp run served unconfined: ${exporter.printed().stderr}`,
    );
  }
  const env = { JUMPSTARTER_HOST: host, JMP_DRIVERS_ALLOW: "UNSAFE" };
  return {
    printed,
    exporter,
    host,
    env,
    granted: (name) =>
      printed.flags.find((flag) => flag.startsWith(`--allow-${name}=`))?.split("=")[1]
        ?.split(",") ?? [],
    grantsOf: (path) => printed.drivers.find((driver) => driver.path === path)?.grants ?? null,
    async j(args, code = 0) {
      const result = await jmp(["j", ...args], { timeoutMs: TIMEOUT_MS, env });
      assert.equal(
        result.code,
        code,
        `j ${args.join(" ")}: ${result.stderr}\nexporter: ${exporter.printed().stderr}`,
      );
      return result;
    },
    [Symbol.asyncDispose]: stop,
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
  await using served = await serveConfined(dir, entry);
  await served.j(args);
  await check();
  // the exporter's own socket slots (`unix:...`) aside, the hosts the driver may reach
  const netGrant = served.granted("net").filter((host) => !host.startsWith("unix:"));
  return { netGrant, readGrant: served.granted("read") };
}

/**
 * Waits until `text` shows in `j NAME pipe`'s output (written to `${dir}/console.txt`), calling
 * `poke` before each look (to make the far end say it).
 */
export async function pipeShows(
  served: ConfinedExporter,
  name: string,
  dir: string,
  text: string,
  poke: () => Promise<string> = () => Promise.resolve(""),
): Promise<void> {
  const log = `${dir}/console.txt`;
  await using pipe = spawnJmp(["j", ...name.split(" "), "pipe", "-o", log], { env: served.env });
  let state = "";
  await waitFor(
    `${JSON.stringify(text)} in j ${name} pipe's output`,
    async () => {
      state = await poke();
      return (await Deno.readTextFile(log).catch(() => "")).includes(text) || undefined;
    },
    TIMEOUT_MS,
    () =>
      `${state}j: ${JSON.stringify(pipe.printed())}\nexporter: ${served.exporter.printed().stderr}`,
  );
  await pipe.stop("SIGINT");
}

/** Checks a console: what the board writes on `boardTty` reaches `j NAME pipe`'s output. */
export async function boardReachesPipe(
  served: ConfinedExporter,
  name: string,
  boardTty: string,
  dir: string,
): Promise<void> {
  // the board's end may appear only once the session opens (a demuxer's pty)
  let board: TtyPort | undefined;
  try {
    await pipeShows(served, name, dir, "confined-42", async () => {
      board ??= await TtyPort.open(boardTty, 115200).catch(() => undefined);
      await board?.write(new TextEncoder().encode("confined-42\n"));
      return `board tty ${board ? "open" : "not there"}; `;
    });
  } finally {
    await board?.close();
  }
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
