/**
 * `j <uboot> reboot-to-console | run CMD... | get-env NAME | set-env NAME [VALUE] | dhcp`: the
 * command-line interface of a UbootConsole.
 */
import { Command, InvalidArgumentError } from "commander";
import type { ProgressReporter } from "@jumpstarter/lib/streams";
import type { UbootConsoleClient } from "./client.ts";

/** Where the commands print; tests replace it. */
export interface UbootCliIo {
  /** Prints one line of results (default: stdout). */
  print?: (line: string) => void;
  /** Prints one line of diagnostics (default: stderr). */
  printError?: (line: string) => void;
}

function seconds(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`expected a positive number of seconds, got "${text}"`);
  }
  return value;
}

/**
 * Adapts an action that returns an exit code to commander's typing (which expects void); `j`
 * exits with an integer an action returns.
 */
function exiting<A extends unknown[]>(
  action: (...args: A) => Promise<number>,
): (...args: A) => Promise<void> {
  return action as unknown as (...args: A) => Promise<void>;
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
  const command = new Command(name).description(client.description ?? "U-Boot console");
  command.command("reboot-to-console")
    .description("Power cycle the DUT and stop U-Boot's autoboot at its prompt")
    .option(...timeoutOption, seconds)
    .action(async (flags: { timeout?: number }) => {
      await client.rebootToConsole(timeoutOf(flags));
      print(`U-Boot prompt ready (${await client.getPrompt()})`);
    });
  command.command("run")
    .description("Run a U-Boot command and print its output")
    .argument("<command...>", "the command and its arguments (joined with spaces)")
    .option(...timeoutOption, seconds)
    .action(async (words: string[], flags: { timeout?: number }) => {
      const output = await client.runCommand(words.join(" "), timeoutOf(flags));
      if (output !== "") print(output);
    });
  command.command("get-env")
    .description("Print a U-Boot environment variable (exit code 1 if it is not defined)")
    .argument("<name>", "variable name")
    .action(exiting(async (variable: string) => {
      const value = await client.getEnv(variable);
      if (value === null) {
        printError(`${variable} is not defined`);
        return 1;
      }
      print(value);
      return 0;
    }));
  command.command("set-env")
    .description("Set a U-Boot environment variable; without VALUE, delete it")
    .argument("<name>", "variable name")
    .argument("[value]", "new value")
    .action(async (variable: string, value: string | undefined) => {
      await client.setEnv(variable, value ?? null);
    });
  command.command("dhcp")
    .description("Configure U-Boot's network with DHCP and print the addresses")
    .option(...timeoutOption, seconds)
    .action(async (flags: { timeout?: number }) => {
      const info = await client.setupDhcp(timeoutOf(flags));
      print(`ip_address: ${info.ip_address}`);
      print(`netmask: ${info.netmask} (/${info.cidr})`);
      print(`gateway: ${info.gateway}`);
      print(`server_ip: ${info.server_ip}`);
    });
  return command;
}
