/**
 * `-o json|yaml|name` output shared by commands that print objects.
 */
import { Option } from "commander";
import { stringify } from "yaml";

export type OutputMode = "json" | "yaml" | "name";

/** The `-o/--output` option with the given choices. */
export function outputOption(choices: OutputMode[] = ["json", "yaml", "name"]): Option {
  return new Option("-o, --output <mode>", "output format").choices(choices);
}

/** Prints `value` as JSON (indent 4, as upstream) or YAML (indent 2). */
export function printStructured(value: unknown, mode: "json" | "yaml"): void {
  if (mode === "json") console.log(JSON.stringify(value, null, 4));
  else console.log(stringify(value, { indent: 2 }).trimEnd());
}
