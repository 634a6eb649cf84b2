/**
 * The lab of the lease benchmarks, in one process: a controller (`startController`, TLS front and
 * router included, on the file journal or `--store`), or two replicas of one on etcd, one
 * registered exporter serving `MockPower` and a client connection; and one timed lease from
 * creation to its first call.
 *
 * @module
 */
import { stringify } from "yaml";
import { adminV1, createClient } from "@jumpstarter/protos";
import {
  bareName,
  connectController,
  controllerChannel,
  type ControllerConnection,
  type ControllerIdentity,
  createLease,
  openExporter,
  openLeaseSocket,
  releaseLease,
  UNSAFE_POLICY,
  waitForLease,
} from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { Exporter } from "@jumpstarter/lib/exporter";
import type { PowerClient } from "@jumpstarter/driver-power";
import { type RunningController, startController } from "../controller/server.ts";
import { clientRegistry, driverRegistry } from "../cli/driver_packages.ts";
import { copyStateDir } from "../tests/_replicas.ts";

/** The namespace and exporter name the lab registers. */
export const NAMESPACE = "bench";
export const EXPORTER = "bench1";

/** A controller, one exporter registered with it and a client connection, all in-process. */
export interface Lab extends AsyncDisposable {
  /** The controller the exporter is registered with (with two replicas: the leader). */
  controller: RunningController;
  client: ControllerConnection;
  /** Resolves once the exporter reports Available (ready for the next lease). */
  exporterAvailable(timeoutMs?: number): Promise<void>;
}

/** An exporter serving one `MockPower` as `power`, registered with the credential's controller. */
export function mockPowerExporter(
  credential: { endpoint: string; token: string; ca: string; namespace: string; name: string },
  options: { log: (message: string) => void; plaintext?: boolean },
): Exporter {
  const config = parseExporterConfig(
    stringify({
      apiVersion: "jumpstarter.dev/v1alpha1",
      kind: "ExporterConfig",
      metadata: { namespace: credential.namespace, name: credential.name },
      endpoint: credential.endpoint,
      token: credential.token,
      tls: { ca: credential.ca, insecure: false },
      export: { power: { type: "MockPower" } },
    }),
    `${credential.name}.yaml`,
  );
  return new Exporter(config, { registry: driverRegistry, ...options });
}

/** Options of {@linkcode startLab}. */
export interface LabOptions {
  plaintext?: boolean;
  /** `jmp-controller --store` (default: the file journal). */
  store?: string;
  /**
   * With 2 (an etcd `store` only), a second replica follows the first: the exporter registers
   * with the leader and the client calls the follower, so every lease crosses replicas.
   */
  replicas?: 1 | 2;
}

async function startReplicas(options: LabOptions, stateDirs: string[]) {
  const common = {
    ...(options.store ? { store: options.store } : {}),
    listen: "127.0.0.1:0",
    ...(options.plaintext ? { plaintext: true } : {}),
  };
  const leader = await startController({ stateDir: stateDirs[0]!, ...common });
  if ((options.replicas ?? 1) === 1) return { leader, client: leader };
  if (!leader.replica) throw new Error("two replicas need an etcd --store");
  const deadline = Date.now() + 30_000;
  while (!leader.replica.isLeader) {
    if (Date.now() > deadline) throw new Error("the first replica did not become the leader");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await copyStateDir(stateDirs[0]!, stateDirs[1]!);
  const follower = await startController({ stateDir: stateDirs[1]!, ...common });
  return { leader, client: follower };
}

/** Starts a lab. */
export async function startLab(options: LabOptions): Promise<Lab> {
  const stateDirs = await Promise.all(
    [0, 1].map(() => Deno.makeTempDir({ prefix: "jmp-lease-bench-" })),
  );
  const { leader: controller, client: clientSide } = await startReplicas(options, stateDirs);
  const plaintext = options.plaintext ? { plaintext: true } : {};
  const adminChannel = await controllerChannel({
    endpoint: controller.endpoint,
    token: await controller.adminToken(),
    namespace: "",
    name: "admin",
    kind: "Admin",
    tls: { ca: controller.core.caBase64 },
    ...plaintext,
  });
  const admin = createClient(adminV1.AdminService, adminChannel);
  const clientCredential = await admin.createClient({ namespace: NAMESPACE, name: "alice" });
  const exporterCredential = await admin.createExporter({
    namespace: NAMESPACE,
    name: EXPORTER,
    labels: { board: "virt" },
  });
  adminChannel.close();

  const abort = new AbortController();
  const exporterLog: string[] = [];
  const exporter = mockPowerExporter(
    { ...exporterCredential, namespace: NAMESPACE, name: EXPORTER },
    { log: (message) => exporterLog.push(message), ...plaintext },
  );
  const running = exporter.run(abort.signal).catch((error) => {
    throw new Error(`the exporter stopped: ${error}\n${exporterLog.join("\n")}`);
  });
  running.catch(() => {}); // surfaced by exporterAvailable

  const identity: ControllerIdentity = {
    endpoint: clientSide.endpoint,
    token: clientCredential.token,
    namespace: NAMESPACE,
    name: "alice",
    kind: "Client",
    tls: { ca: clientCredential.ca },
    ...plaintext,
  };
  const client = await connectController(identity);

  const exporterAvailable = async (timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const record = controller.core.store.exporters.get(NAMESPACE, EXPORTER);
      if (
        record && record.status === "Available" &&
        controller.core.hub.connected(NAMESPACE, EXPORTER)
      ) return;
      if (Date.now() > deadline) {
        await Promise.race([running, Promise.resolve()]);
        throw new Error(
          `the exporter is not available (status ${record?.status}):\n${exporterLog.join("\n")}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  };

  const close = async () => {
    client.close();
    abort.abort();
    await running.catch(() => {});
    if (clientSide !== controller) await clientSide.close();
    await controller.close();
    for (const dir of stateDirs) await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  return { controller, client, exporterAvailable, [Symbol.asyncDispose]: close };
}

/** One lease from creation to the first `power.on()`; returns the phase times in ms. */
export async function leaseOnce(lab: Lab, dir: string, index: number, pollMs: number) {
  const t0 = performance.now();
  const lease = await createLease(lab.client, { selector: "board=virt", durationMs: 600_000 });
  const name = bareName(lease.name);
  try {
    await waitForLease(lab.client, name, { pollMs, timeoutMs: 30_000 });
    const t1 = performance.now();
    await using socket = openLeaseSocket(lab.client, name, { path: `${dir}/lease-${index}.sock` });
    await using handle = await openExporter(socket.path, {
      policy: UNSAFE_POLICY,
      registry: clientRegistry,
    });
    const t2 = performance.now();
    const power = handle.root.children.get("power") as PowerClient;
    await power.on();
    const t3 = performance.now();
    return { total: t3 - t0, createToReady: t1 - t0, readyToSession: t2 - t1, firstCall: t3 - t2 };
  } finally {
    await releaseLease(lab.client, name);
  }
}
