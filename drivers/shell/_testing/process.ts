/** Test helpers: whether a process still runs, and waiting on conditions with no event. */
import { eventually } from "@jumpstarter/lib/testing";

/** Whether `pid` is a live process: `kill -0` succeeds and it is not a zombie. */
export async function alive(pid: number): Promise<boolean> {
  const { code } = await new Deno.Command("sh", { args: ["-c", `kill -0 ${pid}`], stderr: "null" })
    .output();
  if (code !== 0) return false;
  // an orphan killed here may wait as a zombie for a PID 1 that does not reap
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "" && state !== "Z" && state !== "X";
}

/** Polls `probe` until it holds (for state changes nothing signals, like a process dying). */
export async function until(probe: () => Promise<boolean>, what: string, ms = 10_000) {
  await eventually(what, probe, { timeoutMs: ms });
}
