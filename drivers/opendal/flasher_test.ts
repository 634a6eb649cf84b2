/**
 * MockFlasher through a real session with FlasherClient and its `j` commands: per-partition
 * files ("default" when none), `{target: file}` maps, images compressed by the real tools, a URL
 * the exporter fetches, and the errors upstream raises.
 */
import assert from "node:assert/strict";
import type { Command } from "commander";
import { randomBytes, serve } from "@jumpstarter/lib/testing";
import { InvalidArgumentError } from "@jumpstarter/lib/wire";
import { DriverError } from "@jumpstarter/lib/wire";
import { MockFlasher } from "./flasher_driver.ts";
import { FlasherClient } from "./flasher_client.ts";
import { flasherCli, targetMap } from "./flasher_cli.ts";
import { compressWith, fileDigest, writeImage } from "./_testing/images.ts";
import { tempDir } from "./_testing/fs.ts";

async function serveFlasher() {
  const driver = new MockFlasher();
  const served = await serve(driver, FlasherClient);
  return { driver, client: served.client, [Symbol.asyncDispose]: () => served.close() };
}

Deno.test("MockFlasher keeps one file per partition, default when none", async () => {
  await using dir = await tempDir();
  await using served = await serveFlasher();
  const { client, driver } = served;
  const boot = randomBytes(300_000);
  const root = randomBytes(700_001);
  await Deno.writeFile(dir.join("boot.img"), boot);
  await Deno.writeFile(dir.join("root.img"), root);

  await client.flash(dir.join("boot.img"));
  assert.deepEqual(await Deno.readFile(driver.partitionPath(null)), boot);
  await client.flash({ bios: dir.join("boot.img"), rootfs: dir.join("root.img") });
  assert.deepEqual(await Deno.readFile(driver.partitionPath("bios")), boot);
  assert.deepEqual(await Deno.readFile(driver.partitionPath("rootfs")), root);
  await client.flash(dir.join("root.img"), { target: "other" });
  assert.deepEqual(await Deno.readFile(driver.partitionPath("other")), root);

  await client.dump(dir.join("dumped-default.img"));
  assert.deepEqual(await Deno.readFile(dir.join("dumped-default.img")), boot);
  await client.dump(dir.join("dumped-rootfs.img"), { target: "rootfs" });
  assert.deepEqual(await Deno.readFile(dir.join("dumped-rootfs.img")), root);
});

Deno.test("FlasherClient --compression: xz and gzip images are decoded on the exporter; dumps encoded", async () => {
  await using dir = await tempDir();
  await using served = await serveFlasher();
  const raw = dir.join("disk.img");
  await writeImage(raw, 4 * 1024 * 1024);
  const expected = await fileDigest(raw);
  for (const tool of ["xz", "gzip"] as const) {
    const compressed = await compressWith(tool, raw);
    await served.client.flash(compressed, { target: tool, compression: tool });
    assert.deepEqual(await fileDigest(served.driver.partitionPath(tool)), expected);
  }
  // without --compression the bytes are flashed as they are, as upstream
  const gz = await compressWith("gzip", raw);
  await served.client.flash(gz, { target: "as-is" });
  assert.deepEqual(await fileDigest(served.driver.partitionPath("as-is")), await fileDigest(gz));

  await served.client.dump(dir.join("dump.img.gz"), { target: "xz", compression: "gzip" });
  const unpacked = await new Deno.Command("gzip", {
    args: ["-dc", dir.join("dump.img.gz")],
    stdout: "piped",
  }).output();
  assert.ok(unpacked.success);
  await Deno.writeFile(dir.join("dump.img"), unpacked.stdout);
  assert.deepEqual(await fileDigest(dir.join("dump.img")), expected);
});

Deno.test("FlasherClient: an http:// image is fetched by the exporter, as upstream", async () => {
  await using served = await serveFlasher();
  const image = randomBytes(1_000_003);
  const requests: string[] = [];
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    requests.push(`${req.method} ${new URL(req.url).pathname}`);
    return new Response(image as Uint8Array<ArrayBuffer>);
  });
  const url = `http://127.0.0.1:${server.addr.port}/images/board.img`;
  await served.client.flash(url, { target: "emmc" });
  assert.deepEqual(requests, ["GET /images/board.img"]);
  assert.deepEqual(await Deno.readFile(served.driver.partitionPath("emmc")), image);
  await assert.rejects(
    served.client.flash(url, { compression: "xz" }),
    /Cannot flash http:\S+ with --compression: the exporter fetches a URL as it is/,
  );
});

Deno.test("FlasherClient and MockFlasher errors are one clear line", async () => {
  await using dir = await tempDir();
  await using served = await serveFlasher();
  await Deno.writeFile(dir.join("a.img"), randomBytes(10));
  await assert.rejects(
    served.client.flash({ a: dir.join("a.img") }, { target: "x" }),
    (error: unknown) =>
      error instanceof InvalidArgumentError &&
      error.message === "'target' parameter is not valid when flashing multiple images",
  );
  await assert.rejects(
    served.client.dump(dir.join("never.img"), { target: "never" }),
    (error: unknown) =>
      error instanceof DriverError &&
      error.message === "Cannot dump partition never: nothing was flashed to it",
  );
  await assert.rejects(Deno.stat(dir.join("never.img")), Deno.errors.NotFound);
  await assert.rejects(
    served.client.flash(dir.join("a.img"), { target: "../escape" }),
    (error: unknown) =>
      error instanceof InvalidArgumentError &&
      error.message ===
        'Invalid partition "../escape": it must be a plain name (no "/", not "." or "..")',
  );
  await assert.rejects(
    served.client.flash(dir.join("missing.img")),
    /Cannot open image \S+missing\.img: no such file/,
  );
  assert.throws(() => targetMap(["nocolon"]), /Invalid target spec 'nocolon', expected name:file/);
});

function quiet(program: Command): Command {
  for (const command of [program, ...program.commands]) {
    command.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  }
  return program;
}

Deno.test("flasherCli: flash -t name:file ... and dump --target, with progress per image", async () => {
  await using dir = await tempDir();
  await using served = await serveFlasher();
  const kernel = randomBytes(200_000);
  const rootfs = randomBytes(400_000);
  await Deno.writeFile(dir.join("kernel"), kernel);
  await Deno.writeFile(dir.join("rootfs"), rootfs);
  const labels: string[] = [];
  const program = quiet(flasherCli(served.client, "flasher", {
    progress: (label) => {
      labels.push(label);
      return () => {};
    },
  }));
  await program.parseAsync([
    "flash",
    "-t",
    `kernel:${dir.join("kernel")}`,
    "--target",
    `rootfs:${dir.join("rootfs")}`,
  ], { from: "user" });
  assert.deepEqual(await Deno.readFile(served.driver.partitionPath("kernel")), kernel);
  assert.deepEqual(await Deno.readFile(served.driver.partitionPath("rootfs")), rootfs);
  assert.deepEqual(labels, ["Flashing kernel", "Flashing rootfs"]);

  await program.parseAsync(["dump", dir.join("out"), "--target", "rootfs"], { from: "user" });
  assert.deepEqual(await Deno.readFile(dir.join("out")), rootfs);
  await assert.rejects(
    program.parseAsync(["flash"], { from: "user" }),
    /FILE argument is required unless --target\/-t is used/,
  );
});
