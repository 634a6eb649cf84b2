/**
 * The exporter's footprint on x86_64 and on aarch64 (Deno's arm64 build emulated by
 * qemu-aarch64-static, as `tools/aarch64_sysroot.sh` prepares it), measured in the same run:
 *
 * - cold start: from spawning `jmp run` (direct mode, plaintext) to the first DriverCall it served;
 * - idle RSS once it served that call;
 * - streaming: `--mib` MiB echoed through an EchoNetwork (`--arm-mib` under emulation, which is
 *   slower), with the throughput, the exporter's CPU seconds per GiB and its peak RSS.
 *
 * Memory and CPU are summed over the process tree: on x86 `jmp run` serves from a child it starts
 * under the config's grants, and the parent waiting for it counts too (what a board pays). Under
 * emulation the process is qemu's (there `jmp run` serves unconfined, in one process), so its RSS
 * includes the emulator and its translation cache: the aarch64 figures bound what a real arm64
 * board shows from above, they do not predict it.
 * Prints a table and aarch64/x86 ratios; with no emulated deno it measures x86 alone and says why.
 *
 * Usage: `deno run -A bench/footprint.ts [--mib 256] [--arm-mib 32] [--json]`
 *
 * @module
 */
import { freePort } from "@jumpstarter/lib/testing";
import { parseArgs } from "node:util";
import { clientRegistryOf, openExporter, UNSAFE_POLICY } from "@jumpstarter/lib/client";
import { PowerClient } from "@jumpstarter/driver-power";
import { NetworkClient } from "@jumpstarter/driver-network";
import { DRIVER_PACKAGES } from "../cli/driver_packages.ts";
import { positiveInt } from "./_measure.ts";
import { processTree, startUntilLine } from "./_processes.ts";

const CONFIG_DIR = new URL("../", import.meta.url).pathname;
const AARCH64_DENO = `${Deno.env.get("JMP_AARCH64_DIR") || "/opt/jmp-aarch64"}/deno-aarch64`;
const CHUNK = 64 << 10;
const registry = clientRegistryOf(DRIVER_PACKAGES);

interface Footprint {
  coldStartSeconds: number;
  idleRssMib: number;
  streamedMib: number;
  mibPerSecond: number;
  cpuSecondsPerGib: number;
  peakRssMib: number;
}

/** A `/proc/PID/status` memory figure, in MiB, summed over `pid`'s process tree. */
function procStatus(pid: number, field: "VmRSS" | "VmHWM"): number {
  let kib = 0;
  for (const member of processTree(pid)) {
    const status = Deno.readTextFileSync(`/proc/${member}/status`);
    const value = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))?.[1];
    if (value === undefined) throw new Error(`/proc/${member}/status has no ${field}`);
    kib += Number(value);
  }
  return kib / 1024;
}

