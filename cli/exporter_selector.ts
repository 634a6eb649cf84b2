/**
 * Resolves `--exporter ALIAS | --exporter-config PATH` to a config file path.
 */
import { exporterConfigCandidates } from "@jumpstarter/lib/config";
import { UsageError } from "./errors.ts";

/** The exporter selector flags shared by `jmp shell` and `jmp run`. */
export interface ExporterSelector {
  exporterConfig?: string;
  exporter?: string;
}

/**
 * The config file the flags select, or undefined when neither flag is given.
 *
 * @throws {UsageError} when both are given or the alias names no file.
 */
export async function selectedExporterConfig(
  flags: ExporterSelector,
): Promise<string | undefined> {
  if (flags.exporterConfig && flags.exporter) {
    throw new UsageError("only one of --exporter, --exporter-config should be specified");
  }
  if (flags.exporterConfig) return flags.exporterConfig;
  if (!flags.exporter) return undefined;
  const candidates = exporterConfigCandidates(flags.exporter);
  for (const candidate of candidates) {
    try {
      await Deno.stat(candidate);
      return candidate;
    } catch { /* try the next location */ }
  }
  throw new UsageError(
    `no exporter config named "${flags.exporter}": looked in ${candidates.join(", ")}`,
  );
}
