/**
 * Running an exporter under exactly what `jmp-exporter permissions` prints: the flags and the
 * environment they assume, no `-A`.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DENO_CONFIG, run } from "./_process.ts";
import { type BackgroundJmp, spawnProgram } from "./_background.ts";

export const EXPORTER_MAIN: string = fileURLToPath(
  new URL("../exporter/main.ts", import.meta.url),
);
const TIMEOUT_MS = 30_000;

/** What `jmp-exporter permissions CONFIG ARGS -o json` prints. */
export interface Printed {
  flags: string[];
  env: Record<string, string>;
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
