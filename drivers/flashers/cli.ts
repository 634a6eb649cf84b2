/**
 * `j <flasher> flash FILE ...`, `dump`, `bootloader-shell`, `busybox-shell`: upstream's
 * BaseFlasherClient commands (upstream's `--method fls` and its options are refused).
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { withExitCode } from "@jumpstarter/lib/client";
import { runConsole } from "@jumpstarter/driver-serial";
import type { ByteStream } from "@jumpstarter/lib/streams";
import type { BaseFlasherClient } from "./client.ts";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function headerMap(headers: string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const header of headers) {
    const colon = header.indexOf(":");
    if (colon <= 0) {
      throw new InvalidArgumentError(`expected --header 'Key: Value', got "${header}"`);
    }
    map[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
  }
  return map;
}

interface FlashFlags {
  target?: string;
  t: string[];
  osImageChecksum?: string;
  osImageChecksumFile?: string;
  forceExporterHttp?: boolean;
  forceFlashBundle?: string;
  cacert?: string;
  insecureTls?: boolean;
  header: string[];
  bearer?: string;
  retries: number;
  method: "shell" | "fls";
  powerOff: boolean;
  consoleDebug?: boolean;
}

async function interactive(stream: ByteStream, banner: string): Promise<void> {
  const terminal = Deno.stdin.isTerminal();
  await Deno.stdout.write(new TextEncoder().encode(banner));
  await runConsole(stream, {
    input: Deno.stdin.readable,
    output: Deno.stdout.writable,
    ...(terminal ? { setRaw: (raw: boolean) => Deno.stdin.setRaw(raw) } : {}),
  });
}

export function flasherCli(client: BaseFlasherClient, name: string): Command {
  const command = new Command(name).description(
    client.description ?? "Software-defined flasher interface",
  );
  const log = (message: string) => console.error(message);
  const debugOutput = (on?: boolean) => on ? { consoleOutput: Deno.stderr.writable } : {};
  command.command("flash")
    .description("Flash image(s) to DUT")
    .argument("[file]", "image file or http(s) URL")
    .option("--target <name>", "block device to flash to (e.g. usd, emmc); default: the default")
    .option("-t <partition:file>", "flash FILE to a partition label; repeatable", collect, [])
    .option("--os-image-checksum <sha256>", "SHA256 checksum of OS image (accepted, unused)")
    .option("--os-image-checksum-file <file>", "file with the SHA256 checksum (accepted, unused)")
    .option("--force-exporter-http", "serve an http(s) image from the exporter")
    .option("--force-flash-bundle <ref>", "use another flasher bundle")
    .option("--cacert <file>", "CA certificate the DUT trusts for https")
    .option("-k, --insecure-tls", "skip TLS certificate verification")
    .option("--header <header>", "HTTP header 'Key: Value'; repeatable", collect, [])
    .option("--bearer <token>", "bearer token for HTTP authentication")
    .option("--retries <n>", "retry attempts", (value) => Number(value), 3)
    .addOption(
      new Option("--method <method>", "how to write").choices(["shell", "fls"]).default("shell"),
    )
    .option("--power-off", "power off the DUT after flashing (default)", true)
    .option("--no-power-off", "leave the DUT powered on")
    .option("--console-debug", "copy the DUT's console to stderr")
    .action(withExitCode(async (file: string | undefined, flags: FlashFlags) => {
      const operations: [string, string | null, string | null][] = [];
      if (file) operations.push([file, null, flags.target ?? null]);
      for (const pair of flags.t) {
        const colon = pair.indexOf(":");
        if (colon <= 0 || colon === pair.length - 1) {
          throw new InvalidArgumentError(`expected -t partition:file, got "${pair}"`);
        }
        operations.push([pair.slice(colon + 1), pair.slice(0, colon), flags.target ?? null]);
      }
      if (operations.length === 0) throw new InvalidArgumentError("give FILE or -t partition:file");
      for (const [index, [image, partition, blockDevice]] of operations.entries()) {
        const result = await client.flash(image, {
          partition,
          blockDevice,
          forceExporterHttp: flags.forceExporterHttp ?? false,
          forceFlashBundle: flags.forceFlashBundle ?? null,
          cacertFile: flags.cacert ?? null,
          insecureTls: flags.insecureTls ?? false,
          headers: headerMap(flags.header),
          bearerToken: flags.bearer ?? null,
          retries: flags.retries,
          method: flags.method,
          powerOff: index === operations.length - 1 ? flags.powerOff : true,
          log,
          ...debugOutput(flags.consoleDebug),
        });
        log(`Flashed ${image} to ${result.device} in ${result.totalSeconds.toFixed(1)} s`);
      }
    }));
  command.command("dump")
    .description("Dump image from DUT (not implemented, as upstream)")
    .argument("<file>")
    .action(withExitCode(async (file: string) => await client.dump(file)));
  command.command("bootloader-shell")
    .description("Start a uboot/bootloader interactive console (exit with Ctrl-B three times)")
    .option("--console-debug", "copy the DUT's console to stderr")
    .action(withExitCode(async (flags: { consoleDebug?: boolean }) => {
      await client.bootloaderShell(
        (stream) => interactive(stream, "=> "),
        { log, ...debugOutput(flags.consoleDebug) },
      );
    }));
  command.command("busybox-shell")
    .description("Start a busybox shell (exit with Ctrl-B three times)")
    .option("--console-debug", "copy the DUT's console to stderr")
    .action(withExitCode(async (flags: { consoleDebug?: boolean }) => {
      await client.busyboxShell(
        (stream) => interactive(stream, "# "),
        { log, ...debugOutput(flags.consoleDebug) },
      );
    }));
  return command;
}
