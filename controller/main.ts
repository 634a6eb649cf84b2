/**
 * `jmp-controller`: the controller, router and admin API in one process with an embedded store.
 *
 * @module
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { parseGrpcTarget, parseHostPort } from "@jumpstarter/lib/config";
import { stringify } from "yaml";
import { startController } from "./server.ts";
import { startRouter } from "./router_server.ts";
import { loadAuthConfig } from "./oidc_config.ts";
import { PolicyFile } from "./scheduler/mod.ts";
import {
  exportState,
  fileStoreDir,
  importState,
  openStore,
  parseEtcdUrl,
  parseExport,
  StoreError,
} from "./store/mod.ts";

function defaultStateDir(what = "controller"): string {
  const base = Deno.env.get("XDG_STATE_HOME") || `${Deno.env.get("HOME") ?? "."}/.local/state`;
  return `${base}/jumpstarter/${what}`;
}

const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;

interface ServeFlags {
  stateDir: string;
  listen: string;
  advertise?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsHost: string[];
  insecurePlaintext?: boolean;
  metricsAddress?: string;
}

interface Flags extends ServeFlags {
  store?: string;
  configEndpoint?: string;
  accessPolicy?: string;
  authConfig?: string;
}

/** Writes the admin config `jmp admin` reads: endpoint, admin token, CA. */
async function writeAdminConfig(path: string, endpoint: string, token: string, ca: string) {
  const text = stringify({ endpoint, token, tls: { ca, insecure: false } });
  await Deno.writeTextFile(`${path}.tmp`, text, { mode: 0o600 });
  await Deno.rename(`${path}.tmp`, path);
}

