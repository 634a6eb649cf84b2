/**
 * The package descriptor alone (explicit registries, no global one) builds `Tftp` from
 * upstream's class path and gives it `TftpClient` and the TFTP `j` commands.
 */
import assert from "node:assert/strict";
import { cliBuilderOf, driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { driverPackage } from "./package.ts";
import { TftpClient } from "./client.ts";
import { tftpCli } from "./cli.ts";
import { patternBytes, sameFile, tempDir, tftpHpaGet } from "./_testing/tftp.ts";

Deno.test("driverPackage serves Tftp from its upstream class path with TftpClient and its CLI", async () => {
  await using dir = await tempDir();
  await using out = await tempDir();
  const config = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  tftp:
    type: jumpstarter_driver_tftp.driver.Tftp
    config: { root_dir: ${JSON.stringify(dir.path)}, host: 127.0.0.1, port: 0 }
`;
  const packages = [driverPackage];
  const root = await buildDriverTree(parseExporterConfig(config, "lab.yaml"), {
    registry: driverRegistryOf(packages),
  });
  const clients = clientRegistryOf(packages);
  await using served = await serve(root, undefined, { registry: clients });
  const tftp = served.client.child("tftp", TftpClient);
  await tftp.start({ timeoutMs: 10_000 });
  const kernel = patternBytes(100_000);
  await tftp.putFile("Image", ReadableStream.from([kernel]), { timeoutMs: 10_000 });
  const fetched = await tftpHpaGet(await tftp.getPort(), "Image", `${out.path}/Image`);
  assert.match(fetched.stdout, /Received 100000 bytes/);
  assert.ok(await sameFile(`${dir.path}/Image`, `${out.path}/Image`));
  assert.equal(cliBuilderOf(packages, tftp), tftpCli);
});
