/**
 * Issue 12 items 1 and 4: the exporter side does not load the client side, and a driver package
 * needs neither `lib/exporter` (driver types and registries come from `lib/driver`) nor anything
 * registered at import time. Checked on the real module graphs `deno info` reports.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const INFO_DEADLINE_MS = 60_000;

/** Every local module `entry` loads, as repository-relative paths. */
async function graphOf(entry: string): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(INFO_DEADLINE_MS),
  }).output();
  const text = new TextDecoder();
  assert.ok(output.success, `deno info ${entry} failed: ${text.decode(output.stderr)}`);
  const info = JSON.parse(text.decode(output.stdout)) as { modules: { specifier: string }[] };
  return info.modules
    .map((module) => module.specifier)
    .filter((specifier) => specifier.startsWith(ROOT.href))
    .map((specifier) => specifier.slice(ROOT.href.length));
}

async function driverEntries(): Promise<string[]> {
  const entries: string[] = [];
  for await (const dir of Deno.readDir(new URL("drivers/", ROOT))) {
    if (!dir.isDirectory) continue;
    for (const file of ["driver.ts", "package.ts"]) {
      const path = `drivers/${dir.name}/${file}`;
      if (await Deno.stat(new URL(path, ROOT)).then(() => true, () => false)) entries.push(path);
    }
  }
  return entries.sort();
}

Deno.test("lib/exporter loads nothing from lib/client", async () => {
  const graph = await graphOf("lib/exporter/mod.ts");
  assert.ok(graph.includes("lib/exporter/tree.ts"), "the graph has the exporter's own modules");
  assert.deepEqual(graph.filter((path) => path.startsWith("lib/client/")), []);
});

Deno.test("no driver package loads lib/exporter", async () => {
  const entries = await driverEntries();
  assert.ok(entries.length >= 14, `found only ${entries.join(", ")}`);
  const offenders: string[] = [];
  for (const entry of entries) {
    const graph = await graphOf(entry);
    const exporter = graph.filter((path) => path.startsWith("lib/exporter/"));
    if (exporter.length > 0) offenders.push(`${entry} -> ${exporter.join(", ")}`);
  }
  assert.deepEqual(offenders, []);
});
