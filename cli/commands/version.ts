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
      const from = new URL("..", import.meta.url).pathname;
      console.log(`Jumpstarter v${VERSION} from ${from} (${runtime})`);
    });
}
