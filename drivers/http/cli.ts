/**
 * `j <name> start|stop|put FILE [--name N]|delete NAME|list|url`: the HTTP file server CLI.
 */
import { Command } from "commander";
import { basename } from "node:path";
import { type ProgressReporter, progressStream } from "@jumpstarter/lib/streams";
import type { HttpServerClient } from "./client.ts";

/** What the program hands to driver CLIs. */
export interface HttpCliContext {
  progress: ProgressReporter;
  /** Adds the commands of the driver's children (`storage`), as upstream's composite client. */
  addChildren?: (command: Command) => void;
}

/** Builds the HTTP server command group for `client`, named `name`. */
export function httpCli(client: HttpServerClient, name: string, context: HttpCliContext): Command {
  const described = (method: string, fallback: string) =>
    client.methodsDescription[method] ?? fallback;
  const command = new Command(name).description(client.description ?? "HTTP file server");
  command.command("start").description(described("start", "Start the HTTP server")).action(
    async () => {
      await client.start();
      console.log(await client.getUrl());
    },
  );
  command.command("stop").description(described("stop", "Stop the HTTP server")).action(
    async () => await client.stop(),
  );
  command.command("put")
    .description("Upload FILE to the served directory and print its URL")
    .argument("<file>", "local file to upload")
    .option("-n, --name <name>", "name under the served directory (default: the file's name)")
    .action(async (file: string, options: { name?: string }) => {
      const target = options.name ?? basename(file);
      const source = await Deno.open(file, { read: true });
      const { size } = await source.stat();
      const onProgress = context.progress(`Uploading ${target}`, size);
      const result = await client.putFile(
        target,
        source.readable.pipeThrough(progressStream({ total: size, onProgress })),
      );
      console.log(result.url);
    });
  command.command("delete")
    .description(described("delete_file", "Delete a file from the served directory"))
    .argument("<name>", "file name under the served directory")
    .action(async (file: string) => await client.deleteFile(file));
  command.command("list")
    .description(described("list_files", "List the served files"))
    .action(async () => {
      for (const file of await client.listFiles()) console.log(file);
    });
  command.command("url").description(described("get_url", "Print the base URL")).action(
    async () => console.log(await client.getUrl()),
  );
  context.addChildren?.(command);
  return command;
}
