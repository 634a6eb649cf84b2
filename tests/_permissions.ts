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

/** `jmp-exporter permissions CONFIG ARGS -o json`: the flags and environment it prints. */
export async function printedPermissions(config: string, args: string[] = []): Promise<Printed> {
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
    { timeoutMs: TIMEOUT_MS },
  );
  assert.equal(printed.code, 0, `permissions failed: ${printed.stderr}`);
  return JSON.parse(printed.stdout);
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

/** An exporter serving one config under exactly its printed grants; dispose to stop it. */
export interface ConfinedExporter extends AsyncDisposable {
  readonly printed: Printed;
  readonly exporter: BackgroundJmp;
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
  /** Added to the exporter's environment (what a driver's peer reads, e.g. a fake's workdir). */
  env?: Record<string, string>;
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
  const printed = await printedPermissions(config, ["--socket-dir", `${dir}/run`]);
  const exporter = spawnUnderPrinted(config, {
    ...printed,
    env: { ...options.env, ...printed.env },
  });
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
  const env = { JUMPSTARTER_HOST: host, JMP_DRIVERS_ALLOW: "UNSAFE" };
  return {
    printed,
    exporter,
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
 * Checks a console through the confined exporter: what the board writes on `boardTty` reaches
 * `j NAME pipe`'s output (written to `${dir}/console.txt`).
 */
export async function boardReachesPipe(
  served: ConfinedExporter,
  name: string,
  boardTty: string,
  dir: string,
): Promise<void> {
  const log = `${dir}/console.txt`;
  await using pipe = spawnJmp(["j", name, "pipe", "-o", log], { env: served.env });
  // the board's end may appear only once the session opens (a demuxer's pty)
  let board: TtyPort | undefined;
  try {
    await waitFor(
      `the board's line in j ${name} pipe's output`,
      async () => {
        board ??= await TtyPort.open(boardTty, 115200).catch(() => undefined);
        await board?.write(new TextEncoder().encode("confined-42\n"));
        const text = await Deno.readTextFile(log).catch(() => "");
        return text.includes("confined-42") || undefined;
      },
      TIMEOUT_MS,
      () =>
        `board tty ${board ? "open" : "not there"}; j: ${JSON.stringify(pipe.printed())}\n` +
        `exporter: ${served.exporter.printed().stderr}`,
    );
  } finally {
    await board?.close();
  }
  await pipe.stop("SIGINT");
}
