/**
 * `jmp --log-level` and `--log-format`: which of jmp's own log lines reach stderr, and how they
 * look (text, or one JSON object per line). Also decides whether errors show their stack.
 */

export const LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const;
export type LogLevel = typeof LOG_LEVELS[number];
export const LOG_FORMATS = ["auto", "json", "text"] as const;
export type LogFormat = typeof LOG_FORMATS[number];

let threshold: LogLevel = "INFO";
let format: LogFormat = "auto";

/** Applies the global options (case-insensitive level, as upstream's). */
export function configureLogging(options: { logLevel?: string; logFormat?: string }): void {
  if (options.logLevel) threshold = options.logLevel.toUpperCase() as LogLevel;
  if (options.logFormat) format = options.logFormat as LogFormat;
}

/** Whether `--log-level DEBUG` (or `JMP_DEBUG`) asks for details such as stack traces. */
export function debugEnabled(): boolean {
  return threshold === "DEBUG" || Deno.env.has("JMP_DEBUG");
}

/**
 * Writes a log line on stderr when `level` passes the threshold. `auto` is text: JSON only when
 * asked for, so that a piped `jmp run` stays readable (upstream's auto picks JSON off a TTY).
 */
export function log(level: LogLevel, message: string): void {
  if (LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(threshold)) return;
  if (format === "json") {
    console.error(JSON.stringify({ time: new Date().toISOString(), level, message }));
  } else {
    console.error(message);
  }
}
