/**
 * `j storage flash` of a 1 GiB image inside `jmp shell --exporter-config` (local mode), with the
 * fast path (issue 11 item 3) and with `JMP_DISABLE_FAST_PATH=1` (gRPC frames), alternating for
 * `--rounds` rounds, next to a plain `cp` of the same image on the same disk as the baseline.
 * Every flash is checked byte-exact (sha256 of the disk against the image). The image is raw
 * (uncompressed), so the figure is the transport's, not xz's.
 *
 * Usage: `deno run -A bench/flash_fast_path.ts [--mib N] [--rounds N]`
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { latencySummary, positiveInt } from "./_measure.ts";
import { runToEnd } from "./_processes.ts";

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

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: { mib: { type: "string", default: "1024" }, rounds: { type: "string", default: "3" } },
  });
  const mib = positiveInt("mib", values.mib, 1024);
  const rounds = positiveInt("rounds", values.rounds, 3);
  const dir = await Deno.makeTempDir({ prefix: "jmp-flash-bench-" });
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
    const flash = (fastPath: boolean) => async () => {
      await Deno.remove(disk).catch(() => {});
      const env: Record<string, string> = { ...Deno.env.toObject() };
      delete env.JMP_DISABLE_FAST_PATH;
      if (!fastPath) env.JMP_DISABLE_FAST_PATH = "1";
      await runToEnd(Deno.execPath(), [
        "run",
        "-A",
        "--quiet",
        "--config",
        DENO_CONFIG,
        JMP_MAIN,
        "shell",
        "--exporter-config",
        config,
        "--",
        "j",
        "storage",
        "flash",
        image,
      ], { env, timeoutMs: 600_000 });
    };
    const copy = async () => {
      await Deno.remove(disk).catch(() => {});
      await runToEnd("cp", [image, disk], { timeoutMs: 300_000 });
    };
    const samples = { cp: [] as number[], fast: [] as number[], grpc: [] as number[] };
    for (let round = 0; round < rounds; round++) {
      samples.cp.push(await timed(copy));
      for (const [name, fast] of [["fast", true], ["grpc", false]] as const) {
        samples[name].push(await timed(flash(fast)));
        const got = await sha256File(disk);
        if (got !== expected) throw new Error(`${name} flash round ${round}: disk differs`);
      }
    }
    const median = (xs: number[]) => latencySummary(xs).p50;
    const rate = (seconds: number) => mib / seconds;
    console.log(`j storage flash of ${mib} MiB (raw image), median of ${rounds}, byte-exact each`);
    for (
      const [name, label] of [
        ["cp", "cp image disk (baseline)"],
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
    console.log(
      `  fast path / gRPC: ${(median(samples.grpc) / median(samples.fast)).toFixed(2)}x faster;` +
        ` fast path / cp: ${(median(samples.cp) / median(samples.fast)).toFixed(2)}x`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
