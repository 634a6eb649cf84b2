/**
 * `j <name> on|off|cycle|read` for an SNMP outlet: the power commands, with `read` printing the
 * outlet state instead of voltage and current.
 */
import { Command } from "commander";
import { secondsArg } from "@jumpstarter/lib/client";
import type { SNMPServerClient } from "./client.ts";

/** Builds the command group for `client`, named `name`. */
export function snmpCli(client: SNMPServerClient, name: string): Command {
  const command = new Command(name).description(client.description ?? "SNMP power control");
  command.command("on").description(client.methodsDescription.on ?? "Power on").action(
    async () => console.log(await client.switch("on")),
  );
  command.command("off").description(client.methodsDescription.off ?? "Power off").action(
    async () => console.log(await client.switch("off")),
  );
  command.command("cycle")
    .description("Power off, wait, power on")
    .option("-w, --wait <seconds>", "seconds to wait between off and on", secondsArg("--wait"), 2)
    .action(async (options: { wait: number }) => {
      console.log(`Power cycling with ${options.wait} seconds wait time...`);
      await client.cycle({ wait: options.wait });
    });
  command.command("read")
    .description("Print the outlet state as the PDU reports it")
    .action(async () => {
      const { state, raw } = await client.state();
      console.log(`state=${state} raw=${raw}`);
    });
  return command;
}
