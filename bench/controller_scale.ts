/**
 * One controller replica holding a big lab: `--exporters` exporters registered and online (each
 * an `Exporter` with a connection of its own, all in this process) and `--leases` leases held at
 * once by one client, on the file journal and on a 1-member etcd. The controller is a
 * `jmp-controller` subprocess, so its resident memory (VmRSS and the peak VmHWM from /proc) is its
 * own; it is printed after start (the baseline, nothing registered), with every exporter online,
 * and with every lease held, next to how long each step took.
 *
 * Benchmarks report, never assert. Usage:
 * `deno run -A bench/controller_scale.ts [--exporters N] [--leases N] [--json]`
 *
 * @module
 */
import { adminV1, createClient, ExporterStatus } from "@jumpstarter/protos";
import {
  bareName,
  connectController,
  controllerChannel,
  createLease,
  releaseLease,
  waitForLease,
} from "@jumpstarter/lib/client";
import { EtcdCluster } from "../controller/store/_testing/etcd_cluster.ts";
import { readCredentials, startController } from "../tests/_distributed.ts";
import { withTimeout } from "../tests/_helpers.ts";
import { benchOptions, optionsOrExit } from "./_measure.ts";
import { mockPowerExporter } from "./_lease_lab.ts";

const NAMESPACE = "scale";

interface Options {
  exporters: number;
  leases: number;
  json: boolean;
}

/** Resident memory of a process, MiB. */
interface Memory {
  rssMiB: number;
  peakMiB: number;
}

/** One store's figures. */
interface Result {
  store: string;
  idle: Memory;
  online: Memory;
  leased: Memory;
  /** Seconds from starting every exporter to all of them listed online and available. */
  onlineSeconds: number;
  /** Seconds from creating every lease to all of them Ready. */
  leasedSeconds: number;
  /** Exporters started again after failing to register. */
  restarts: number;
}

function parseOptions(args: string[]): Options {
  const options = benchOptions(args, { exporters: 1000, leases: 200 }, ["json"]);
  if (options.leases > options.exporters) throw new Error("--leases must not exceed --exporters");
  return options;
}

