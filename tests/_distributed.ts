/**
 * Helpers for the distributed end-to-end tests: a jmp-controller subprocess, clients and
 * exporters created through `jmp admin`, polling, and raw gRPC access to the controller for
 * checks the CLI cannot express (arbitrary metadata, forged tokens).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { parse } from "yaml";
import {
  adminV1,
  clientV1,
  ControllerService,
  createClient,
  type ServiceClient,
  type ServiceMethods,
} from "@jumpstarter/protos";
import { channelCredentials } from "@jumpstarter/lib/tunnel";
import { eventually } from "@jumpstarter/lib/testing";
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
}

/** Starts `jmp-controller --state-dir DIR --listen ...` and waits for its endpoint line. */
export async function startController(
  stateDir: string,
  options: ControllerStartOptions = {},
): Promise<ControllerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: controllerArgs([
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

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
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

/** What a config file written by `jmp admin` (or jmp-controller's admin.yaml) holds. */
export interface CredentialFile {
  endpoint: string;
  token: string;
  namespace: string;
  name: string;
  /** Base64 PEM of the controller's CA. */
  ca: string;
}

/** Reads the endpoint, token, identity and CA of a client, exporter or admin config. */
export async function readCredentials(path: string): Promise<CredentialFile> {
  // deno-lint-ignore no-explicit-any
  const doc = parse(await Deno.readTextFile(path)) as any;
  return {
    endpoint: String(doc.endpoint),
    token: String(doc.token),
    namespace: String(doc.metadata?.namespace ?? ""),
    name: String(doc.metadata?.name ?? "admin"),
    ca: String(doc.tls?.ca ?? ""),
  };
}

/** Rewrites the `token:` of a config file into a new file; returns its path. */
export async function withToken(path: string, token: string, out: string): Promise<string> {
  const text = await Deno.readTextFile(path);
  assert.match(text, /^token: \S+$/m, `no token line in ${path}`);
  await Deno.writeTextFile(out, text.replace(/^token: \S+$/m, () => `token: ${token}`));
  return out;
}

/** A TLS channel to a controller that sends exactly the metadata it is given on every call. */
export interface RawChannel extends Disposable {
  readonly channel: grpc.Client;
  readonly clients: ServiceClient<ServiceMethods<typeof clientV1.ClientService>>;
  readonly controller: ServiceClient<ServiceMethods<typeof ControllerService>>;
  readonly admin: ServiceClient<ServiceMethods<typeof adminV1.AdminService>>;
  /** A raw `RouterService.Stream` call presenting `authorization` (if given). */
  routerStream(authorization?: string): grpc.ClientDuplexStream<Uint8Array, Uint8Array>;
  close(): void;
}

/**
 * Opens a TLS channel to `endpoint` trusting `caBase64`, attaching `metadata` (key -> value, or
 * several values) to every call, unlike `controllerChannel` which always sends a full identity.
 */
export async function rawChannel(
  endpoint: string,
  caBase64: string,
  metadata: Record<string, string | string[]> = {},
): Promise<RawChannel> {
  const credentials = await channelCredentials(endpoint, { ca: caBase64, insecure: false });
  const interceptor: grpc.Interceptor = (options, next) =>
    new grpc.InterceptingCall(next(options), {
      start(md, listener, proceed) {
        for (const [key, value] of Object.entries(metadata)) {
          for (const v of Array.isArray(value) ? value : [value]) md.add(key, v);
        }
        proceed(md, listener);
      },
    });
  const channel = new grpc.Client(endpoint, credentials, { interceptors: [interceptor] });
  const close = () => channel.close();
  const identity = (bytes: Uint8Array) => bytes;
  return {
    channel,
    clients: createClient(clientV1.ClientService, channel),
    controller: createClient(ControllerService, channel),
    admin: createClient(adminV1.AdminService, channel),
    routerStream(authorization?: string) {
      const md = new grpc.Metadata();
      if (authorization !== undefined) md.set("authorization", authorization);
      return channel.makeBidiStreamRequest(
        "/jumpstarter.v1.RouterService/Stream",
        // deno-lint-ignore no-explicit-any
        identity as any,
        // deno-lint-ignore no-explicit-any
        identity as any,
        md,
      );
    },
    close,
    [Symbol.dispose]: close,
  };
}

/** The four `jumpstarter-*`/authorization entries of a controller call for `who`. */
export function identityMetadata(
  who: { token: string; namespace: string; name: string },
  kind: "Client" | "Exporter" | "Admin",
): Record<string, string> {
  return {
    authorization: `Bearer ${who.token}`,
    "jumpstarter-kind": kind,
    "jumpstarter-namespace": who.namespace,
    "jumpstarter-name": who.name,
  };
}

/** A gRPC failure as the tests look at it. */
export interface CallFailure {
  code: number;
  details: string;
}

/**
 * Awaits `call` and returns how it failed; fails the test if it succeeded.
 */
export async function rejection(what: string, call: Promise<unknown>): Promise<CallFailure> {
  try {
    const result = await withTimeout(call, 15_000, what);
    assert.fail(`${what}: expected a refusal, got ${JSON.stringify(result, bigints)}`);
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    const e = error as { code?: unknown; details?: unknown; message?: string };
    assert.equal(typeof e.code, "number", `${what}: not a gRPC status: ${e.message}`);
    return { code: e.code as number, details: String(e.details ?? e.message) };
  }
}

/** The status a raw router stream ends with (it must end, not stay parked). */
export function routerStreamStatus(
  stream: grpc.ClientDuplexStream<Uint8Array, Uint8Array>,
): Promise<CallFailure> {
  return withTimeout(
    new Promise<CallFailure>((resolve) => {
      stream.on("data", () => {});
      stream.on(
        "error",
        (error: grpc.ServiceError) => resolve({ code: error.code, details: error.details }),
      );
      stream.on(
        "status",
        (status: grpc.StatusObject) => resolve({ code: status.code, details: status.details }),
      );
    }),
    15_000,
    "router stream status",
  );
}

function bigints(_key: string, value: unknown) {
  return typeof value === "bigint" ? value.toString() : value;
}
