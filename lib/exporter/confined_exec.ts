/**
 * Serving under exactly the grants a config implies: the exporter program started again as
 * `deno run --no-prompt <grants> <main module> <same arguments>`, with a cut-down environment and
 * a private socket directory, its signals passed on and its exit code returned.
 *
 * Only when running from source: a `deno compile`d binary carries the permissions it was compiled
 * with and cannot give itself narrower ones by flags (see the README's "Least privilege").
 *
 * @module
 */
import { type DriverPackage, grantFlags, type Grants, mergeGrants } from "@jumpstarter/lib/driver";
import type { ExporterConfig } from "@jumpstarter/lib/config";
import { configGrants } from "./permissions.ts";
import { makeOwnedDir, type OwnedDir } from "./owned_dir.ts";
import {
  CONFINED_VARIABLE,
  confinedEnvironment,
  defaultSocketDir,
  npmCacheDir,
  programGrants,
  type ServeMode,
  SOCKET_DIR_VARIABLE,
  systemCaFiles,
} from "./confined_grants.ts";

/** What confining an exporter takes: its grants once its socket directory is known. */
export interface Confinement {
  /** The drivers' grants and the program's own, with the private socket directory `socketDir`. */
  grants(socketDir: string): Grants;
  /** The program's own grants alone (for the table). */
  program(socketDir: string): Grants;
  /** The variables the drivers read, passed on beside the program's own (`true`: all). */
  driverVariables: readonly string[] | true;
}

/**
 * How to confine an exporter serving `config` in `mode`; `undefined` when a driver type declares
 * no grants (or needs `-A`), so it cannot be confined.
 */
export function confinementOf(
  config: ExporterConfig,
  packages: readonly DriverPackage[],
  mode: ServeMode,
  env: Record<string, string>,
): Confinement | undefined {
  // whether the drivers can be confined, and the variables they read, do not depend on where
  // the sockets go: asked for the directory `jmp-exporter permissions` prints by default
  const drivers = configGrants(config, packages, defaultSocketDir(env));
  if (drivers.undeclared || drivers.grants.all !== undefined) return undefined;
  const npmCache = npmCacheDir(env);
  const caFiles = systemCaFiles(env);
  const program = (socketDir: string) => programGrants({ socketDir, npmCache, caFiles, mode });
  return {
    grants: (socketDir) =>
      mergeGrants([program(socketDir), configGrants(config, packages, socketDir).grants]),
    program,
    driverVariables: drivers.grants.env ?? [],
  };
}

/** Whether this process is a confined exporter (started by {@linkcode runConfined}, or by hand). */
export function isConfined(env: Record<string, string>): boolean {
  return env[CONFINED_VARIABLE] !== undefined;
}

/**
 * Whether this process should start itself again confined: from source, not confined yet, and
 * allowed to start Deno (a process already run under narrower flags serves as it is).
 */
export function shouldConfine(env: Record<string, string>): boolean {
  if (Deno.build.standalone || isConfined(env)) return false;
  return Deno.permissions.querySync({ name: "run", command: Deno.execPath() }).state === "granted";
}

/** Options of {@linkcode runConfined}. */
export interface RunConfinedOptions {
  confinement: Confinement;
  /** The deno.json the program runs with. */
  denoConfig: string;
}

/**
 * A new private directory for the socket slots, in `$XDG_RUNTIME_DIR` or the temp directory;
 * the ones killed exporters left there are removed.
 */
function makeSocketDir(env: Record<string, string>): Promise<OwnedDir> {
  return makeOwnedDir("jumpstarter-exporter-", env.XDG_RUNTIME_DIR || undefined);
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** This program could not be started again to serve confined (e.g. Deno run under emulation). */
export class CannotConfineError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CannotConfineError";
  }
}

/** The variable giving a confined exporter the process id of the one that started it. */
const PARENT_VARIABLE = "JMP_EXPORTER_PARENT";

/** How often a confined exporter checks that the process that started it is still there. */
const PARENT_CHECK_MS = 250;

/**
 * Ends this confined exporter soon after the process that started it is gone (killed with
 * SIGKILL, which it cannot pass on): its socket directory removed, exit 137 as if killed too.
 * Does nothing in a process not started by {@linkcode runConfined}.
 */
export function exitWithParent(env: Record<string, string>): void {
  const parent = Number(env[PARENT_VARIABLE]);
  if (!parent) return;
  const timer = setInterval(() => {
    if (Deno.ppid === parent) return;
    const dir = env[SOCKET_DIR_VARIABLE];
    if (dir) {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch { /* gone already */ }
    }
    Deno.exit(137);
  }, PARENT_CHECK_MS);
  Deno.unrefTimer(timer);
}

/**
 * Runs this program again under the confinement's grants with the same arguments; resolves to its exit
 * code (128+N when signal N ended it). Signals this process gets are passed on to it.
 *
 * @throws {CannotConfineError} when the child cannot be started at all.
 */
export async function runConfined(options: RunConfinedOptions): Promise<number> {
  const parentEnv = Deno.env.toObject();
  const owned = await makeSocketDir(parentEnv);
  const socketDir = owned.path;
  const grants = options.confinement.grants(socketDir);
  const env = confinedEnvironment(parentEnv, options.confinement.driverVariables);
  let child: Deno.ChildProcess;
  try {
    await checkRunnable();
    child = spawnConfined(options, grants, env, socketDir);
  } catch (error) {
    await owned.remove();
    throw new CannotConfineError(
      `cannot start ${Deno.execPath()} again: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const forward = SIGNALS.map((name) => {
    const listener = () => {
      try {
        child.kill(name);
      } catch { /* already gone */ }
    };
    Deno.addSignalListener(name, listener);
    return [name, listener] as const;
  });
  try {
    const status = await child.status;
    return status.signal ? 128 + signalNumber(status.signal) : status.code;
  } finally {
    for (const [name, listener] of forward) Deno.removeSignalListener(name, listener);
    await owned.remove();
  }
}

/**
 * Fails unless this Deno can be started as a process of its own: under user-mode emulation
 * (`qemu-aarch64-static deno ...`) it cannot, and a failed exec only shows as exit code 127.
 */
async function checkRunnable(): Promise<void> {
  const { success, code } = await new Deno.Command(Deno.execPath(), {
    args: ["--version"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).output();
  if (!success) throw new Error(`\`${Deno.execPath()} --version\` exited ${code}`);
}

/** The child: this program under `grants`, with `env` and the confinement's own variables. */
function spawnConfined(
  options: RunConfinedOptions,
  grants: Grants,
  env: Record<string, string>,
  socketDir: string,
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      "--config",
      options.denoConfig,
      ...grantFlags(grants),
      Deno.mainModule,
      ...Deno.args,
    ],
    env: {
      ...env,
      [CONFINED_VARIABLE]: "1",
      [SOCKET_DIR_VARIABLE]: socketDir,
      [PARENT_VARIABLE]: String(Deno.pid),
    },
    clearEnv: true,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
}

function signalNumber(signal: Deno.Signal): number {
  return { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal as string] ?? 1;
}
