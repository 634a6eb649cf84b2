/**
 * `jmp shell [-- COMMAND...]` in its three modes (spec/cli.md 3.1):
 * local (`--exporter-config`/`--exporter`: drivers in-process on a private socket), lease
 * (a client config: lease by selector through the controller, tunnelled socket) and direct
 * (`--tls-grpc HOST:PORT` to `jmp run --tls-grpc-listener`). The shell or command gets
 * `JUMPSTARTER_HOST` and a `j` on PATH; its exit code becomes jmp's.
 */
import { Command } from "commander";
import { type LogSubscription, startLocalExporter } from "@jumpstarter/lib/exporter";
import {
  bareName,
  createLease,
  type ExporterHandle,
  getLease,
  isTransient,
  openExporter,
  openLeaseSocket,
  policyToEnv,
  queueInfo,
  releaseLease,
  UNSAFE_POLICY,
  waitForLease,
} from "@jumpstarter/lib/client";
import {
  addClientSelectorOptions,
  type ClientSelector,
  resolveClientConfig,
} from "../config_selection.ts";
import { connectAsClient } from "../controller_session.ts";
import { formatDuration, parseDuration } from "../duration.ts";
import { ExitCode, UsageError } from "../errors.ts";
import { resolvePassphrase } from "../passphrase.ts";
import { readCaBundle } from "@jumpstarter/lib/tunnel";
import { JumpstarterError } from "@jumpstarter/lib/wire";
import { type ExporterSelector, selectedExporterConfig } from "../exporter_selector.ts";
import { writeLaunchers } from "../j_launcher.ts";
import { runInShell } from "../spawn_shell.ts";
import {
  exporterLabels,
  fetchMotd,
  shellTimeouts,
  soleActiveLease,
  type TimeoutFlags,
} from "../shell_lease.ts";
import { clientRegistry, driverRegistry } from "../driver_packages.ts";

interface ShellFlags extends ExporterSelector, ClientSelector, TimeoutFlags {
  exporterLogs?: boolean;
  selector: string[];
  name?: string;
  lease?: string;
  duration: string;
  tlsGrpc?: string;
  tlsGrpcInsecure?: boolean;
  passphrase?: string;
  passphraseFile?: string;
  tlsGrpcCa?: string;
}

