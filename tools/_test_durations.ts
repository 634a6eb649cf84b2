/**
 * How long each test file took last time, kept in the user's cache directory so the next run can
 * start the longest files first. Missing or unreadable means no history, never an error.
 *
 * @module
 */
import { dirname, join } from "node:path";

type Durations = Record<string, number>;

function durationsPath(): string | undefined {
  const cache = Deno.env.get("XDG_CACHE_HOME") ??
    (Deno.env.get("HOME") ? join(Deno.env.get("HOME")!, ".cache") : undefined);
  return cache ? join(cache, "jumpstarter-deno", "test-durations.json") : undefined;
}

export async function loadDurations(): Promise<Durations> {
  const path = durationsPath();
  if (!path) return {};
  try {
    const parsed: unknown = JSON.parse(await Deno.readTextFile(path));
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter(([, ms]) => typeof ms === "number" && Number.isFinite(ms)),
    );
  } catch {
    return {};
  }
}

/** Records `measured` over what was kept before (files not run this time keep their figure). */
export async function saveDurations(measured: Durations): Promise<void> {
  const path = durationsPath();
  if (!path) return;
  try {
    const merged = { ...await loadDurations(), ...measured };
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeTextFile(path, JSON.stringify(merged, null, 1));
  } catch {
    // a read-only or full cache only costs the next run its ordering
  }
}
