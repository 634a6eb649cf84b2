/**
 * The package descriptor alone (explicit registries, no global one) builds every driver type
 * (Opendal, MockFlasher, both storage mux mocks) from upstream's class paths and gives each its
 * client and `j` commands.
 */
import assert from "node:assert/strict";
import { cliBuilderOf, driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { randomBytes, serve } from "@jumpstarter/lib/testing";
import { driverPackage } from "./package.ts";
import type { MockStorageMux } from "./driver.ts";
import { StorageMuxClient, StorageMuxFlasherClient } from "./storage_mux_client.ts";
import { storageMuxCli, storageMuxFlasherCli } from "./storage_mux_cli.ts";
import { OpendalClient } from "./opendal_client.ts";
import { opendalCli } from "./opendal_cli.ts";
import { FlasherClient } from "./flasher_client.ts";
import { flasherCli } from "./flasher_cli.ts";
import { tempDir } from "./_testing/fs.ts";

Deno.test("driverPackage serves both storage mux mocks with their clients and CLIs", async () => {
  await using dir = await tempDir();
  const config = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  mux:
    type: jumpstarter_driver_opendal.driver.MockStorageMux
    config: { path: ${JSON.stringify(dir.join("mux.img"))} }
  sd:
    type: jumpstarter_driver_opendal.driver.MockStorageMuxFlasher
    config: { path: ${JSON.stringify(dir.join("sd.img"))} }
`;
  const packages = [driverPackage];
  const root = await buildDriverTree(parseExporterConfig(config, "lab.yaml"), {
    registry: driverRegistryOf(packages),
  });
  const clients = clientRegistryOf(packages);
  await using served = await serve(root, undefined, { registry: clients });

  const mux = served.client.child("mux", StorageMuxClient);
  assert.ok(!(mux instanceof StorageMuxFlasherClient));
  await mux.host({ timeoutMs: 10_000 });
  assert.equal((root.children.get("mux") as MockStorageMux).state, "host");
  assert.equal(cliBuilderOf(packages, mux), storageMuxCli);

  const sd = served.client.child("sd", StorageMuxFlasherClient);
  const image = randomBytes(100_000);
  const result = await sd.flash(ReadableStream.from([image]), {
    encoding: null,
    timeoutMs: 10_000,
  });
  assert.equal(result?.size, image.byteLength);
  assert.deepEqual(await Deno.readFile(dir.join("sd.img")), image);
  assert.equal((root.children.get("sd") as MockStorageMux).state, "dut");
  assert.equal(cliBuilderOf(packages, sd), storageMuxFlasherCli);
});

Deno.test("driverPackage builds Opendal and MockFlasher from upstream's class paths, with their clients and CLIs", async () => {
  await using dir = await tempDir();
  const config = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  storage:
    type: jumpstarter_driver_opendal.driver.Opendal
    config: { scheme: fs, kwargs: { root: ${JSON.stringify(dir.path)} } }
  memory:
    type: Opendal
    config: { scheme: memory, kwargs: {} }
  flasher:
    type: jumpstarter_driver_opendal.driver.MockFlasher
`;
  const packages = [driverPackage];
  const root = await buildDriverTree(parseExporterConfig(config, "lab.yaml"), {
    registry: driverRegistryOf(packages),
  });
  await using served = await serve(root, undefined, { registry: clientRegistryOf(packages) });

  const storage = served.client.child("storage", OpendalClient);
  assert.equal(storage.clientClass, "jumpstarter_driver_opendal.client.OpendalClient");
  assert.equal(cliBuilderOf(packages, storage), opendalCli);
  await storage.writeBytes("x.txt", new TextEncoder().encode("x"));
  assert.equal(await Deno.readTextFile(dir.join("x.txt")), "x");
  assert.equal(await served.client.child("memory", OpendalClient).exists("x.txt"), false);

  const flasher = served.client.child("flasher", FlasherClient);
  assert.equal(flasher.clientClass, "jumpstarter_driver_opendal.client.FlasherClient");
  assert.equal(cliBuilderOf(packages, flasher), flasherCli);
  const image = randomBytes(1000);
  await Deno.writeFile(dir.join("image"), image);
  await flasher.flash(dir.join("image"));
  await flasher.dump(dir.join("dumped"));
  assert.deepEqual(await Deno.readFile(dir.join("dumped")), image);
});

Deno.test("Opendal config errors name the file, line and field", async () => {
  const bad = (config: string) =>
    buildDriverTree(
      parseExporterConfig(
        `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  storage:
    type: jumpstarter_driver_opendal.driver.Opendal
    config: ${config}
`,
        "lab.yaml",
      ),
      { registry: driverRegistryOf([driverPackage]) },
    );
  await Promise.all([
    assert.rejects(bad("{ kwargs: {} }"), /^ConfigError: lab\.yaml:\d+:\d+: .*scheme/),
    assert.rejects(
      bad("{ scheme: nosuch, kwargs: {} }"),
      /Cannot use OpenDAL scheme "nosuch": scheme is not enabled or supported/,
    ),
    assert.rejects(bad("{ scheme: fs, kwargs: { root: 5 } }"), /kwargs values must be strings/),
  ]);
});

Deno.test("MockStorageMux with a path in a missing directory fails at load, naming file, line and path", async () => {
  await using dir = await tempDir();
  const missing = dir.join("no-such-dir", "sd.img");
  await assert.rejects(
    buildDriverTree(
      parseExporterConfig(
        `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  sd:
    type: jumpstarter_driver_opendal.driver.MockStorageMuxFlasher
    config: { path: ${JSON.stringify(missing)} }
`,
        "lab.yaml",
      ),
      { registry: driverRegistryOf([driverPackage]) },
    ),
    (error: Error) => {
      assert.match(error.message, /^lab\.yaml:\d+:\d+: /);
      assert.ok(
        error.message.includes(`directory ${dir.join("no-such-dir")} does not exist`),
        error.message,
      );
      return true;
    },
  );
  assert.deepEqual(await Array.fromAsync(Deno.readDir(dir.path)), []);
});
