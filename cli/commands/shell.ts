/**
 * `jmp shell --exporter-config FILE [-- COMMAND...]`: local mode. The exporter runs in-process on
 * a private socket; the shell or command gets `JUMPSTARTER_HOST` and can use `j`.
 */
import { Command } from "commander";
import { ExitCode, UsageError } from "../errors.ts";
import { type ExporterSelector, selectedExporterConfig } from "../exporter_selector.ts";
import { writeLaunchers } from "../j_launcher.ts";
import { type LogSubscription, startLocalExporter } from "@jumpstarter/lib/exporter";
import { runInShell } from "../spawn_shell.ts";

export function shellCommand(): Command {
  return new Command("shell")
    .alias("sh")
    .description("Spawn a shell (or run COMMAND) with access to an exporter's drivers")
    .option("--exporter-config <path>", "serve this exporter config locally (no controller)")
    .option("--exporter <alias>", "serve the exporter config with this alias locally")
    .option("--exporter-logs", "print the exporter's log records while the session runs")
    .argument("[command...]", "command to run instead of a shell (put it after --)")
    .action(async (command: string[], flags: ExporterSelector & { exporterLogs?: boolean }) => {
      const path = await selectedExporterConfig(flags);
      if (!path) {
        throw new UsageError(
          "specify one of --exporter-config FILE or --exporter ALIAS (lease mode needs a controller, which this version does not have yet)",
        );
      }
      await using exporter = await startLocalExporter(path);
      const bin = await writeLaunchers(`${exporter.dir}/bin`);
      const logs = flags.exporterLogs ? printLogs(exporter.session.logs.subscribe()) : undefined;
      const code = await runInShell(command, {
        context: "local",
        env: {
          JUMPSTARTER_HOST: exporter.address,
          JMP_DRIVERS_ALLOW: "UNSAFE",
          PATH: `${bin}:${Deno.env.get("PATH") ?? ""}`,
        },
      });
      await logs?.stop();
      throw new ExitCode(code);
    });
}

function printLogs(subscription: LogSubscription): { stop(): Promise<void> } {
  const done = (async () => {
    for await (const record of subscription) {
      console.error(
        `${record.timestamp.toISOString()} ${record.severity} ${record.source}: ${record.message}`,
      );
    }
  })();
  return {
    stop: async () => {
      subscription.close();
      await done;
    },
  };
}
