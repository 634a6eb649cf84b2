/**
 * `j <name> start|stop|list|put FILE|delete NAME|address`: the command-line interface of a Tftp
 * client.
 */
import { Command } from "commander";
import type { ProgressReporter } from "@jumpstarter/lib/streams";
import type { TftpClient } from "./client.ts";

/** Builds the TFTP command group for `client`, named `name`. */
export function tftpCli(
  client: TftpClient,
  name: string,
  context: { progress: ProgressReporter; addChildren?: (command: Command) => void },
): Command {
  const help = client.methodsDescription;
  const command = new Command(name).description(client.description ?? "TFTP server");
  command.command("start").description(help.start ?? "Start the TFTP server").action(
    async () => await client.start(),
  );
  command.command("stop").description(help.stop ?? "Stop the TFTP server").action(
    async () => await client.stop(),
  );
  command.command("address").description("Print the host:port the server answers on").action(
    async () => {
      const [host, port] = await Promise.all([client.getHost(), client.getPort()]);
      console.log(host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`);
    },
  );
  command.command("list").description(help.list_files ?? "List the files in the TFTP root")
    .action(async () => {
      for (const file of await client.listFiles()) console.log(file);
    });
  command.command("put")
    .description("Upload a local file into the TFTP root")
    .argument("<file>", "local file to upload")
    .option("-n, --name <name>", "name in the TFTP root (default: the file's base name)")
    .action(async (file: string, options: { name?: string }) => {
      const { size } = await Deno.stat(file);
      const label = options.name ?? file;
      const stored = await client.putLocalFile(file, {
        ...(options.name !== undefined ? { name: options.name } : {}),
        onProgress: context.progress(`Uploading ${label}`, size),
      });
      console.log(stored);
    });
  command.command("delete")
    .description(help.delete_file ?? "Delete a file from the TFTP root")
    .argument("<name>", "file name in the TFTP root")
    .action(async (file: string) => void await client.deleteFile(file));
  context.addChildren?.(command); // `storage`, as upstream's composite client
  return command;
}
