/**
 * `jmp config ...` alone, with the error handling of `main()` in cli/main.ts, for
 * tests/jmp_config_test.ts until `configCommand()` is wired into cli/main.ts.
 *
 * It also has `jmp resolve-client [--client A | --client-config P]`, a test-only command that
 * prints the client config the resolution order of spec/cli.md section 5.4 selects, so that
 * cli/config_selection.ts is exercised end to end (exit codes, messages).
 */
import { Command } from "commander";
import { configCommand } from "../cli/commands/config.ts";
import {
  addClientSelectorOptions,
  type ClientSelector,
  resolveClientConfig,
} from "../cli/config_selection.ts";
import { exitCodeFor } from "../cli/errors.ts";

function exitOverrideAll(command: Command): Command {
  command.exitOverride();
  for (const sub of command.commands) exitOverrideAll(sub);
  return command;
}

function resolveClientCommand(): Command {
  return addClientSelectorOptions(new Command("resolve-client"))
    .description("print the alias, path and endpoint of the selected client config")
    .action(async (flags: ClientSelector) => {
      const config = await resolveClientConfig(flags);
      console.log(`${config.alias} ${config.path ?? "-"} ${config.endpoint ?? "-"}`);
    });
}

export async function main(args: string[]): Promise<number> {
  const program = new Command("jmp")
    .showHelpAfterError()
    .addCommand(configCommand())
    .addCommand(resolveClientCommand());
  try {
    await exitOverrideAll(program).parseAsync(args, { from: "user" });
    return 0;
  } catch (error) {
    return exitCodeFor(error, { usageExitCode: 2, debug: Deno.env.has("JMP_DEBUG") });
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
