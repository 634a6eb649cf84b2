/**
 * `j <name> on|off|cycle|read`: the command-line interface of a power client, worded as upstream's
 * `PowerClient.cli()` (and `VirtualPowerClient.cli()`, which adds `off --destroy`).
 */
import { Command, InvalidArgumentError } from "commander";
import { secondsArg } from "@jumpstarter/lib/client";
import { type CycleOptions, type PowerClient, VirtualPowerClient } from "./client.ts";
import { apparentPower, type PowerReading } from "./types.ts";

/** Parses `--count`: a whole number, 0 meaning "until interrupted". */
function parseCount(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(`expected a whole number of readings, got "${text}"`);
  }
  return value;
}

/** A number as Python's `str(float)` writes it: `5.0`, `0.25`, `1e-07`. */
export function pythonFloat(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return value.toFixed(1);
  return String(value).replace(/e([+-])(\d)$/, "e$10$2");
}

/** One reading as upstream's `j power read` prints it. */
export function formatReading(reading: PowerReading): string {
  return `voltage=${pythonFloat(reading.voltage)} V  current=${pythonFloat(reading.current)} A  ` +
    `apparent_power=${pythonFloat(apparentPower(reading))} VA`;
}

function sleep(seconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
}

/** What the program offers a driver CLI (structural: drivers do not import the CLI). */
export interface PowerCliContext {
  /** Confirms what a command did; the program shows it on a terminal only. */
  confirm?: (message: string) => void;
}

/**
 * Adds upstream's `cycle [-w SECONDS]` command to `command`: it prints what it does, cycles
 * `client` and confirms (on a terminal) as `name: power cycled`.
 */
export function addCycleCommand(
  command: Command,
  client: { cycle(options: CycleOptions): Promise<void> },
  name: string,
  confirm: (message: string) => void,
): void {
  command.command("cycle")
    .description("Power cycle")
    .option(
      "-w, --wait <seconds>",
      "Wait time in seconds between off and on",
      secondsArg("--wait"),
      2,
    )
    .action(async (options: { wait: number }) => {
      console.log(`Power cycling with ${options.wait} seconds wait time...`);
      await client.cycle({ wait: options.wait });
      confirm(`${name}: power cycled`);
    });
}

/** Builds the power command group for `client`, named `name`. */
export function powerCli(
  client: PowerClient,
  name: string,
  context: PowerCliContext = {},
): Command {
  const confirm = context.confirm ?? (() => {});
  const command = new Command(name).description(client.description ?? "Generic power");
  command.command("on").description(client.methodsDescription.on ?? "Power on").action(
    async () => {
      await client.on();
      confirm(`${name}: powered on`);
    },
  );
  const off = command.command("off").description(client.methodsDescription.off ?? "Power off");
  if (client instanceof VirtualPowerClient) {
    off.option("--destroy", "destroy the instance after powering it off", false)
      .action(async (options: { destroy: boolean }) => {
        await client.off({ destroy: options.destroy });
        confirm(`${name}: powered off${options.destroy ? " (destroyed)" : ""}`);
      });
  } else {
    off.action(async () => {
      await client.off();
      confirm(`${name}: powered off`);
    });
  }
  addCycleCommand(command, client, name, confirm);
  command.command("read")
    .description(client.methodsDescription.read ?? "Read power measurements")
    .option("-n, --count <count>", "Number of readings (0 = infinite)", parseCount, 1)
    .option("-i, --interval <seconds>", "Seconds between readings", secondsArg("--interval"), 1)
    .action(async (options: { count: number; interval: number }) => {
      // as upstream: each round prints every reading one read() call streams
      for (let round = 1; options.count === 0 || round <= options.count; round++) {
        for await (const reading of client.read()) console.log(formatReading(reading));
        const more = options.count === 0 || round < options.count;
        if (more && options.interval > 0) await sleep(options.interval);
      }
    });
  return command;
}
