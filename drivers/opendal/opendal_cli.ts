/**
 * `j <name> ...` for Opendal drivers, as upstream's click group: bytes on stdin/stdout, paths,
 * metadata and presigned requests as indented JSON.
 */
import { Command, Option } from "commander";
import { secondsArg, withExitCode } from "@jumpstarter/lib/client";
import type { OpendalClient } from "./opendal_client.ts";
import type { HashAlgo } from "./opendal_types.ts";

function json(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

async function readStdin(): Promise<Uint8Array> {
  return new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
}

async function writeStdout(data: Uint8Array): Promise<void> {
  const writer = Deno.stdout.writable.getWriter();
  try {
    await writer.write(data);
  } finally {
    writer.releaseLock();
  }
}

/** Builds the Opendal command group for `client`, named `name`. */
export function opendalCli(client: OpendalClient, name: string): Command {
  const command = new Command(name).description(client.description ?? "Opendal Storage");
  const described = (word: string, wire: string, fallback: string) =>
    command.command(word).description(client.methodsDescription[wire] ?? fallback);

  command.command("write-bytes").description("Write stdin into PATH")
    .argument("<path>").action(async (path: string) => {
      await client.writeBytes(path, await readStdin());
    });
  command.command("read-bytes").description("Write the content of PATH to stdout")
    .argument("<path>").action(async (path: string) => {
      await writeStdout(await client.readBytes(path));
    });
  command.command("write-from-path").description("Write the local file SRC into DST")
    .argument("<dst>").argument("<src>", "local path or http(s):// URL")
    .action(async (dst: string, src: string) => await client.writeFromPath(dst, src));
  command.command("read-into-path").description("Read SRC into the local file DST")
    .argument("<src>").argument("<dst>")
    .action(async (src: string, dst: string) => await client.readIntoPath(src, dst));
  described("stat", "stat", "Metadata of a path").argument("<path>")
    .action(async (path: string) => json(await client.stat(path)));
  described("hash", "hash", "Hash of a file's content").argument("<path>")
    .addOption(new Option("--algo <algo>").choices(["md5", "sha256"]))
    .action(async (path: string, flags: { algo?: HashAlgo }) => {
      console.log(await client.hash(path, flags.algo ?? "sha256"));
    });
  described("copy", "copy", "Copy source to target").argument("<source>").argument("<target>")
    .action(async (source: string, target: string) => await client.copy(source, target));
  described("rename", "rename", "Rename source to target").argument("<source>")
    .argument("<target>")
    .action(async (source: string, target: string) => await client.rename(source, target));
  described("remove-all", "remove_all", "Remove a path recursively").argument("<path>")
    .action(async (path: string) => await client.removeAll(path));
  described("create-dir", "create_dir", "Create a directory").argument("<path>")
    .action(async (path: string) => await client.createDir(path));
  described("delete", "delete", "Delete a path").argument("<path>")
    .action(async (path: string) => await client.delete(path));
  described("exists", "exists", "Whether a path exists (exit 1 if not)").argument("<path>")
    .action(withExitCode(async (path: string) => {
      if (await client.exists(path)) return 0;
      console.error(`Error: path ${path} does not exist`);
      return 1;
    }));
  described("list", "list", "List a directory").argument("<path>")
    .action(async (path: string) => {
      for await (const entry of client.list(path)) console.log(entry);
    });
  described("scan", "scan", "List a directory recursively").argument("<path>")
    .action(async (path: string) => {
      for await (const entry of client.scan(path)) console.log(entry);
    });
  const presign = [
    ["presign-stat", "presign_stat", (path: string, s: number) => client.presignStat(path, s)],
    ["presign-read", "presign_read", (path: string, s: number) => client.presignRead(path, s)],
    ["presign-write", "presign_write", (path: string, s: number) => client.presignWrite(path, s)],
  ] as const;
  for (const [word, wire, call] of presign) {
    described(word, wire, `Presign an operation on PATH`).argument("<path>")
      .requiredOption(
        "--expire-second <seconds>",
        "validity of the request",
        secondsArg("--expire-second", { whole: true }),
      )
      .action(async (path: string, flags: { expireSecond: number }) => {
        json(await call(path, flags.expireSecond));
      });
  }
  described("capability", "capability", "What the storage supports")
    .action(async () => json(await client.capability()));
  return command;
}
