/**
 * `jmp version`: this implementation's version and the runtime's.
 */
import { Command } from "commander";
import { type OutputMode, outputOption, printStructured } from "../output.ts";
import { VERSION } from "../version.ts";

export function versionCommand(): Command {
  return new Command("version")
    .aliases(["ver", "v"])
    .description("Show the version of Jumpstarter")
    .addOption(outputOption())
    .action((flags: { output?: OutputMode }) => {
      const runtime = `Deno ${Deno.version.deno}`;
      if (flags.output === "json" || flags.output === "yaml") {
        // upstream's keys; the runtime stands where upstream reports Python's version
        printStructured({ gitVersion: VERSION, pythonVersion: runtime }, flags.output);
        return;
      }
      console.log(versionLine());
    });
}

/** `Jumpstarter vX from PATH (Deno Y)`, as `jmp version` and `jmp --version` print it. */
export function versionLine(): string {
  const from = new URL("..", import.meta.url).pathname;
  return `Jumpstarter v${VERSION} from ${from} (Deno ${Deno.version.deno})`;
}
