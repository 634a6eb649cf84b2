/**
 * What `jmp shell` in lease mode decides before the shell starts, as upstream HEAD does: its
 * timeouts (flag, then `JMP_*` variable, then the client config), the lease to use when no
 * selector is given (the user's single active one), and the exporter's labels and MOTD.
 */
import {
  bareName,
  controllerCall,
  type ControllerConnection,
  type Lease,
  listLeases,
  openExporter,
  UNSAFE_POLICY,
} from "@jumpstarter/lib/client";
import type { ClientConfig } from "@jumpstarter/lib/config";
import { parseDuration } from "./duration.ts";
import { UsageError } from "./errors.ts";
import { prompt } from "./prompt.ts";
import { clientRegistry } from "./driver_packages.ts";

/** The timeout flags of `jmp shell`. */
export interface TimeoutFlags {
  acquisitionTimeout?: string;
  dialTimeout?: string;
  retryTimeout?: string;
}

/** Resolved timeouts, in milliseconds. */
export interface ShellTimeouts {
  acquisitionMs: number;
  dialMs: number;
  retryMs: number;
}

/** A timeout value: integer seconds or any duration form; at least `minSeconds`. */
function parseTimeout(text: string, flag: string, minSeconds: number): number {
  const ms = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) * 1000 : (() => {
    try {
      return parseDuration(text);
    } catch {
      throw new UsageError(`Invalid value for '${flag}': '${text}' is not a valid duration`);
    }
  })();
  if (ms < minSeconds * 1000) {
    throw new UsageError(
      `Invalid value for '${flag}': '${text}' is less than the minimum of ${minSeconds} seconds`,
    );
  }
  return ms;
}

/** The timeouts in force: the flag, else its `JMP_*` variable (dial, retry), else the config. */
export function shellTimeouts(flags: TimeoutFlags, config: ClientConfig): ShellTimeouts {
  const acquisition = flags.acquisitionTimeout;
  const dial = flags.dialTimeout ?? Deno.env.get("JMP_DIAL_TIMEOUT");
  const retry = flags.retryTimeout ?? Deno.env.get("JMP_RETRY_TIMEOUT");
  return {
    acquisitionMs: acquisition === undefined
      ? config.leases.acquisition_timeout * 1000
      : parseTimeout(acquisition, "--acquisition-timeout", 5),
    dialMs: dial === undefined
      ? config.leases.dial_timeout * 1000
      : parseTimeout(dial, "--dial-timeout", 5),
    retryMs: retry === undefined
      ? config.leases.retry_timeout * 1000
      : parseTimeout(retry, "--retry-timeout", 0),
  };
}

function describeLease(lease: Lease): string {
  const parts = [
    ...(lease.exporter ? [`exporter=${bareName(lease.exporter)}`] : []),
    ...(lease.selector ? [`selector=${lease.selector}`] : []),
  ];
  return parts.length > 0 ? `${bareName(lease.name)} (${parts.join(", ")})` : bareName(lease.name);
}

/**
 * The user's single active lease, for `jmp shell` without a selector; with several, the one the
 * user picks on a terminal.
 *
 * @throws {UsageError} when there is none, or several and no terminal to ask on (naming them).
 */
export async function soleActiveLease(connection: ControllerConnection): Promise<string> {
  const leases = await listLeases(connection);
  if (leases.length === 0) {
    throw new UsageError(
      "no active leases found. Use --selector/-l or --name/-n to create one, " +
        "or create a lease with 'jmp create lease'.",
    );
  }
  if (leases.length > 1 && Deno.stdin.isTerminal()) return await chooseLease(leases);
  if (leases.length > 1) {
    throw new UsageError(
      `multiple active leases found:\n  ${leases.map(describeLease).join("\n  ")}\n` +
        "Use --lease to specify one.",
    );
  }
  return bareName(leases[0]!.name);
}

/** Lists the leases and asks which one, as upstream does on a terminal. */
async function chooseLease(leases: Lease[]): Promise<string> {
  console.log("Multiple active leases found:\n");
  leases.forEach((lease, index) => console.log(`  ${index + 1}) ${describeLease(lease)}`));
  console.log();
  for (;;) {
    const answer = await prompt(`Select a lease [1-${leases.length}]`);
    const choice = Number(answer);
    if (Number.isInteger(choice) && choice >= 1 && choice <= leases.length) {
      return bareName(leases[choice - 1]!.name);
    }
    console.error(`Error: '${answer}' is not in the range 1<=x<=${leases.length}.`);
  }
}

/** `k=v,...` of the leased exporter's labels, sorted (upstream's `JMP_EXPORTER_LABELS`). */
export async function exporterLabels(
  connection: ControllerConnection,
  exporter: string,
): Promise<string> {
  const { labels } = await controllerCall(() =>
    connection.clients.getExporter({
      name: `namespaces/${connection.identity.namespace}/exporters/${exporter}`,
    })
  );
  return Object.entries(labels).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    .map(([k, v]) => `${k}=${v}`).join(",");
}

/** The exporter's message of the day (its GetReport), or "" when it has none or is silent. */
export async function fetchMotd(socketPath: string): Promise<string> {
  try {
    const handle = await openExporter(socketPath, {
      policy: UNSAFE_POLICY,
      registry: clientRegistry,
    });
    try {
      return (await handle.connection.exporter.getReport({})).motd;
    } finally {
      handle.close();
    }
  } catch {
    return ""; // as upstream: a missing MOTD never stops the shell
  }
}