export function shellCommand(): Command {
  return addClientSelectorOptions(
    new Command("shell")
      .aliases(["sh", "s"])
      .description("Spawn a shell (or run COMMAND) with access to an exporter's drivers"),
  )
    .option("--exporter-config <path>", "serve this exporter config locally (no controller)")
    .option("--exporter <alias>", "serve the exporter config with this alias locally")
    .option(
      "-l, --selector <selector>",
      "lease an exporter matching this label selector (repeatable)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option("-n, --name <exporter>", "lease this exporter")
    .option("--lease <name>", "use this existing lease (default $JMP_LEASE); it is kept on exit")
    .option("--duration <duration>", "lease duration", "00:30:00")
    .option("--exporter-logs", "print the exporter's log records while the session runs")
    .option("--acquisition-timeout <duration>", "how long to wait for the lease (>= 5 s)")
    .option("--dial-timeout <duration>", "how long to retry reaching a not-ready exporter (>= 5 s)")
    .option("--retry-timeout <duration>", "how long to retry an unreachable controller")
    .option("--tls-grpc <host:port>", "connect straight to `jmp run --tls-grpc-listener`")
    .option("--tls-grpc-insecure", "with --tls-grpc: plaintext instead of TLS")
    .option("--passphrase <text>", "with --tls-grpc: the exporter's passphrase")
    .option(
      "--passphrase-file <path>",
      "with --tls-grpc: read the passphrase from this file (or set JMP_GRPC_PASSPHRASE)",
    )
    .option("--tls-grpc-ca <pem>", "with --tls-grpc: trust this CA (our extension; JMP_GRPC_CA)")
    .argument("[command...]", "command to run instead of a shell (put it after --)")
    .action(async (command: string[], flags: ShellFlags) => {
      const local = await selectedExporterConfig(flags);
      const clientSelectors = (flags.client ? 1 : 0) + (flags.clientConfig ? 1 : 0);
      if (local && (clientSelectors || flags.tlsGrpc)) {
        throw new UsageError(
          "only one of --client, --client-config, --exporter, --exporter-config, --tls-grpc should be specified",
        );
      }
      const code = local
        ? await localShell(local, command, flags)
        : flags.tlsGrpc
        ? await directShell(flags.tlsGrpc, command, flags)
        : await leaseShell(command, flags);
      throw new ExitCode(code);
    });
}

async function withLaunchers(dir: string): Promise<string> {
  const bin = await writeLaunchers(`${dir}/bin`);
  return `${bin}:${Deno.env.get("PATH") ?? ""}`;
}

async function localShell(path: string, command: string[], flags: ShellFlags): Promise<number> {
  await using exporter = await startLocalExporter(path, { registry: driverRegistry });
  const logs = flags.exporterLogs ? printLogs(exporter.session.logs.subscribe()) : undefined;
  if (command.length === 0) await printMotd(await fetchMotd(exporter.address));
  const code = await runInShell(command, {
    context: "local",
    env: {
      JUMPSTARTER_HOST: exporter.address,
      JMP_DRIVERS_ALLOW: "UNSAFE",
      PATH: await withLaunchers(exporter.dir),
    },
  });
  await logs?.stop();
  return code;
}

async function directShell(address: string, command: string[], flags: ShellFlags): Promise<number> {
  const passphrase = await resolvePassphrase(flags);
  // fail early, with a clear message, on a wrong address, CA file or passphrase
  const probe = await openExporter(address, {
    policy: UNSAFE_POLICY,
    registry: clientRegistry,
    ...(flags.tlsGrpcInsecure ? { insecure: true } : {}),
    ...(passphrase ? { passphrase } : {}),
    ...(flags.tlsGrpcCa ? { ca: await readCaBundle(flags.tlsGrpcCa) } : {}),
  });
  const motd = command.length === 0
    ? await probe.connection.exporter.getReport({}).then((r) => r.motd, () => "")
    : "";
  // the probe's connection carries the exporter's logs, when asked for
  const logs = flags.exporterLogs ? streamLogs(probe) : undefined;
  if (!logs) probe.close();
  await printMotd(motd);
  const dir = await Deno.makeTempDir({ prefix: "jumpstarter-" });
  try {
    return await runInShell(command, {
      context: address,
      env: {
        JUMPSTARTER_HOST: address,
        JMP_DRIVERS_ALLOW: "UNSAFE",
        ...(flags.tlsGrpcInsecure ? { JMP_GRPC_INSECURE: "1" } : {}),
        ...(passphrase ? { JMP_GRPC_PASSPHRASE: passphrase } : {}),
        ...(flags.tlsGrpcCa ? { JMP_GRPC_CA: flags.tlsGrpcCa } : {}),
        PATH: await withLaunchers(dir),
      },
    });
  } finally {
    logs?.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Shows the wait for a lease on stderr: one line, rewritten on a terminal. */
function waitReporter(name: string) {
  const tty = Deno.stderr.isTerminal();
  let last = "";
  return {
    update(text: string) {
      const line = `Waiting for lease ${name}: ${text}`;
      if (line === last) return;
      last = line;
      if (tty) Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[2K${line}`));
      else console.error(line);
    },
    done() {
      if (tty && last) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[2K"));
    },
  };
}

async function leaseShell(command: string[], flags: ShellFlags): Promise<number> {
  const config = await resolveClientConfig(flags, {
    otherSelectors: ["--exporter", "--exporter-config", "--tls-grpc"],
  }).catch((error) => {
    // nothing selects a mode at all: a usage error, worded as upstream HEAD words it
    if (error instanceof JumpstarterError && error.message.startsWith("none of")) {
      throw new UsageError(
        "Specify one of: --client / --client-config, --exporter / --exporter-config, or --tls-grpc HOST:PORT",
      );
    }
    throw error;
  });
  using connection = await connectAsClient(config);
  const timeouts = shellTimeouts(flags, config);
  const selector = flags.selector.join(",");
  let leaseName = flags.lease ?? Deno.env.get("JMP_LEASE");
  // without a selector, the user's single active lease (kept on exit, as an explicit --lease)
  if (!leaseName && !selector && !flags.name) leaseName = await soleActiveLease(connection);
  const created = leaseName === undefined;
  if (!leaseName) {
    const lease = await createLease(connection, {
      durationMs: parseDuration(flags.duration),
      ...(selector ? { selector } : {}),
      ...(flags.name ? { exporterName: flags.name } : {}),
    });
    leaseName = bareName(lease.name);
  }
  const name = leaseName;
  // a signal while waiting or running releases the lease this run created
  const abort = new AbortController();
  const onSignal = () => abort.abort(new ExitCode(2));
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const dir = await Deno.makeTempDir({ prefix: "jumpstarter-" });
  try {
    const reporter = waitReporter(name);
    const lease = await waitForLease(connection, name, {
      timeoutMs: timeouts.acquisitionMs,
      pollMs: 1000,
      signal: abort.signal,
      retryTimeoutMs: timeouts.retryMs,
      ownedByWaiter: created,
      onRetry: (error, retryInMs) =>
        reporter.update(
          `controller unreachable (${error.message}), retrying in ${formatDuration(retryInMs)}`,
        ),
      onWaiting: (pending) => {
        const { position, estimatedWaitSeconds } = queueInfo(pending);
        const reason = pending.conditions.find((c) => c.type === "Pending")?.message ?? "pending";
        reporter.update(
          position === undefined
            ? reason
            : `position ${position} in the queue${
              estimatedWaitSeconds === undefined
                ? ""
                : `, estimated wait ${formatDuration(estimatedWaitSeconds * 1000)}`
            }`,
        );
      },
    }).finally(() => reporter.done());
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    const exporter = lease.exporter ? bareName(lease.exporter) : "remote";
    console.error(`Lease ${name} acquired: exporter ${exporter}`);
    await using socket = openLeaseSocket(connection, name, {
      path: `${dir}/socket`,
      dialTimeoutMs: timeouts.dialMs,
      // the controller's reason, which `j` itself only sees as a dropped connection
      onError: (error) =>
        console.error(
          `Error: cannot connect to the exporter: ${
            error instanceof Error ? error.message : error
          }`,
        ),
    });
    const monitor = watchLeaseEnd(connection, name, () => socket.endTunnels());
    const logs = flags.exporterLogs ? await remoteLogs(socket.path) : undefined;
    const labels = lease.exporter ? await exporterLabels(connection, exporter) : "";
    // as upstream: the MOTD greets an interactive shell, not a command
    if (command.length === 0) await printMotd(await fetchMotd(socket.path));
    try {
      return await runInShell(command, {
        context: exporter,
        useProfiles: config.shell.use_profiles,
        env: {
          JUMPSTARTER_HOST: socket.path,
          JMP_DRIVERS_ALLOW: policyToEnv(config.drivers),
          JMP_LEASE: name,
          JMP_EXPORTER: exporter,
          ...(labels ? { JMP_EXPORTER_LABELS: labels } : {}),
          _JMP_SUPPRESS_DRIVER_WARNINGS: "1",
          PATH: await withLaunchers(dir),
        },
      });
    } finally {
      monitor.stop();
      logs?.stop();
    }
  } catch (error) {
    if (abort.signal.aborted) throw abort.signal.reason;
    throw error;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    if (created) {
      await releaseLease(connection, name).then(
        () => console.error(`Releasing lease ${name}`),
        (error) => {
          if (isTransient(error)) {
            console.error(`Warning: cannot release lease ${name}: ${error.message}`);
          }
        },
      );
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Prints the exporter's LogStream (through the tunnel) until stopped. */
async function remoteLogs(socketPath: string): Promise<{ stop(): void }> {
  return streamLogs(
    await openExporter(socketPath, { policy: UNSAFE_POLICY, registry: clientRegistry }),
  );
}

/** Prints the LogStream of an open exporter connection until stopped; stopping closes it. */
function streamLogs(handle: ExporterHandle): { stop(): void } {
  const abort = new AbortController();
  (async () => {
    for await (const record of handle.connection.exporter.logStream({}, { signal: abort.signal })) {
      console.error(`${record.severity} ${record.message}`);
    }
  })().catch(() => {/* ends with the session */});
  return {
    stop: () => {
      abort.abort();
      handle.close();
    },
  };
}

/**
 * Polls the lease and, when it ends while the shell still runs, warns and calls `onEnd` (which
 * ends the tunnels still open: one Dialled just before the end would wait at the router forever).
 */
function watchLeaseEnd(
  connection: Parameters<typeof getLease>[0],
  name: string,
  onEnd: () => void,
) {
  const timer = setInterval(async () => {
    try {
      const lease = await getLease(connection, name);
      if (lease.conditions.some((c) => c.type === "Ready" && c.status === "False")) {
        console.error(`Lease ${name} ended`);
        clearInterval(timer);
        onEnd();
      }
    } catch { /* transient: try again later */ }
  }, 30_000);
  return { stop: () => clearInterval(timer) };
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

async function printMotd(motd: string): Promise<void> {
  if (motd) await Deno.stdout.write(new TextEncoder().encode(`${motd}\n`));
}
