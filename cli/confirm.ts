/**
 * Confirmations of what a command did (`Using client config "lab"`, `power: powered on`), shown
 * on a terminal only: piped or captured output stays as quiet as upstream's.
 */

/** Prints `message` on stdout when stdout is a terminal; does nothing otherwise. */
export function confirmOnTerminal(message: string): void {
  if (Deno.stdout.isTerminal()) console.log(message);
}