/** Checks a HOST:PORT flag at parse time, so a typo is a usage error naming the flag. */
function hostPortFlag(value: string): string {
  try {
    parseHostPort(value, "0.0.0.0");
    return value;
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** Checks `--store` at parse time: a bad URL is a usage error naming the flag and the part. */
function storeFlag(value: string): string {
  try {
    parseEtcdUrl(value);
    return value;
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** Checks a gRPC target flag (`--config-endpoint`) at parse time. */
function targetFlag(value: string): string {
  try {
    parseGrpcTarget(value);
    return value;
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** Waits for SIGINT or SIGTERM; returns its name. */
function untilSignal(): Promise<keyof typeof SIGNALS> {
  return new Promise((resolve) => {
    for (const name of Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]) {
      Deno.addSignalListener(name, () => resolve(name));
    }
  });
}

/** The flags of the gRPC port, the certificate and the metrics, on `command`. */
function serveOptions(command: Command, defaultListen: string): Command {
  return command
    .option("--listen <host:port>", "address to serve on", hostPortFlag, defaultListen)
    .option("--advertise <host:port>", "endpoint given to clients and exporters", hostPortFlag)
    .option("--tls-cert <pem>", "certificate (default: self-signed, kept in the state dir)")
    .option("--tls-key <pem>", "private key of --tls-cert")
    .addOption(
      new Option("--tls-host <name>", "extra name or IP for the self-signed certificate")
        .argParser((value: string, previous: string[]) => [...previous, value]).default([]),
    )
    .option("--insecure-plaintext", "serve without TLS (tests, or behind a TLS proxy)")
    .option(
      "--metrics-address <host:port>",
      "serve Prometheus metrics on http://host:port/metrics (default: off)",
      hostPortFlag,
    );
}

/** What {@linkcode serveOptions} parsed, as the options of the port. */
function portOptions(flags: ServeFlags) {
  return {
    stateDir: flags.stateDir,
    listen: flags.listen,
    ...(flags.advertise ? { advertise: flags.advertise } : {}),
    ...(flags.tlsCert ? { tlsCertFile: flags.tlsCert } : {}),
    ...(flags.tlsKey ? { tlsKeyFile: flags.tlsKey } : {}),
    tlsHosts: flags.tlsHost,
    ...(flags.insecurePlaintext ? { plaintext: true } : {}),
    ...(flags.metricsAddress ? { metricsAddress: flags.metricsAddress } : {}),
  };
}

function routerCommand(): Command {
  return serveOptions(
    new Command("router")
      .description(
        "a router on its own: pairs the two ends of each tunnel the controller replicas on " +
          "--store hand out (their Dials name the routers running)",
      )
      .option(
        "--state-dir <dir>",
        "holds keys.json, copied from a controller replica's state dir, and the certificate",
        defaultStateDir("router"),
      )
      .requiredOption(
        "--store <etcd://host:port,...>",
        "the controller replicas' store",
        storeFlag,
      ),
    "0.0.0.0:8083",
  ).action(async (flags: ServeFlags & { store: string }) => {
    const router = await startRouter({ ...portOptions(flags), store: flags.store });
    console.log(router.endpoint);
    console.error(
      `jmp-controller router ${router.id} serving on ${router.endpoint}` +
        (router.metricsPort === undefined ? "" : `; metrics on port ${router.metricsPort}`),
    );
    const signal = await untilSignal();
    console.error(`${signal} received, shutting down`);
    await router.close();
    Deno.exit(128 + SIGNALS[signal]);
  });
}

interface StoreFlags {
  stateDir: string;
  store?: string;
}

const STATE_DIR_HELP = "the state directory whose file journal to use (unless --store)";
const STORE_HELP = "the etcd store instead (etcd://host:port,...[/prefix])";

/** Opens the store a migration names; a state dir without a store is refused, not created. */
async function openExisting(flags: StoreFlags) {
  const dir = fileStoreDir(flags.stateDir);
  if (flags.store === undefined) {
    const found = await Deno.stat(`${dir}/journal.jsonl`).then(() => true, () => false);
    if (!found) throw new StoreError(`no controller store in ${dir} (wrong --state-dir?)`);
  }
  return { store: await openStore(flags.store, flags.stateDir), name: flags.store ?? dir };
}

function exportCommand(): Command {
  return new Command("export")
    .description("write the whole store (clients, exporters, leases) as JSON, for `import`")
    .option("--state-dir <dir>", STATE_DIR_HELP, defaultStateDir())
    .option("--store <etcd://host:port,...>", STORE_HELP, storeFlag)
    .option("-o, --output <file>", "write it there (default: stdout)")
    .action(async (flags: StoreFlags & { output?: string }) => {
      const { store, name } = await openExisting(flags);
      try {
        const text = JSON.stringify(exportState(store), null, 2) + "\n";
        if (flags.output) await Deno.writeTextFile(flags.output, text, { mode: 0o600 });
        else await Deno.stdout.write(new TextEncoder().encode(text));
        console.error(`exported ${name} (sequence ${store.sequence})`);
      } finally {
        await store.close();
      }
    });
}

function importCommand(): Command {
  return new Command("import")
    .description(
      "load an `export` into a store (stop its controllers first; keep the state dir's keys.json)",
    )
    .argument("<file>", "what `jmp-controller export` wrote")
    .option("--state-dir <dir>", STATE_DIR_HELP, defaultStateDir())
    .option("--store <etcd://host:port,...>", STORE_HELP, storeFlag)
    .option("--replace", "overwrite a store that already holds records")
    .action(async (file: string, flags: StoreFlags & { replace?: boolean }) => {
      const data = parseExport(await Deno.readTextFile(file), file);
      const store = await openStore(flags.store, flags.stateDir);
      const target = flags.store ?? fileStoreDir(flags.stateDir);
      try {
        const n = await importState(store, data, { replace: flags.replace === true, target });
        console.error(
          `imported ${n.clients} clients, ${n.exporters} exporters, ${n.leases} leases, ` +
            `${n.waiters} waiters (sequence ${n.sequence}) into ${target}`,
        );
      } finally {
        await store.close();
      }
    });
}

export function controllerProgram(): Command {
  return serveOptions(
    new Command("jmp-controller")
      .enablePositionalOptions()
      .description(
        "Jumpstarter controller: leases, exporters, clients and the router, in one process",
      )
      .option("--state-dir <dir>", "keys, certificate and store", defaultStateDir())
      .option(
        "--store <etcd://host:port,...>",
        "keep the store on etcd (several endpoints, optional /prefix); default: a file journal in the state dir",
        storeFlag,
      ),
    "0.0.0.0:8082",
  )
    .option(
      "--config-endpoint <target>",
      "the endpoint `jmp admin create` writes into configs, when not --advertise: a gRPC target " +
        "naming every replica (ipv4:IP:PORT,IP:PORT, or a DNS name resolving to them all)",
      targetFlag,
    )
    .option(
      "--auth-config <file>",
      "trust external OIDC issuers: upstream's AuthenticationConfiguration (jwt: issuer, audiences, claimMappings)",
    )
    .option("--access-policy <file>", "ExporterAccessPolicy YAML (upstream's CRD); SIGHUP reloads")
    .addCommand(exportCommand())
    .addCommand(importCommand())
    .addCommand(routerCommand())
    .action(async (flags: Flags) => {
      const authConfig = flags.authConfig ? await loadAuthConfig(flags.authConfig) : undefined;
      const policy = flags.accessPolicy ? await PolicyFile.open(flags.accessPolicy) : undefined;
      const controller = await startController({
        ...portOptions(flags),
        ...(authConfig ? { authConfig } : {}),
        ...(flags.store ? { store: flags.store } : {}),
        ...(flags.configEndpoint ? { configEndpoint: flags.configEndpoint } : {}),
        ...(policy ? { accessPolicies: () => policy.policies } : {}),
      });
      if (policy) {
        policy.onReload = () => void controller.core.reconcile();
        console.error(`jmp-controller access policy ${policy.path}: ${policy.summary()}`);
      }
      const adminPath = `${flags.stateDir}/admin.yaml`;
      await writeAdminConfig(
        adminPath,
        controller.endpoint,
        await controller.adminToken(),
        controller.core.caBase64,
      );
      console.log(controller.endpoint);
      console.error(
        `jmp-controller serving on ${controller.endpoint}; admin config: ${adminPath} ` +
          `(use: jmp admin --admin-config ${adminPath} ...)`,
      );
      if (controller.metricsPort !== undefined) {
        console.error(`jmp-controller metrics on port ${controller.metricsPort} (/metrics)`);
      }
      const signal = await untilSignal();
      console.error(`${signal} received, shutting down`);
      await controller.close();
      Deno.exit(128 + SIGNALS[signal]);
    });
}

if (import.meta.main) {
  try {
    await controllerProgram().parseAsync(Deno.args, { from: "user" });
  } catch (error) {
    console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  }
}
