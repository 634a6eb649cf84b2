/**
 * `j` commands of the gpiod clients, as upstream's `cli()`: an output gets `on`, `off`, `cycle`
 * and `read`; an input `read`, `wait-for-edge rising|falling`, `wait-for-active` and
 * `wait-for-inactive`, each wait with `-t/--timeout` seconds (default 3600).
 */
import { Command, Option } from "commander";
import { secondsArg } from "@jumpstarter/lib/client";
import { addCycleCommand, type PowerCliContext } from "@jumpstarter/driver-power";
import type { DigitalInputClient, DigitalOutputClient } from "./client.ts";

/** Builds the command group of a DigitalOutput, named `name`. */
export function digitalOutputCli(
  client: DigitalOutputClient,
  name: string,
  context: PowerCliContext = {},
): Command {
  const confirm = context.confirm ?? (() => {});
  const command = new Command(name).description(
    client.description ?? "GPIO power control commands",
  );
  command.command("on").description("Turn gpio on.").action(async () => {
    await client.on();
    confirm(`${name}: on`);
  });
  command.command("off").description("Turn gpio off.").action(async () => {
    await client.off();
    confirm(`${name}: off`);
  });
  addCycleCommand(command, client, name, confirm);
  command.command("read").description("read pin.").action(async () => {
    console.log(await client.read());
  });
  return command;
}

function timeoutOption(): Option {
  return new Option("-t, --timeout <seconds>", "Timeout in seconds").argParser(
    secondsArg("--timeout"),
  )
    .default(3600);
}

/** Builds the command group of a DigitalInput, named `name`. */
export function digitalInputCli(
  client: DigitalInputClient,
  name: string,
): Command {
  const command = new Command(name).description(
    client.description ?? "GPIO input commands",
  );
  command.command("read").description("Read input.").action(async () => {
    console.log(await client.read());
  });
  command.command("wait-for-edge").description("Wait for edge")
    .addArgument(
      new Command().createArgument("<edge_type>", "rising or falling").choices([
        "rising",
        "falling",
      ]),
    )
    .addOption(timeoutOption())
    .action(
      async (edge: "rising" | "falling", options: { timeout: number }) => {
        await client.waitForEdge(edge, options.timeout);
      },
    );
  command.command("wait-for-active").description("Wait for active").addOption(
    timeoutOption(),
  )
    .action(async (options: { timeout: number }) => await client.waitForActive(options.timeout));
  command.command("wait-for-inactive").description("Wait for inactive")
    .addOption(timeoutOption())
    .action(async (options: { timeout: number }) => await client.waitForInactive(options.timeout));
  return command;
}
