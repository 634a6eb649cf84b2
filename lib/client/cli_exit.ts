/**
 * The one way a driver command sets `j`'s exit code: its action returns the code, and
 * {@linkcode withExitCode} adapts it to commander (which ignores what actions return).
 */

/** Where a command's non-zero exit code goes. */
export type ExitCodeSink = (code: number) => void;

/** `j` exits with `Deno.exitCode` once its command has run. */
const processExitCode: ExitCodeSink = (code) => {
  Deno.exitCode = code;
};

/**
 * Wraps a command action that may return an exit code (`void` meaning success), recording a
 * non-zero one in `setExitCode` (default: `Deno.exitCode`, which `j` exits with). Errors the
 * action throws propagate unchanged.
 *
 * @example A command that fails with exit code 1 when a variable is unset
 * ```ts
 * import assert from "node:assert/strict";
 * import { Command } from "commander";
 * import { withExitCode } from "@jumpstarter/lib/client";
 *
 * const codes: number[] = [];
 * const command = new Command("get-env").argument("<name>").action(
 *   withExitCode((name: string) => (name === "bootcmd" ? 0 : 1), (code) => codes.push(code)),
 * );
 * await command.parseAsync(["missing"], { from: "user" });
 * assert.deepEqual(codes, [1]);
 * ```
 */
export function withExitCode<A extends unknown[]>(
  action: (...args: A) => Promise<number | void> | number | void,
  setExitCode: ExitCodeSink = processExitCode,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const code = await action(...args);
    if (typeof code === "number" && code !== 0) setExitCode(code);
  };
}
