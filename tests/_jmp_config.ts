/**
 * Shared by the `jmp config` end-to-end tests: a private config home per check, and readers of
 * what the CLI leaves there.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadUserConfig } from "@jumpstarter/lib/config";
import { assertExit, DENO_CONFIG, JMP_MAIN, run, type RunResult, tempDir } from "./_helpers.ts";

/**
 * The program under test. `jmp config` is not yet wired into cli/main.ts, so this is a test
 * entry with the same error handling; switch to `JMP_MAIN` from _helpers.ts once it is.
 */
export const ENTRY: string = JMP_MAIN;
/** Has the test-only `resolve-client` command; cli/main.ts has no such command. */
export const SELECTION_ENTRY: string = fileURLToPath(new URL("./_config_cli.ts", import.meta.url));

/** Variables that would select or patch a client config. */
export const UNSET: string[] = [
  "JMP_NAME",
  "JMP_NAMESPACE",
  "JMP_ENDPOINT",
  "JMP_TOKEN",
  "XDG_CONFIG_HOME",
  "VISUAL",
  "EDITOR",
];

export interface Home {
  readonly path: string;
  /** Runs `jmp ARGS...` with this config home. */
  jmp(args: string[], env?: Record<string, string>, entry?: string): Promise<RunResult>;
}

export async function withHome(fn: (home: Home) => Promise<void>): Promise<void> {
  await using dir = await tempDir();
  const home: Home = {
    path: dir.path,
    jmp: (args, env = {}, entry = ENTRY) =>
      run(Deno.execPath(), ["run", "-A", "--quiet", "--config", DENO_CONFIG, entry, ...args], {
        env: { JMP_CLIENT_CONFIG_HOME: dir.path, ...env },
        unset: UNSET,
      }),
  };
  await fn(home);
}

export function ok(result: RunResult): RunResult {
  assertExit(result, 0);
  return result;
}

export function clientArgs(alias: string, endpoint = `${alias}.example.com:443`): string[] {
  return [
    "config",
    "client",
    "create",
    alias,
    "--namespace",
    "lab",
    "--name",
    `${alias}-client`,
    "--endpoint",
    endpoint,
    "--token",
    `token-of-${alias}`,
    "--nointeractive",
  ];
}

export async function currentClient(home: Home): Promise<string | null> {
  return (await loadUserConfig(join(home.path, "config.yaml"))).config["current-client"];
}

export async function mode(path: string): Promise<number> {
  return ((await Deno.stat(path)).mode ?? 0) & 0o777;
}

/** The keys of every map in `value`, by dotted path. */
export function keyTree(value: unknown, path = ""): Record<string, string[]> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  const record = value as Record<string, unknown>;
  let tree: Record<string, string[]> = { [path || "."]: Object.keys(record) };
  for (const [key, child] of Object.entries(record)) {
    tree = { ...tree, ...keyTree(child, path ? `${path}.${key}` : key) };
  }
  return tree;
}
