/**
 * `j storage flash` of a 1 GiB image with the fast path (issue 11 item 3) and with
 * `JMP_DISABLE_FAST_PATH=1` (gRPC frames), alternating for `--rounds` rounds, next to a plain `cp`
 * of the same image on the same disk, and `cp` followed by an fsync of the copy (the flash ends
 * with one: its fair baseline). `--mode local` runs the exporter inside `jmp shell
 * --exporter-config`; `--mode direct` serves it with `jmp run --tls-grpc-listener` (TLS) and
 * flashes through `jmp shell --tls-grpc`; `--mode router` runs a controller and our router, our
 * exporter with `jmp run`, and flashes through `jmp shell -l` (a lease, through the router). Every flash is checked byte-exact (sha256 of the disk
 * against the image). The image is raw (uncompressed), so the figure is the transport's, not xz's.
 * A flash of a 1 MiB image is timed in each round too: it is what starting `jmp shell`, the
 * exporter and `j` costs, and the rates less it are printed.
 *
 * Usage: `deno run -A bench/flash_fast_path.ts [--mib N] [--rounds N] [--mode local|direct|router]`
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { latencySummary, positiveInt } from "./_measure.ts";
import { type ReadyChild, runToEnd, startUntilLine } from "./_processes.ts";
import { localhostIdentity } from "./_tls_targets.ts";
import { spawnJmp } from "../tests/_helpers.ts";
import { makeClient, makeExporter, startController, untilExporter } from "../tests/_distributed.ts";

const DENO_CONFIG = fileURLToPath(new URL("../deno.json", import.meta.url));
const JMP_MAIN = fileURLToPath(new URL("../cli/main.ts", import.meta.url));

async function sha256File(path: string): Promise<string> {
  const out = await runToEnd("sha256sum", [path], { timeoutMs: 120_000 });
  return out.split(" ")[0]!;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

/**
 * A controller (with our router), our exporter serving the storage flasher with `jmp run`, and a
 * client: `jmp shell` leases it and the flash goes through the router (TLS).
 */
