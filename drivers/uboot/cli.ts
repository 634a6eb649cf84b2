/**
 * `j <uboot> reboot-to-console | run CMD... | get-env NAME | set-env NAME [VALUE] | dhcp`: the
 * command-line interface of a UbootConsole.
 */
import { Command } from "commander";
import { type ExitCodeSink, secondsArg, withExitCode } from "@jumpstarter/lib/client";
import type { ProgressReporter } from "@jumpstarter/lib/streams";
import type { UbootConsoleClient } from "./client.ts";

/** Where the commands print; tests replace it. */
export interface UbootCliIo {
  /** Prints one line of results (default: stdout). */
  print?: (line: string) => void;
  /** Prints one line of diagnostics (default: stderr). */
  printError?: (line: string) => void;
  /** Records a non-zero exit code (default: `Deno.exitCode`, which `j` exits with). */
  setExitCode?: ExitCodeSink;
}

function timeoutOf(flags: { timeout?: number }) {
  return flags.timeout === undefined ? {} : { timeout: flags.timeout };
}

/** Builds the U-Boot command group for `client`, named `name`. */
export function ubootCli(
  client: UbootConsoleClient,
  name: string,
  _context?: { progress: ProgressReporter },
  io: UbootCliIo = {},
): Command {
  const print = io.print ?? ((line: string) => console.log(line));
  const printError = io.printError ?? ((line: string) => console.error(line));
  const timeoutOption = ["--timeout <seconds>", "seconds to wait for U-Boot (default 60)"] as const;
  const timeoutSeconds = secondsArg("--timeout", { positive: true });
  const command = new Command(name).description(client.description ?? "U-Boot console");
  command.command("reboot-to-console")
    .description("Power cycle the DUT and stop U-Boot's autoboot at its prompt")
    .option(...timeoutOption, timeoutSeconds)
    .action(async (flags: { timeout?: number }) => {
      await client.rebootToConsole(timeoutOf(flags));
      print(`U-Boot prompt ready (${await client.getPrompt()})`);
    });
  command.command("run")
    .description("Run a U-Boot command and print its output")
    .argument("<command...>", "the command and its arguments (joined with spaces)")
    .option(...timeoutOption, timeoutSeconds)
    .action(async (words: string[], flags: { timeout?: number }) => {
      const output = await client.runCommand(words.join(" "), timeoutOf(flags));
      if (output !== "") print(output);
    });
  command.command("get-env")
    .description("Print a U-Boot environment variable (exit code 1 if it is not defined)")
    .argument("<name>", "variable name")
    .action(withExitCode(async (variable: string) => {
      const value = await client.getEnv(variable);
      if (value === null) {
        printError(`${variable} is not defined`);
        return 1;
      }
      print(value);
    }, io.setExitCode));
  command.command("set-env")
    .description("Set a U-Boot environment variable; without VALUE, delete it")
    .argument("<name>", "variable name")
    .argument("[value]", "new value")
    .action(async (variable: string, value: string | undefined) => {
      await client.setEnv(variable, value ?? null);
    });
  command.command("dhcp")
    .description("Configure U-Boot's network with DHCP and print the addresses")
    .option(...timeoutOption, timeoutSeconds)
    .action(async (flags: { timeout?: number }) => {
      const info = await client.setupDhcp(timeoutOf(flags));
      print(`ip_address: ${info.ip_address}`);
      print(`netmask: ${info.netmask} (/${info.cidr})`);
      print(`gateway: ${info.gateway}`);
      print(`server_ip: ${info.server_ip}`);
    });
  return command;
}
