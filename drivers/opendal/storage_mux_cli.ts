/**
 * `j <name> host|dut|off|write-local-file` for storage muxes, plus `flash` and `dump` for
 * StorageMuxFlasher drivers (as upstream's click groups), with transfer progress.
 */
import { basename } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import {
  CONTENT_ENCODINGS,
  type ContentEncoding,
  ENCODABLE,
  type Progress,
  type ProgressReporter,
} from "@jumpstarter/lib/streams";
import type {
  StorageMuxClient,
  StorageMuxFlasherClient,
  WriteOptions,
} from "./storage_mux_client.ts";
import { sha256HexSchema } from "./storage_mux_interface.ts";
import type { WriteResult } from "./storage_mux_types.ts";

/** What the program hands a driver CLI. */
export interface StorageMuxCliContext {
  progress: ProgressReporter;
  /** Confirms what a command did; the program shows it on a terminal only. */
  confirm?: (message: string) => void;
}

interface WriteFlags {
  sha256?: string;
  verify?: boolean;
  compression?: ContentEncoding;
}

function sha256(text: string): string {
  const parsed = sha256HexSchema.safeParse(text);
  if (!parsed.success) {
    throw new InvalidArgumentError(`expected 64 hexadecimal digits (a SHA-256), got "${text}"`);
  }
  return parsed.data.toLowerCase();
}

/** A progress callback whose display starts at the first report, once the total is known. */
function lazyProgress(context: StorageMuxCliContext, label: string) {
  let report: ((progress: Progress) => void) | undefined;
  return (progress: Progress) => {
    report ??= context.progress(label, progress.total);
    report(progress);
  };
}

function writeOptions(flags: WriteFlags, context: StorageMuxCliContext, label: string) {
  const options: WriteOptions = { onProgress: lazyProgress(context, label) };
  if (flags.sha256 !== undefined) options.sha256 = flags.sha256;
  if (flags.verify) options.verify = true;
  if (flags.compression !== undefined) options.encoding = flags.compression;
  return options;
}

function printResult(result: WriteResult | null, verified: boolean): void {
  if (result === null) return;
  console.log(
    `${result.size} bytes written, sha256 ${result.sha256}${verified ? " (verified)" : ""}`,
  );
}

function compressionOption(
  description: string,
  choices: readonly ContentEncoding[] = CONTENT_ENCODINGS,
): Option {
  return new Option("--compression <encoding>", description).choices(choices);
}

function withWriteFlags(command: Command): Command {
  return command
    .option(
      "--sha256 <hex>",
      "SHA-256 of the decompressed image; refuse to write on mismatch",
      sha256,
    )
    .option("--verify", "read the storage back and compare")
    .addOption(compressionOption("encoding of the image (default: from its name or first bytes)"));
}

function addStorageMuxCommands(
  command: Command,
  client: StorageMuxClient,
  context: StorageMuxCliContext,
): void {
  const described = (name: string, fallback: string) =>
    command.command(name).description(client.methodsDescription[name] ?? fallback);
  const confirm = context.confirm ?? (() => {});
  const name = command.name();
  described("host", "Connect storage to host").action(async () => {
    await client.host();
    confirm(`${name}: storage connected to the host`);
  });
  described("dut", "Connect storage to dut").action(async () => {
    await client.dut();
    confirm(`${name}: storage connected to the DUT`);
  });
  described("off", "Disconnect storage").action(async () => {
    await client.off();
    confirm(`${name}: storage disconnected`);
  });
  withWriteFlags(
    command.command("write-local-file")
      .description("Write a local file to the storage device")
      .argument("<file>", "image to write (compressed images are decompressed on the exporter)"),
  ).action(async (file: string, flags: WriteFlags) => {
    const options = writeOptions(flags, context, `Writing ${basename(file)}`);
    printResult(await client.writeLocalFile(file, options), options.verify === true);
  });
}

/** Builds the storage mux command group for `client`, named `name`. */
export function storageMuxCli(
  client: StorageMuxClient,
  name: string,
  context: StorageMuxCliContext,
): Command {
  const command = new Command(name).description(client.description ?? "Storage multiplexer");
  addStorageMuxCommands(command, client, context);
  return command;
}

/** Builds the command group of a StorageMuxFlasher client: `flash`, `dump` and the mux commands. */
export function storageMuxFlasherCli(
  client: StorageMuxFlasherClient,
  name: string,
  context: StorageMuxCliContext,
): Command {
  const command = new Command(name).description(client.description ?? "Storage multiplexer");
  withWriteFlags(
    command.command("flash")
      .description("Flash an image to the DUT's storage: switch to host, write, switch to dut")
      .argument("<file>", "local path or http(s):// URL of the image")
      .option("--exporter-fetch", "let the exporter download an http(s):// image itself"),
  ).action(async (file: string, flags: WriteFlags & { exporterFetch?: boolean }) => {
    const options = writeOptions(flags, context, `Flashing ${basename(file)}`);
    if (flags.exporterFetch) options.exporterFetch = true;
    printResult(await client.flash(file, options), options.verify === true);
  });
  command.command("dump")
    .description("Dump the DUT's storage to a file: switch to host, read, switch to dut")
    .argument("<file>", "where to save the image")
    .addOption(compressionOption("have the exporter compress the image", ENCODABLE))
    .action(async (file: string, flags: { compression?: ContentEncoding }) => {
      await client.dump(file, {
        onProgress: lazyProgress(context, `Dumping to ${basename(file)}`),
        ...(flags.compression === undefined ? {} : { encoding: flags.compression }),
      });
    });
  addStorageMuxCommands(command, client, context);
  return command;
}
