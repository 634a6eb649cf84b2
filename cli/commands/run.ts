/**
 * `jmp run (--exporter NAME | --exporter-config FILE)`: run an exporter in the foreground.
 * With an endpoint and token in the config it registers with the controller (distributed);
 * with `--tls-grpc-listener` it serves clients directly on TCP (direct mode); otherwise it serves
 * a local Unix socket (path printed). Exits 128+N on signal N.
 */
import { Command } from "commander";
import { ExporterStatus } from "@jumpstarter/protos";
import { formatHostPort, loadExporterConfig } from "@jumpstarter/lib/config";
import {
  buildDriverTree,
  exitWithParent,
  Exporter,
  isConfined,
  privateSocketPath,
  serveSession,
  serveSessionTcp,
  Session,
  shouldConfine,
  startLocalExporter,
  startStandaloneLease,
  surviveRefusals,
} from "@jumpstarter/lib/exporter";
import { readServerIdentity, serveTlsFront } from "@jumpstarter/lib/tunnel";
import { ExitCode, UsageError } from "../errors.ts";
import { log } from "../logging.ts";
import { RapidFailureGuard } from "../rapid_failures.ts";
import { isTransient } from "@jumpstarter/lib/client";
import { resolvePassphrase } from "../passphrase.ts";
import { type ExporterSelector, selectedExporterConfig } from "../exporter_selector.ts";
import { DRIVER_PACKAGES, driverRegistry } from "../driver_packages.ts";
import { type DriverPackage, type DriverRegistry, driverRegistryOf } from "@jumpstarter/lib/driver";
import { parseListenFlag, serveConfined } from "./run_confined.ts";

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;
type StopSignal = keyof typeof SIGNAL_NUMBERS;

interface RunFlags extends ExporterSelector {
  tlsGrpcListener?: string;
  tlsGrpcInsecure?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  passphrase?: string;
  passphraseFile?: string;
  exitOnLeaseEnd?: boolean;
  unconfined?: boolean;
}

/** The `run` command, serving the given driver packages (default: the shipped ones). */
export function runCommand(packages: readonly DriverPackage[] = DRIVER_PACKAGES): Command {
  const registry = packages === DRIVER_PACKAGES ? driverRegistry : driverRegistryOf(packages);
  return new Command("run")
    .description("Run an exporter in the foreground")
    .option("--exporter-config <path>", "exporter config file")
    .option("--exporter <alias>", "exporter config alias")
    .option("--tls-grpc-listener <[host:]port>", "direct mode: serve clients on TCP, no controller")
    .option("--tls-grpc-insecure", "direct mode: plaintext instead of TLS")
    .option("--tls-cert <pem>", "direct mode: TLS certificate")
    .option("--tls-key <pem>", "direct mode: TLS private key")
    .option("--passphrase <text>", "direct mode: clients must present this passphrase")
    .option(
      "--passphrase-file <path>",
      "direct mode: read the passphrase from this file (or set JMP_GRPC_PASSPHRASE)",
    )
    .option("--exit-on-lease-end", "exit once a lease has ended (also exitOnLeaseEnd: true)")
    .option(
      "--unconfined",
      "serve with this process's permissions, not only those the config implies",
    )
    .action(async (flags: RunFlags) => {
      const path = await selectedExporterConfig(flags);
      if (!path) throw new UsageError("one of --exporter, --exporter-config should be specified");
      if (!flags.unconfined && shouldConfine(Deno.env.toObject())) {
        const code = await serveConfined(path, flags, packages);
        if (code !== undefined) throw new ExitCode(code);
      }
      if (isConfined(Deno.env.toObject())) {
        surviveRefusals((message) => log("WARNING", message));
        exitWithParent(Deno.env.toObject());
      }
      const signal = waitForSignal();
      if (flags.tlsGrpcListener) await runDirect(path, flags, signal.promise, registry);
      else {
        const config = await loadExporterConfig(path);
        if (config.endpoint && config.token) {
          await runRegistered(path, signal, flags.exitOnLeaseEnd ?? false, registry);
        } else await runLocal(path, signal.promise, registry);
      }
      const received = await signal.promise;
      throw new ExitCode(128 + SIGNAL_NUMBERS[received]);
    });
}

async function runLocal(
  path: string,
  stop: Promise<StopSignal>,
  registry: DriverRegistry,
): Promise<void> {
  await using exporter = await startLocalExporter(path, { registry });
  console.log(exporter.address);
  console.error(
    `Serving "${path}" on ${exporter.address}; use JUMPSTARTER_HOST=${exporter.address} JMP_DRIVERS_ALLOW=UNSAFE j ...`,
  );
  console.error(`${await stop} received, shutting down`);
  await exporter.closeBeforeExit();
}