async function routerShell(dir: string, disk: string) {
  const controller = await startController(`${dir}/controller`);
  const exporterConfig = await makeExporter(controller.adminConfig, dir, "flash", ["board=flash"]);
  const text = await Deno.readTextFile(exporterConfig);
  await Deno.writeTextFile(
    exporterConfig,
    `${text.slice(0, text.indexOf("export:"))}export:\n  storage:\n` +
      `    type: jumpstarter_driver_opendal.driver.MockStorageMuxFlasher\n` +
      `    config: {path: '${disk}'}\n`,
  );
  const client = await makeClient(controller.adminConfig, dir, "flasher");
  const exporter = spawnJmp(["run", "--exporter-config", exporterConfig]);
  await untilExporter(client, "flash", "AVAILABLE", 120_000);
  return {
    shellArgs: ["shell", "--client-config", client, "-l", "board=flash"],
    stop: async () => {
      await exporter.stop("SIGTERM", 15_000);
      await controller.stop();
    },
  };
}

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      mib: { type: "string", default: "1024" },
      rounds: { type: "string", default: "3" },
      mode: { type: "string", default: "local" },
    },
  });
  const mode = values.mode;
  if (!["local", "direct", "router"].includes(mode)) {
    throw new Error("--mode: local, direct or router");
  }
  const mib = positiveInt("mib", values.mib, 1024);
  const rounds = positiveInt("rounds", values.rounds, 3);
  const dir = await Deno.makeTempDir({ prefix: "jmp-flash-bench-" });
  let exporter: ReadyChild | undefined;
  let stopRouterMode: (() => Promise<unknown>) | undefined;
  try {
    const image = `${dir}/image.raw`;
    const disk = `${dir}/disk.img`;
    // random blocks among zeros: cheap to make, not trivially compressible by anything on the way
    await runToEnd("sh", [
      "-c",
      `for i in $(seq ${
        Math.ceil(mib / 64)
      }); do head -c 1M /dev/urandom; head -c 63M /dev/zero; done | head -c ${mib}M > '${image}'`,
    ], { timeoutMs: 300_000 });
    const expected = await sha256File(image);
    const config = `${dir}/lab.yaml`;
    await Deno.writeTextFile(
      config,
      [
        "apiVersion: jumpstarter.dev/v1alpha1",
        "kind: ExporterConfig",
        "metadata: {namespace: default, name: flash-bench}",
        "export:",
        "  storage:",
        "    type: jumpstarter_driver_opendal.driver.MockStorageMuxFlasher",
        `    config: {path: '${disk}'}`,
        "",
      ].join("\n"),
    );
    const jmpArgs = ["run", "-A", "--quiet", "--config", DENO_CONFIG, JMP_MAIN];
    let shellArgs = ["shell", "--exporter-config", config];
    if (mode === "direct") {
      const identity = await localhostIdentity();
      await Deno.writeTextFile(`${dir}/cert.pem`, identity.cert);
      await Deno.writeTextFile(`${dir}/key.pem`, identity.key);
      exporter = await startUntilLine(Deno.execPath(), {
        args: [
          ...jmpArgs,
          "run",
          "--exporter-config",
          config,
          "--tls-grpc-listener",
          "127.0.0.1:0",
          "--tls-cert",
          `${dir}/cert.pem`,
          "--tls-key",
          `${dir}/key.pem`,
        ],
        ready: (line) => /:\d+$/.test(line.trim()),
        timeoutMs: 120_000,
      });
      const port = exporter.line.trim().slice(exporter.line.trim().lastIndexOf(":") + 1);
      shellArgs = ["shell", "--tls-grpc", `localhost:${port}`, "--tls-grpc-ca", `${dir}/cert.pem`];
    }
    if (mode === "router") {
      const routed = await routerShell(dir, disk);
      shellArgs = routed.shellArgs;
      stopRouterMode = routed.stop;
    }
    // a 1 MiB image: what starting `jmp shell`, the exporter and `j` costs each flash
    const small = `${dir}/small.raw`;
    await runToEnd("sh", ["-c", `head -c 1M /dev/urandom > '${small}'`], { timeoutMs: 60_000 });
    const flash = (fastPath: boolean, source = image) => async () => {
      await Deno.remove(disk).catch(() => {});
      const env: Record<string, string> = { ...Deno.env.toObject() };
      delete env.JMP_DISABLE_FAST_PATH;
      if (!fastPath) env.JMP_DISABLE_FAST_PATH = "1";
      await runToEnd(Deno.execPath(), [
        ...jmpArgs,
        ...shellArgs,
        "--",
        "j",
        "storage",
        "flash",
        source,
      ], { env, timeoutMs: 600_000 });
    };
    const copy = async () => {
      await Deno.remove(disk).catch(() => {});
      await runToEnd("cp", [image, disk], { timeoutMs: 300_000 });
    };
    const copyAndSync = async () => {
      await copy();
      await runToEnd("sync", [disk], { timeoutMs: 300_000 });
    };
    const samples = {
      cp: [] as number[],
      cpSync: [] as number[],
      fast: [] as number[],
      grpc: [] as number[],
      startup: [] as number[],
    };
    for (let round = 0; round < rounds; round++) {
      samples.cp.push(await timed(copy));
      samples.cpSync.push(await timed(copyAndSync));
      samples.startup.push(await timed(flash(true, small)));
      for (const [name, fast] of [["fast", true], ["grpc", false]] as const) {
        samples[name].push(await timed(flash(fast)));
        const got = await sha256File(disk);
        if (got !== expected) throw new Error(`${name} flash round ${round}: disk differs`);
      }
    }
    const median = (xs: number[]) => latencySummary(xs).p50;
    const rate = (seconds: number) => mib / seconds;
    await exporter?.stop();
    console.log(
      `j storage flash of ${mib} MiB (raw image), ${mode} mode, median of ${rounds}, byte-exact each`,
    );
    for (
      const [name, label] of [
        ["cp", "cp image disk (baseline)"],
        ["cpSync", "cp image disk; sync disk"],
        ["fast", "flash, fast path"],
        ["grpc", "flash, gRPC (JMP_DISABLE_FAST_PATH=1)"],
      ] as const
    ) {
      const seconds = median(samples[name]);
      console.log(
        `  ${label.padEnd(40)} ${seconds.toFixed(2).padStart(7)} s  ${
          rate(seconds).toFixed(0).padStart(6)
        } MiB/s`,
      );
    }
    const startup = median(samples.startup);
    console.log(
      `  flash of a 1 MiB image (start-up)         ${startup.toFixed(2).padStart(7)} s\n` +
        `  fast path less start-up: ${rate(median(samples.fast) - startup).toFixed(0)} MiB/s, ` +
        `gRPC less start-up: ${rate(median(samples.grpc) - startup).toFixed(0)} MiB/s`,
    );
    console.log(
      `  fast path / gRPC: ${(median(samples.grpc) / median(samples.fast)).toFixed(2)}x faster;` +
        ` fast path / cp: ${(median(samples.cp) / median(samples.fast)).toFixed(2)}x`,
    );
  } finally {
    await exporter?.stop();
    await stopRouterMode?.();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
