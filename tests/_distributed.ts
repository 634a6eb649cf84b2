/**
 * Helpers for the distributed end-to-end tests: a jmp-controller subprocess, clients and
 * exporters created through `jmp admin`, and polling; raw gRPC access to the controller (arbitrary
 * metadata, forged tokens) is in `_raw_controller.ts`, re-exported here.
 */
import { fileURLToPath } from "node:url";
import { eventually, freePort } from "@jumpstarter/lib/testing";
import { assertExit, DENO_CONFIG, jmp, VIRTUAL_LAB, withTimeout } from "./_helpers.ts";

const CONTROLLER_MAIN: string = fileURLToPath(
  new URL("../controller/main.ts", import.meta.url),
);

/** Arguments that run `jmp-controller ARGS...` from source under this Deno (as `jmpArgs` for jmp). */
export function controllerArgs(args: string[]): string[] {
  return ["run", "-A", "--quiet", "--config", DENO_CONFIG, CONTROLLER_MAIN, ...args];
}
/** How long a controller or exporter subprocess may take to start. */
export const STARTUP_MS = 30_000;

/** A jmp-controller subprocess. */
export interface ControllerProcess {
  /** `host:port` it advertises (what `jmp admin create` writes into configs). */
  readonly endpoint: string;
  /** `<state-dir>/admin.yaml`. */
  readonly adminConfig: string;
  readonly stateDir: string;
  readonly process: Deno.ChildProcess;
  /** What it printed on stderr so far. */
  stderr(): string;
  /** Sends `signal` (default SIGTERM) and waits for the process to end; returns its status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** Options of {@linkcode startController}. */
export interface ControllerStartOptions {
  /** `host:port` to listen on; default `127.0.0.1:0`. */
  listen?: string;
  /** `--advertise host:port`: the endpoint written into configs. */
  advertise?: string;
  /** `--metrics-address host:port`: serve Prometheus `/metrics` there. */
  metricsAddress?: string;
  /** `--auth-config FILE`: external OIDC issuers to trust. */
  authConfig?: string;
  /** Further flags, e.g. `["--access-policy", FILE]`. */
  extraArgs?: string[];
  /** `--store etcd://...`: keep the store on etcd. */
  store?: string;
  /** A subcommand before the flags, e.g. `router` (a router process, which prints its endpoint). */
  command?: string;
}

/** Starts `jmp-controller --state-dir DIR --listen ...` and waits for its endpoint line. */
export async function startController(
  stateDir: string,
  options: ControllerStartOptions = {},
): Promise<ControllerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: controllerArgs([
      ...(options.command ? [options.command] : []),
      "--state-dir",
      stateDir,
      "--listen",
      options.listen ?? "127.0.0.1:0",
      ...(options.advertise ? ["--advertise", options.advertise] : []),
      ...(options.metricsAddress ? ["--metrics-address", options.metricsAddress] : []),
      ...(options.authConfig ? ["--auth-config", options.authConfig] : []),
      ...(options.extraArgs ?? []),
      ...(options.store ? ["--store", options.store] : []),
    ]),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const stderrDone = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) stderr += chunk;
  })().catch(() => {});
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    while (!text.includes("\n")) {
      const { value, done } = await withTimeout(reader.read(), STARTUP_MS, "jmp-controller start");
      if (done) {
        await stderrDone;
        throw new Error(`jmp-controller exited before printing its endpoint:\n${stderr}`);
      }
      text += value;
    }
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
    throw error;
  }
  // keep draining stdout so the controller never blocks on a full pipe
  const stdoutDone = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })().catch(() => {});
  let stopping: Promise<Deno.CommandStatus> | undefined;
  return {
    endpoint: text.trim(),
    adminConfig: `${stateDir}/admin.yaml`,
    stateDir,
    process: child,
    stderr: () => stderr,
    stop(signal: Deno.Signal = "SIGTERM") {
      return stopping ??= (async () => {
        try {
          child.kill(signal);
        } catch { /* gone */ }
        const timer = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* gone */ }
        }, 15_000);
        try {
          const status = await child.status;
          await Promise.all([stdoutDone, stderrDone]);
          return status;
        } finally {
          clearTimeout(timer);
        }
      })();
    },
  };
}