async function memoryOf(pid: number): Promise<Memory> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kib = (field: string) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+)`, "m"))?.[1]);
  return { rssMiB: kib("VmRSS") / 1024, peakMiB: kib("VmHWM") / 1024 };
}

/** Polls `check` every 200 ms until it holds; fails after `timeoutMs` saying what it waited for. */
async function until(what: string, check: () => Promise<string | true>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const seen = await check();
    if (seen === true) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; saw ${seen}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function measure(options: Options, store: string | undefined): Promise<Result> {
  const stateDir = await Deno.makeTempDir({ prefix: "jmp-scale-bench-" });
  const controller = await startController(stateDir, store ? { store } : {});
  const abort = new AbortController();
  const running: Promise<void>[] = [];
  const exporterLog: string[] = [];
  try {
    const pid = controller.process.pid;
    const idle = await memoryOf(pid);
    const adminCredential = await readCredentials(controller.adminConfig);
    const adminChannel = await controllerChannel({
      ...adminCredential,
      namespace: "",
      kind: "Admin",
      tls: { ca: adminCredential.ca },
    });
    const admin = createClient(adminV1.AdminService, adminChannel);
    const alice = await admin.createClient({ namespace: NAMESPACE, name: "alice" });
    const credentials: { name: string; endpoint: string; token: string; ca: string }[] = [];
    for (let i = 0; i < options.exporters; i++) {
      const name = `board-${i}`;
      const labels = { board: "virt", n: String(i) };
      credentials.push({
        name,
        ...await admin.createExporter({ namespace: NAMESPACE, name, labels }),
      });
    }
    adminChannel.close();

    const onlineStart = performance.now();
    let restarts = 0;
    // as a service manager would (systemd's Restart=): an exporter that could not register (its
    // connection timed out while a thousand started at once) starts again a second later
    const serve = async (credential: typeof credentials[number]) => {
      while (!abort.signal.aborted) {
        const exporter = mockPowerExporter({ ...credential, namespace: NAMESPACE }, {
          log: (message) => exporterLog.push(`${credential.name}: ${message}`),
        });
        try {
          await exporter.run(abort.signal);
        } catch (error) {
          exporterLog.push(`${credential.name} stopped: ${error}`);
        }
        if (abort.signal.aborted) return;
        restarts++;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    };
    for (const credential of credentials) running.push(serve(credential));
    const client = await connectController({
      endpoint: alice.endpoint,
      token: alice.token,
      namespace: NAMESPACE,
      name: "alice",
      kind: "Client",
      tls: { ca: alice.ca },
    });
    try {
      await until("every exporter online and available", async () => {
        const { exporters } = await client.clients.listExporters({
          parent: `namespaces/${NAMESPACE}`,
          filter: "",
        });
        const ready = exporters.filter((e) => e.online && e.status === ExporterStatus.AVAILABLE);
        return ready.length === options.exporters ||
          `${ready.length} of ${options.exporters}; last exporter log: ${exporterLog.at(-1)}`;
      }, 300_000);
      const onlineSeconds = (performance.now() - onlineStart) / 1000;
      const online = await memoryOf(pid);

      const leaseStart = performance.now();
      const names = await Promise.all(
        Array.from({ length: options.leases }, async (_, i) => {
          const lease = await createLease(client, { selector: `n=${i}`, durationMs: 3600_000 });
          return bareName(lease.name);
        }),
      );
      await Promise.all(
        names.map((name) => waitForLease(client, name, { pollMs: 500, timeoutMs: 300_000 })),
      );
      const leasedSeconds = (performance.now() - leaseStart) / 1000;
      const leased = await memoryOf(pid);
      await Promise.all(names.map((name) => releaseLease(client, name)));
      return {
        store: store ? "etcd, 1 member" : "file journal",
        idle,
        online,
        leased,
        onlineSeconds,
        leasedSeconds,
        restarts,
      };
    } finally {
      client.close();
    }
  } catch (error) {
    // a crashed controller's exit can trail the refused connection that surfaced it
    const status = await withTimeout(controller.process.status, 2000, "its exit").catch(() =>
      undefined
    );
    const state = status
      ? `jmp-controller exited (code ${status.code}, signal ${status.signal})`
      : "jmp-controller still running";
    const shapes = exporterLog.map((line) =>
      line.replace(/^board-\d+:? /, "").replace(/\d+/g, "N")
    );
    throw new Error(
      `${error}\n${state}; its stderr ends:\n${controller.stderr().slice(-3000)}\n` +
        `the exporters logged (numbers as N):\n${[...new Set(shapes)].slice(0, 20).join("\n")}`,
    );
  } finally {
    abort.abort();
    await Promise.all(running);
    await controller.stop();
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  }
}

function printTable(options: Options, results: Result[]): void {
  const mib = (m: Memory) => `${m.rssMiB.toFixed(0)} (${m.peakMiB.toFixed(0)})`.padStart(16);
  console.log(
    `One controller replica: ${options.exporters} exporters online, then ${options.leases} ` +
      `leases held at once by one client. Controller RSS MiB (peak), and seconds per step`,
  );
  console.log(
    "store".padEnd(16) +
      ["RSS idle", "RSS online", "RSS leased", "KiB/exporter", "online s", "leased s", "restarts"]
        .map((h) => h.padStart(16)).join(""),
  );
  for (const r of results) {
    const perExporter = (r.online.rssMiB - r.idle.rssMiB) * 1024 / options.exporters;
    console.log(
      r.store.padEnd(16) + mib(r.idle) + mib(r.online) + mib(r.leased) +
        perExporter.toFixed(1).padStart(16) + r.onlineSeconds.toFixed(1).padStart(16) +
        r.leasedSeconds.toFixed(1).padStart(16) + String(r.restarts).padStart(16),
    );
  }
}

async function main(args: string[]): Promise<void> {
  const options = optionsOrExit(
    args,
    parseOptions,
    "controller_scale.ts [--exporters N] [--leases N] [--json]",
  );
  await using etcd = await EtcdCluster.start(1);
  const results = [
    await measure(options, undefined),
    await measure(options, `${etcd.storeUrl}/scale`),
  ];
  if (options.json) console.log(JSON.stringify({ options, results }, null, 2));
  else printTable(options, results);
}

if (import.meta.main) await main(Deno.args);
