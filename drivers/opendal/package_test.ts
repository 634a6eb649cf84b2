/**
 * The package descriptor alone (explicit registries, no global one) builds both storage mux mocks
 * from upstream's class paths and gives each its client and `j` commands.
 */
import assert from "node:assert/strict";
import { cliBuilderOf, driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { driverPackage } from "./package.ts";
import type { MockStorageMux } from "./driver.ts";
import { StorageMuxClient, StorageMuxFlasherClient } from "./client.ts";
import { storageMuxCli, storageMuxFlasherCli } from "./cli.ts";
import { randomBytes, tempDir } from "./_testing/fs.ts";

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
