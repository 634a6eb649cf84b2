/**
 * U-Boot command text: quoting values for its hush shell, and reading what `printenv` and a
 * command echo print.
 */
import { InvalidArgumentError } from "@jumpstarter/lib/wire";

const NAME = /^[A-Za-z0-9_.:+-]+$/;

/** Checks an environment variable name (letters, digits and `_ . : + -`). */
export function checkName(name: string): string {
  if (!NAME.test(name)) {
    throw new InvalidArgumentError(
      `Invalid U-Boot variable name ${JSON.stringify(name)}: use letters, digits and _ . : + -`,
    );
  }
  return name;
}

/**
 * Quotes a value for U-Boot's hush shell: single quotes keep `$`, `;`, spaces and double quotes
 * as they are. A single quote or a backslash cannot appear inside them (U-Boot drops the
 * backslash), so those are written outside: `'it'\''s'`.
 *
 * @throws {InvalidArgumentError} for line breaks, which the console would take as Enter.
 */
export function quoteValue(value: string): string {
  if (/[\r\n]/.test(value)) {
    throw new InvalidArgumentError(
      "A U-Boot variable set over the console cannot contain line breaks",
    );
  }
  const parts = value.split(/(['\\])/).map((part) => {
    if (part === "'") return "\\'";
    if (part === "\\") return "\\\\";
    return part === "" ? "" : `'${part}'`;
  });
  const quoted = parts.join("");
  return quoted === "" ? "''" : quoted;
}

/** `setenv NAME 'VALUE'`, or `setenv NAME` to delete it. */
export function setenvCommand(name: string, value: string | null): string {
  checkName(name);
  return value === null ? `setenv ${name}` : `setenv ${name} ${quoteValue(value)}`;
}

/**
 * Reads `printenv NAME` output: the value, or null when U-Boot says the variable is not defined.
 *
 * @returns undefined when the output is neither (the caller reports it).
 */
export function parsePrintenv(name: string, output: string): string | null | undefined {
  const prefix = `${name}=`;
  if (output.startsWith(prefix)) return output.slice(prefix.length);
  if (output.includes(`"${name}" not defined`)) return null;
  return undefined;
}

/**
 * The output of a command from what came between the echo of its command line and the next
 * prompt: line endings made `\n`, the end of the echoed line dropped.
 */
export function commandOutput(afterEcho: string): string {
  return afterEcho.replace(/\r\n/g, "\n").replace(/\r$/, "").replace(/^\n/, "");
}