async function runRegistered(
  path: string,
  signal: { promise: Promise<StopSignal> },
  exitOnLeaseEnd: boolean,
  registry: DriverRegistry,
) {
  const loaded = await loadExporterConfig(path);
  const config = exitOnLeaseEnd ? { ...loaded, exitOnLeaseEnd } : loaded;
  const abort = new AbortController();
  signal.promise.then((name) => {
    console.error(`${name} received, shutting down`);
    abort.abort();
  });
  const guard = new RapidFailureGuard(config.failureDetection);
  let exporter: Exporter;
  while (true) {
    const started = Date.now();
    exporter = new Exporter(config, {
      registry,
      log: (message) => log("INFO", message),
    });
    try {
      await exporter.run(abort.signal);
      break;
    } catch (error) {
      // as upstream restarts a failed child: only what may heal (an unreachable controller)
      if (abort.signal.aborted || !isTransient(error)) throw error;
      console.error(`Exception while serving on the exporter: ${error.name}: ${error.message}`);
      if (guard.failed(Date.now() - started)) {
        console.error(guard.message());
        throw new ExitCode(1);
      }
    }
  }
  // a hook with onFailure: exit stopped it: exit with its code (1), which supervisors leave down
  if (exporter.exitCode !== undefined) throw new ExitCode(exporter.exitCode);
  // no signal stopped it: the lease ended and exitOnLeaseEnd asked to go
  if (!abort.signal.aborted) throw new ExitCode(0);
}

async function runDirect(
  path: string,
  flags: RunFlags,
  stop: Promise<StopSignal>,
  registry: DriverRegistry,
): Promise<void> {
  const listener = flags.tlsGrpcListener!;
  const listen = parseListenFlag(listener);
  const hostPort = formatHostPort(listen);
  if (!flags.tlsGrpcInsecure && !(flags.tlsCert && flags.tlsKey)) {
    throw new UsageError("direct mode needs --tls-grpc-insecure or both --tls-cert and --tls-key");
  }
  const passphrase = await resolvePassphrase(flags);
  // refuse an unusable certificate or key now, naming the file, not at a client's handshake
  const identity = flags.tlsGrpcInsecure
    ? undefined
    : await readServerIdentity(flags.tlsCert!, flags.tlsKey!);
  if (passphrase && flags.tlsGrpcInsecure) {
    console.error("Warning: the passphrase travels in plaintext without TLS");
  }
  const config = await loadExporterConfig(path);
  const session = new Session(await buildDriverTree(config, { registry }), {
    status: ExporterStatus.LEASE_READY,
    ...(config.motd === null ? {} : { motd: config.motd }),
  });
  await session.open();
  // upstream's standalone lease: beforeLease hook now, afterLease hook on the way out
  const lease = await startStandaloneLease(session, config, {
    log: (message) => console.error(message),
  });
  const options = passphrase ? { passphrase } : {};
  try {
    if (flags.tlsGrpcInsecure) {
      await using server = await serveSessionTcp(session, hostPort, options);
      console.log(server.address);
      console.error(`Serving "${path}" directly on ${server.address} (plaintext)`);
      console.error(`${await stop} received, shutting down`);
      return;
    }
    const socket = await privateSocketPath();
    // the fast path's TLS port (our clients only) beside the front, with the same identity
    const fastPathTls = { hostname: listen.host, cert: identity!.cert, key: identity!.key };
    await using server = await serveSession(session, socket.path, { ...options, fastPathTls });
    await using front = await serveTlsFront({
      hostname: listen.host,
      port: listen.port,
      cert: identity!.cert,
      key: identity!.key,
      target: server.address,
    });
    console.log(formatHostPort({ host: listen.host, port: front.port }));
    console.error(`Serving "${path}" directly on port ${front.port} (TLS)`);
    console.error(`${await stop} received, shutting down`);
    await Deno.remove(socket.dir, { recursive: true }).catch(() => {});
  } finally {
    await lease.close();
    await session.close();
  }
}

function waitForSignal(): { promise: Promise<StopSignal> } {
  const names = Object.keys(SIGNAL_NUMBERS) as StopSignal[];
  const promise = new Promise<StopSignal>((resolve) => {
    const listeners = names.map((name) => {
      const listener = () => {
        for (const [n, l] of listeners) Deno.removeSignalListener(n, l);
        resolve(name);
      };
      Deno.addSignalListener(name, listener);
      return [name, listener] as const;
    });
  });
  return { promise };
}
