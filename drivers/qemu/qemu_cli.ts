/**
 * `j <qemu> ...`: the Qemu composite's own commands next to its children's, as upstream's
 * `QemuClient.cli()`: `resize disk SIZE` and `resize memory SIZE`, for the next power on.
 */
import { Command } from "commander";
import type { QemuClient } from "./client.ts";

/** What the program hands a composite's CLI: a way to add its children's commands. */
export interface QemuCliContext {
  addChildren?: (command: Command) => void;
}

/** Builds the command group for `client`, named `name`. */
export function qemuCli(client: QemuClient, name: string, context: QemuCliContext): Command {
  const command = new Command(name).description(client.description ?? "QEMU virtual machine");
  context.addChildren?.(command);
  const resize = command.command("resize").description("Resize QEMU resources");
  resize.command("disk")
    .description("Resize the root disk (e.g., 20G). Run before power on.")
    .argument("<size>", "new size, e.g. 20G")
    .action(async (size: string) => {
      await client.setDiskSize(size);
      console.log(`Disk will be resized to ${size} on next power on`);
    });
  resize.command("memory")
    .description("Set memory size (e.g., 2G, 4G). Takes effect on next boot.")
    .argument("<size>", "memory size, e.g. 2G")
    .action(async (size: string) => {
      await client.setMemorySize(size);
      console.log(`Memory will be set to ${size} on next power on`);
    });
  return command;
}