/** Creates exporter NAME with labels and writes its config with the virtual lab's drivers. */
export async function makeExporter(
  adminConfig: string,
  dir: string,
  name: string,
  labels: string[],
): Promise<string> {
  const path = `${dir}/${name}.yaml`;
  const created = await jmp([
    "admin",
    "create",
    "exporter",
    name,
    "--admin-config",
    adminConfig,
    ...labels.flatMap((l) => ["-l", l]),
    "--out",
    path,
  ]);
  assertExit(created, 0);
  const lab = await Deno.readTextFile(VIRTUAL_LAB);
  const drivers = lab.slice(lab.indexOf("export:"));
  const config = (await Deno.readTextFile(path)).replace(/^export: \{\}\n?/m, drivers);
  await Deno.writeTextFile(path, config);
  return path;
}

/** Creates client NAME (allowed every driver client) with `k=v` labels and writes its config. */
export async function makeClient(
  adminConfig: string,
  dir: string,
  name: string,
  labels: string[] = [],
): Promise<string> {
  const path = `${dir}/${name}.yaml`;
  assertExit(
    await jmp([
      "admin",
      "create",
      "client",
      name,
      "--admin-config",
      adminConfig,
      ...labels.flatMap((l) => ["-l", l]),
      "--unsafe",
      "--out",
      path,
    ]),
    0,
  );
  return path;
}

/** The arguments of `jmp shell -l board=virt -- j power on` as `client`. */
export function powerOnArgs(client: string): string[] {
  return ["shell", "--client-config", client, "-l", "board=virt", "--", "j", "power", "on"];
}

/** The exporter's status as `jmp get exporters -o json` shows it (`missing` if not listed). */
export async function exporterStatus(client: string, name: string): Promise<string> {
  const result = await jmp(["get", "exporters", "--client-config", client, "-o", "json"]);
  assertExit(result, 0);
  const exporters = JSON.parse(result.stdout) as { name: string; status: string }[];
  return exporters.find((e) => e.name === name)?.status ?? "missing";
}

/** A lease as `jmp get leases -o json` prints it. */
export interface LeaseDocument {
  name: string;
  selector: string;
  exporter: string | null;
  client: string | null;
  duration: string | null;
  effectiveBeginTime: string | null;
  effectiveEndTime: string | null;
  conditions: { type: string; status: string; reason: string; message: string }[];
}

/** `jmp get leases -o json` (with `--all`: ended ones too). */
export async function getLeases(client: string, all = false): Promise<LeaseDocument[]> {
  const result = await jmp([
    "get",
    "leases",
    "--client-config",
    client,
    "-o",
    "json",
    ...(all ? ["--all"] : []),
  ]);
  assertExit(result, 0);
  return JSON.parse(result.stdout) as LeaseDocument[];
}

/** The Ready condition's status and reason, e.g. `True/Ready`, `False/Expired`. */
export function readyState(lease: LeaseDocument): string {
  const ready = lease.conditions.find((c) => c.type === "Ready");
  return ready ? `${ready.status}/${ready.reason}` : "none";
}

/** Polls `check` every 300 ms until it holds; throws after `ms`. */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  ms = 20_000,
): Promise<void> {
  await eventually(what, check, { timeoutMs: ms, intervalMs: 300 });
}

/** Waits until `jmp get exporters` shows the exporter with `status` (default AVAILABLE). */
export function untilExporter(
  client: string,
  name: string,
  status = "AVAILABLE",
  ms = 30_000,
): Promise<void> {
  return until(
    `exporter ${name} to be ${status}`,
    async () => (await exporterStatus(client, name)) === status,
    ms,
  );
}

export * from "./_raw_controller.ts";

export { freePort };
