/**
 * Progress display for long transfers: a bar with rate and ETA on a terminal, plain periodic lines
 * otherwise (or with TERM=dumb), always on stderr so stdout stays clean for data.
 */
// @deno-types="@types/cli-progress"
import cliProgress from "cli-progress";
import process from "node:process";
import type { Progress, ProgressReporter } from "@jumpstarter/lib/streams";

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** `1536` -> `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${UNITS[unit]}`;
}

/** `75` -> `1m15s`. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** One plain status line, for logs and non-terminals. */
export function progressLine(label: string, progress: Progress): string {
  const done = formatBytes(progress.transferred);
  const of = progress.total === undefined
    ? done
    : `${done} / ${formatBytes(progress.total)} (${
      Math.floor((progress.transferred / Math.max(progress.total, 1)) * 100)
    }%)`;
  return `${label}: ${of}, ${formatBytes(progress.rate)}/s, elapsed ${
    formatDuration(progress.elapsed)
  }, remaining ${progress.done ? "0s" : formatDuration(progress.eta)}`;
}

function interactive(): boolean {
  return Deno.stderr.isTerminal() && Deno.env.get("TERM") !== "dumb";
}

function barReporter(label: string, total: number | undefined) {
  const bar = new cliProgress.SingleBar({
    format:
      `${label} [{bar}] {percentage}% | {done} / {size} | {speed}/s | Elapsed: {spent} | Remaining: {left}`,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: false,
    barsize: 30,
  }, cliProgress.Presets.shades_classic);
  bar.start(total ?? 0, 0, { done: "0 B", size: total === undefined ? "?" : formatBytes(total) });
  return (progress: Progress) => {
    bar.update(progress.transferred, {
      done: formatBytes(progress.transferred),
      speed: formatBytes(progress.rate),
      spent: formatDuration(progress.elapsed),
      left: progress.done ? "0s" : formatDuration(progress.eta),
    });
    if (progress.done) bar.stop();
  };
}

function lineReporter(label: string, everyMs: number) {
  let last = -Infinity;
  return (progress: Progress) => {
    const now = performance.now();
    if (!progress.done && now - last < everyMs) return;
    last = now;
    console.error(progressLine(label, progress));
  };
}

/** The reporter driver CLIs use: a bar on a terminal, a line every 2 s otherwise. */
export const terminalProgress: ProgressReporter = (label, total) =>
  interactive() ? barReporter(label, total) : lineReporter(label, 2000);