/** utime + stime of `pid`'s process tree, in seconds (USER_HZ is 100 on Linux). */
function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const member of processTree(pid)) {
    const stat = Deno.readTextFileSync(`/proc/${member}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100;
}

function labConfig(path: string): void {
  Deno.writeTextFileSync(
    path,
    [
      "apiVersion: jumpstarter.dev/v1alpha1",
      "kind: ExporterConfig",
      "metadata: {namespace: default, name: footprint}",
      "export:",
      "  power: {type: jumpstarter_driver_power.driver.MockPower}",
      "  echo: {type: jumpstarter_driver_network.driver.EchoNetwork}",
      "",
    ].join("\n"),
  );
}

async function echo(stream: Awaited<ReturnType<NetworkClient["connect"]>>, bytes: number) {
  const chunk = new Uint8Array(CHUNK).fill(0x5a);
  const writing = (async () => {
    const writer = stream.writable.getWriter();
    for (let sent = 0; sent < bytes; sent += CHUNK) await writer.write(chunk);
    await writer.close();
  })();
  let received = 0;
  for await (const part of stream.readable) received += part.byteLength;
  await writing;
  if (received < bytes) throw new Error(`echo returned ${received} of ${bytes} bytes`);
}

async function measure(deno: string, config: string, mib: number): Promise<Footprint> {
  const address = `127.0.0.1:${freePort()}`;
  const started = performance.now();
  await using exporter = await startUntilLine(deno, {
    args: [
      "run",
      "-A",
      "--quiet",
      "--config",
      `${CONFIG_DIR}deno.json`,
      `${CONFIG_DIR}cli/main.ts`,
      "run",
      "--exporter-config",
      config,
      "--tls-grpc-listener",
      address,
      "--tls-grpc-insecure",
    ],
    ready: (line) => line === address,
    timeoutMs: 300_000,
  });
  await using handle = await openExporter(address, {
    insecure: true,
    policy: UNSAFE_POLICY,
    registry,
  });
  await handle.root.child("power", PowerClient).on();
  const coldStartSeconds = (performance.now() - started) / 1000;
  const idleRssMib = procStatus(exporter.pid, "VmRSS");
  const stream = await handle.root.child("echo", NetworkClient).connect();
  const cpuBefore = cpuSeconds(exporter.pid);
  const streamStarted = performance.now();
  await echo(stream, mib << 20);
  const seconds = (performance.now() - streamStarted) / 1000;
  const cpu = cpuSeconds(exporter.pid) - cpuBefore;
  return {
    coldStartSeconds,
    idleRssMib,
    streamedMib: mib,
    mibPerSecond: mib / seconds,
    cpuSecondsPerGib: cpu / (mib / 1024),
    peakRssMib: procStatus(exporter.pid, "VmHWM"),
  };
}

function row(name: string, x86: number, arm: number | undefined, digits: number): string {
  const cells = [name.padEnd(28), x86.toFixed(digits).padStart(10)];
  if (arm !== undefined) {
    cells.push(arm.toFixed(digits).padStart(10), `${(arm / x86).toFixed(2)}x`.padStart(8));
  }
  return cells.join("  ");
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { mib: { type: "string" }, "arm-mib": { type: "string" }, json: { type: "boolean" } },
  });
  const mib = positiveInt("--mib", values.mib, 256);
  const armMib = positiveInt("--arm-mib", values["arm-mib"], 32);
  const dir = Deno.makeTempDirSync({ prefix: "footprint-" });
  const config = `${dir}/lab.yaml`;
  labConfig(config);
  try {
    const x86 = await measure(Deno.execPath(), config, mib);
    let arm: Footprint | undefined;
    try {
      Deno.statSync(AARCH64_DENO);
      arm = await measure(AARCH64_DENO, config, armMib);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      console.error(`no aarch64 figures: ${AARCH64_DENO} is missing (tools/aarch64_sysroot.sh)`);
    }
    if (values.json) {
      console.log(JSON.stringify({ x86, aarch64: arm ?? null }));
    } else {
      console.log(`exporter footprint (x86 ${mib} MiB streamed, aarch64 emulated ${armMib} MiB)`);
      console.log(
        [
          "".padEnd(28),
          "x86_64".padStart(10),
          ...(arm ? ["aarch64".padStart(10), "ratio".padStart(8)] : []),
        ]
          .join("  "),
      );
      console.log(
        row("cold start to 1st call (s)", x86.coldStartSeconds, arm?.coldStartSeconds, 1),
      );
      console.log(row("idle RSS (MiB)", x86.idleRssMib, arm?.idleRssMib, 0));
      console.log(row("echo (MiB/s)", x86.mibPerSecond, arm?.mibPerSecond, 1));
      console.log(row("CPU per GiB echoed (s)", x86.cpuSecondsPerGib, arm?.cpuSecondsPerGib, 1));
      console.log(row("peak RSS (MiB)", x86.peakRssMib, arm?.peakRssMib, 0));
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}
