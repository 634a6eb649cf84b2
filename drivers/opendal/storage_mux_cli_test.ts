import assert from "node:assert/strict";
import type { Command } from "commander";
import type { Progress, ProgressReporter } from "@jumpstarter/lib/streams";
import { serve } from "@jumpstarter/lib/testing";
import { MockStorageMux, MockStorageMuxFlasher } from "./driver.ts";
import { StorageMuxClient, StorageMuxFlasherClient } from "./storage_mux_client.ts";
import { storageMuxCli, storageMuxFlasherCli } from "./storage_mux_cli.ts";
import { compressWith, fileDigest, writeImage } from "./_testing/images.ts";
import { tempDir } from "./_testing/fs.ts";

interface ReporterCall {
  label: string;
  total: number | undefined;
  samples: Progress[];
}

/** A TTY-less progress reporter that records what it is asked to show. */
function recordingReporter(): { reporter: ProgressReporter; calls: ReporterCall[] } {
  const calls: ReporterCall[] = [];
  const reporter: ProgressReporter = (label, total) => {
    const call: ReporterCall = { label, total, samples: [] };
    calls.push(call);
    return (progress) => call.samples.push(progress);
  };
  return { reporter, calls };
}

function quiet(program: Command): Command {
  for (const command of [program, ...program.commands]) {
    command.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  }
  return program;
}

/** Runs `action` with console.log captured. */
async function captured(action: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    await action();
  } finally {
    console.log = log;
  }
  return lines;
}

Deno.test("storageMuxFlasherCli() flash shows progress over the compressed size and switches to dut", async () => {
  await using dir = await tempDir();
  const raw = dir.join("disk.img");
  await writeImage(raw, 4 * 1024 * 1024);
  const gz = await compressWith("gzip", raw);
  const expected = await fileDigest(raw);
  const target = dir.join("sd.img");
  const driver = new MockStorageMuxFlasher({ path: target });
  await using served = await serve(driver, StorageMuxFlasherClient);
  const { reporter, calls } = recordingReporter();
  const program = quiet(storageMuxFlasherCli(served.client, "storage", { progress: reporter }));

  const printed = await captured(() =>
    program.parseAsync(["flash", gz, "--sha256", expected.sha256, "--verify"], { from: "user" })
  );
  assert.deepEqual(printed, [
    `${expected.size} bytes written, sha256 ${expected.sha256} (verified)`,
  ]);
  assert.deepEqual(await fileDigest(target), expected);
  assert.equal(driver.state, "dut");
  const gzSize = (await Deno.stat(gz)).size;
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.label, "Flashing disk.img.gz");
  assert.equal(calls[0]!.total, gzSize);
  assert.equal(calls[0]!.samples.at(-1)?.transferred, gzSize);
  assert.equal(calls[0]!.samples.at(-1)?.done, true);

  const dumped = dir.join("out.img");
  await program.parseAsync(["dump", dumped], { from: "user" });
  assert.deepEqual(await fileDigest(dumped), expected);
  assert.equal(calls[1]?.label, "Dumping to out.img");
  assert.equal(calls[1]?.total, undefined);
  assert.equal(calls[1]?.samples.at(-1)?.transferred, expected.size);
  assert.equal(driver.state, "dut");

  await assert.rejects(
    program.parseAsync(["flash", gz, "--sha256", "123"], { from: "user" }),
    /expected 64 hexadecimal digits/,
  );
  await assert.rejects(
    program.parseAsync(["flash", gz, "--compression", "lz4"], { from: "user" }),
    /Allowed choices are gzip, xz, bz2, zstd/,
  );
  await assert.rejects(
    program.parseAsync(["flash", gz, "--sha256", "0".repeat(64)], { from: "user" }),
    /Checksum mismatch/,
  );
  assert.deepEqual(await fileDigest(target), expected);

  await program.parseAsync(["host"], { from: "user" });
  assert.equal(driver.state, "host");
  await program.parseAsync(["off"], { from: "user" });
  assert.equal(driver.state, "off");
  await captured(() => program.parseAsync(["write-local-file", raw], { from: "user" }));
  assert.equal(calls.at(-1)?.label, "Writing disk.img");
  assert.equal(calls.at(-1)?.total, expected.size);
  assert.equal(driver.state, "off", "write-local-file does not switch (as upstream)");
});

Deno.test("storageMuxCli() offers the mux commands without flash and dump", async () => {
  await using dir = await tempDir();
  const driver = new MockStorageMux({ path: dir.join("sd.img") });
  await using served = await serve(driver, StorageMuxClient);
  const { reporter } = recordingReporter();
  const program = quiet(storageMuxCli(served.client, "storage", { progress: reporter }));
  assert.deepEqual(program.commands.map((command) => command.name()), [
    "host",
    "dut",
    "off",
    "write-local-file",
  ]);
  await program.parseAsync(["dut"], { from: "user" });
  assert.equal(driver.state, "dut");
  await Deno.writeFile(dir.join("x.img"), new Uint8Array([1]));
  await assert.rejects(
    program.parseAsync(["write-local-file", dir.join("x.img")], { from: "user" }),
    /connected to the DUT/,
  );
});
