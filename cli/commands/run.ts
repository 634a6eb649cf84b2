/**
 * `jmp run --exporter-config FILE`: serve an exporter in the foreground on a Unix socket.
 */
import { Command } from "commander";
import { ExitCode, UsageError } from "../errors.ts";
import { type ExporterSelector, selectedExporterConfig } from "../exporter_selector.ts";
import { startLocalExporter } from "@jumpstarter/lib/exporter";

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;

export function runCommand(): Command {
  return new Command("run")
    .description("Run an exporter in the foreground, serving its drivers on a local socket")
    .option("--exporter-config <path>", "exporter config file")
    .option("--exporter <alias>", "exporter config alias")
    .action(async (flags: ExporterSelector) => {
      const path = await selectedExporterConfig(flags);
      if (!path) throw new UsageError("one of --exporter, --exporter-config should be specified");
      await using exporter = await startLocalExporter(path);
      console.log(exporter.address);
      console.error(
        `Serving "${path}" on ${exporter.address}; use JUMPSTARTER_HOST=${exporter.address} j ...`,
      );
      const signal = await waitForSignal(Object.keys(SIGNAL_NUMBERS) as Deno.Signal[]);
      console.error(`${signal} received, shutting down`);
      await exporter.closeBeforeExit();
      throw new ExitCode(128 + SIGNAL_NUMBERS[signal as keyof typeof SIGNAL_NUMBERS]);
    });
}

function waitForSignal(signals: Deno.Signal[]): Promise<Deno.Signal> {
  return new Promise((resolve) => {
    const listeners = signals.map((signal) => {
      const listener = () => {
        for (const [s, l] of listeners) Deno.removeSignalListener(s, l);
        resolve(signal);
      };
      Deno.addSignalListener(signal, listener);
      return [signal, listener] as const;
    });
  });
}
