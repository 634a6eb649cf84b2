/**
 * `j <name> flash|dump` for FlasherInterface drivers, as upstream's `FlasherClientInterface.cli`:
 * `flash FILE` or `flash -t name:file ...`, `dump FILE [--target T]`, each with `--compression`.
 */
import { basename } from "node:path";
import { Command, Option } from "commander";
import {
  CONTENT_ENCODINGS,
  type ContentEncoding,
  ENCODABLE,
  type Progress,
  type ProgressReporter,
} from "@jumpstarter/lib/streams";
import type { FlasherClient } from "./flasher_client.ts";

/** What the program hands a driver CLI. */
export interface FlasherCliContext {
  progress: ProgressReporter;
}

/** `name:file` pairs as a target map; a spec without `:` is refused with its text. */
export function targetMap(specs: readonly string[]): Record<string, string> {
  const mapping: Record<string, string> = {};
  for (const spec of specs) {
    const colon = spec.indexOf(":");
    if (colon < 0) throw new Error(`Invalid target spec '${spec}', expected name:file`);
    mapping[spec.slice(0, colon)] = spec.slice(colon + 1);
  }
  return mapping;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Builds the flasher command group for `client`, named `name`. */
export function flasherCli(
  client: FlasherClient,
  name: string,
  context: FlasherCliContext,
): Command {
  const command = new Command(name).description(client.description ?? "Generic flasher interface");
  command.command("flash").description(client.methodsDescription.flash ?? "Flash image to DUT")
    .argument("[file]", "local path or http(s):// URL of the image")
    .option("-t, --target <name:file>", "flash FILE into target NAME (repeatable)", collect)
    .addOption(
      new Option("--compression <encoding>", "how the image is compressed").choices(
        CONTENT_ENCODINGS,
      ),
    )
    .action(
      async (
        file: string | undefined,
        flags: { target?: string[]; compression?: ContentEncoding },
      ) => {
        const reporters = new Map<string, ReturnType<ProgressReporter>>();
        const options = {
          ...(flags.compression === undefined ? {} : { compression: flags.compression }),
          onProgress: (progress: Progress, image: string) => {
            let report = reporters.get(image);
            if (!report) {
              report = context.progress(`Flashing ${basename(image)}`, progress.total);
              reporters.set(image, report);
            }
            report(progress);
          },
        };
        if (flags.target && flags.target.length > 0) {
          await client.flash(targetMap(flags.target), options);
          return;
        }
        if (file === undefined) {
          throw new Error("FILE argument is required unless --target/-t is used");
        }
        await client.flash(file, options);
      },
    );
  command.command("dump").description(client.methodsDescription.dump ?? "Dump image from DUT")
    .argument("<file>", "where to save the image")
    .option("--target <target>", "the partition to dump")
    .addOption(
      new Option("--compression <encoding>", "have the exporter compress the image").choices(
        ENCODABLE,
      ),
    )
    .action(async (file: string, flags: { target?: string; compression?: ContentEncoding }) => {
      await client.dump(file, {
        ...(flags.target === undefined ? {} : { target: flags.target }),
        ...(flags.compression === undefined ? {} : { compression: flags.compression }),
      });
    });
  return command;
}
