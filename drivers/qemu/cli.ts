/**
 * `j <flasher> flash|dump`: the command-line interface of a FlasherInterface driver, with
 * transfer progress.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import {
  CONTENT_ENCODINGS,
  type ContentEncoding,
  type Progress,
  type ProgressReporter,
} from "@jumpstarter/lib/streams";
import type { FlasherClient } from "./client.ts";

/** What the program hands a driver CLI. */
export interface FlasherCliContext {
  progress: ProgressReporter;
}

/** A progress callback whose display starts at the first report, once the total is known. */
function lazyProgress(context: FlasherCliContext, label: string) {
  let report: ((progress: Progress) => void) | undefined;
  return (progress: Progress) => {
    report ??= context.progress(label, progress.total);
    report(progress);
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface FlashFlags {
  target: string[];
  compression?: ContentEncoding;
}

/**
 * What to flash: FILE to the default target, FILE to `--target NAME`, and/or any number of
 * `--target NAME:FILE` pairs.
 */
export function flashPlan(file: string | undefined, targets: string[]): [string | null, string][] {
  const pairs = targets.filter((target) => target.includes(":"));
  const names = targets.filter((target) => !target.includes(":"));
  if (names.length > 1) {
    throw new InvalidArgumentError(
      `only one --target NAME may go with FILE, got ${names.join(", ")}`,
    );
  }
  if (names.length === 1 && file === undefined) {
    throw new InvalidArgumentError(`--target ${names[0]} names a target but no FILE was given`);
  }
  const plan: [string | null, string][] = [];
  if (file !== undefined) plan.push([names[0] ?? null, file]);
  for (const pair of pairs) {
    const colon = pair.indexOf(":");
    const name = pair.slice(0, colon);
    const path = pair.slice(colon + 1);
    if (!name || !path) {
      throw new InvalidArgumentError(`expected --target NAME:FILE, got "${pair}"`);
    }
    plan.push([name, path]);
  }
  if (plan.length === 0) {
    throw new InvalidArgumentError("nothing to flash: give FILE or --target NAME:FILE");
  }
  return plan;
}

/** Builds the flasher command group for `client`, named `name`. */
export function flasherCli(
  client: FlasherClient,
  name: string,
  context: FlasherCliContext,
): Command {
  const command = new Command(name).description(client.description ?? "Flasher");
  command.command("flash")
    .description(client.methodsDescription.flash ?? "Write an image to a target")
    .argument("[file]", "image to write (a path or an http(s) URL)")
    .option(
      "-t, --target <target>",
      "target for FILE, or NAME:FILE to flash a target (repeatable)",
      collect,
      [],
    )
    .addOption(
      new Option("--compression <encoding>", "encoding of the images (default: detected)")
        .choices(CONTENT_ENCODINGS),
    )
    .action(async (file: string | undefined, flags: FlashFlags) => {
      for (const [target, path] of flashPlan(file, flags.target)) {
        await client.flash(path, {
          ...(target === null ? {} : { target }),
          ...(flags.compression === undefined ? {} : { encoding: flags.compression }),
          onProgress: lazyProgress(context, `Flashing ${path}${target ? ` to ${target}` : ""}`),
        });
      }
    });
  command.command("dump")
    .description(client.methodsDescription.dump ?? "Read a target into a file")
    .argument("<file>", "where to write the image")
    .option("-t, --target <name>", "target to read (default: the driver's)")
    .action(async (file: string, flags: { target?: string }) => {
      await client.dump(file, {
        ...(flags.target === undefined ? {} : { target: flags.target }),
        onProgress: lazyProgress(context, `Dumping ${flags.target ?? "default target"}`),
      });
    });
  return command;
}
