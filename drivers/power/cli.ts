/**
 * `j <name> on|off|cycle|read`: the command-line interface of a power client.
 */
import { Command, InvalidArgumentError } from "commander";
import type { PowerClient } from "./client.ts";
import { apparentPower } from "./types.ts";

/** Parses a `--wait` value: a non-negative number of seconds. */
export function parseSeconds(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`expected a number of seconds, got "${text}"`);
  }
  return value;
}

/** Builds the power command group for `client`, named `name`. */
export function powerCli(client: PowerClient, name: string): Command {
  const command = new Command(name).description(client.description ?? "Power control");
  command.command("on").description(client.methodsDescription.on ?? "Power on").action(
    async () => await client.on(),
  );
  command.command("off").description(client.methodsDescription.off ?? "Power off").action(
    async () => await client.off(),
  );
  command.command("cycle")
    .description("Power off, wait, power on")
    .option("-w, --wait <seconds>", "seconds to wait between off and on", parseSeconds, 2)
    .action(async (options: { wait: number }) => {
      console.log(`Power cycling with ${options.wait} seconds wait time...`);
      await client.cycle({ wait: options.wait });
    });
  command.command("read")
    .description(client.methodsDescription.read ?? "Stream power readings")
    .action(async () => {
      for await (const reading of client.read()) {
        const power = apparentPower(reading);
        console.log(`voltage=${reading.voltage}V current=${reading.current}A power=${power}W`);
      }
    });
  return command;
}
