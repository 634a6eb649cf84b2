/**
 * `j <probe> info | reset | erase | download FILE | read WIDTH ADDRESS WORDS`, worded and printed
 * as upstream's `ProbeRsClient.cli()`.
 */
import { Command, InvalidArgumentError } from "commander";
import type { ProbeRsClient, ReadWidth } from "./client.ts";

function parseWidth(text: string): ReadWidth {
  const width = Number(text);
  if (![8, 16, 32, 64].includes(width)) {
    throw new InvalidArgumentError(`expected 8, 16, 32 or 64, got "${text}"`);
  }
  return width as ReadWidth;
}

function parseAddress(text: string): bigint {
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(text)) {
    throw new InvalidArgumentError(`expected a decimal or 0x-prefixed address, got "${text}"`);
  }
  return BigInt(text);
}

function parseWords(text: string): number {
  const words = Number(text);
  if (!/^[0-9]+$/.test(text) || words <= 0) {
    throw new InvalidArgumentError(`expected a positive number of words, got "${text}"`);
  }
  return words;
}

/** Prints what probe-rs printed, as upstream's `print()` does. */
function printed(text: string): void {
  console.log(text);
}

/** Builds the probe-rs command group for `client`, named `name`. */
export function probeRsCli(client: ProbeRsClient, name: string): Command {
  const command = new Command(name).description(client.description ?? "probe-rs client");
  command.command("info").description("Get target information")
    .action(async () => printed(await client.info()));
  command.command("reset").description("Reset the target")
    .action(async () => printed(await client.reset()));
  command.command("erase").description("Erase the target, this is a slow operation.")
    .action(async () => printed(await client.erase()));
  command.command("download").description("Download a file to the target")
    .argument("<file>", "the file to download (ELF)")
    .action(async (file: string) => printed(await client.downloadFile(file)));
  command.command("read").description("read from target memory")
    .argument("<width>", "word width in bits: 8, 16, 32 or 64", parseWidth)
    .argument("<address>", "address, decimal or 0x-prefixed hex", parseAddress)
    .argument("<words>", "number of words", parseWords)
    .action(async (width: ReadWidth, address: bigint, words: number) => {
      const values = await client.read(width, address, words);
      console.log(values.map((value) => value.toString(16).padStart(width / 4, "0")).join(" "));
    });
  return command;
}
