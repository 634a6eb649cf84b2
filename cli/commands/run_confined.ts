/**
 * `jmp run` / `jmp-exporter` from source: serve again under exactly the grants the config and
 * the serving mode imply (see `@jumpstarter/lib/exporter`'s confinement), unless `--unconfined`.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import {
  type ExporterConfig,
  formatHostPort,
  loadExporterConfig,
  parseHostPort,
} from "@jumpstarter/lib/config";
import {
  CannotConfineError,
  confinementOf,
  runConfined,
  type ServeMode,
} from "@jumpstarter/lib/exporter";
import { DRIVER_PACKAGES } from "../driver_packages.ts";
import type { DriverPackage } from "@jumpstarter/lib/driver";
import { UsageError } from "../errors.ts";

/** The run flags that decide how the exporter serves. */
export interface ServeFlags {
  tlsGrpcListener?: string;
  tlsGrpcInsecure?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  passphraseFile?: string;
}

/** How an exporter with `config` and `flags` serves (direct, registered or local). */
export function serveModeOf(config: ExporterConfig, flags: ServeFlags): ServeMode {
  if (flags.tlsGrpcListener) {
    const listen = parseListenFlag(flags.tlsGrpcListener);
    const files = flags.tlsGrpcInsecure ? [] : [flags.tlsCert, flags.tlsKey];
    return {
      kind: "direct",
      listen: formatHostPort(listen),
      host: listen.host,
      files: [...files, flags.passphraseFile].filter((file) => file !== undefined),
    };
  }
  return config.endpoint && config.token ? { kind: "registered" } : { kind: "local" };
}

/** `--tls-grpc-listener`'s `[host:]port` (host 0.0.0.0 when left out). */
export function parseListenFlag(value: string): { host: string; port: number } {
  try {
    return parseHostPort(value, "0.0.0.0");
  } catch (error) {
    throw new UsageError(`--tls-grpc-listener: ${(error as Error).message}`);
  }
}

/** The deno.json this program runs with from source (beside `cli/`). */
const DENO_CONFIG = fileURLToPath(new URL("../../deno.json", import.meta.url));

/**
 * Serves `path` in a child started under its grants; resolves to the child's exit code. A config
 * with a driver type that declares no grants, or a Deno that cannot be started again (run under
 * user-mode emulation, say), is served unconfined (undefined), with a warning saying why.
 */
export async function serveConfined(
  path: string,
  flags: ServeFlags,
  packages: readonly DriverPackage[] = DRIVER_PACKAGES,
): Promise<number | undefined> {
  const config = await loadExporterConfig(path);
  const env = Deno.env.toObject();
  const confinement = confinementOf(config, packages, serveModeOf(config, flags), env);
  if (!confinement) {
    console.error(
      `Warning: serving "${path}" unconfined: a driver type declares no grants ` +
        "(see `jmp-exporter permissions CONFIG`)",
    );
    return undefined;
  }
  try {
    return await runConfined({ confinement, denoConfig: DENO_CONFIG });
  } catch (error) {
    if (!(error instanceof CannotConfineError)) throw error;
    console.error(`Warning: serving "${path}" unconfined: ${error.message}`);
    return undefined;
  }
}
