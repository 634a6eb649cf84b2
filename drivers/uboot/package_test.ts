/**
 * The package descriptor alone (explicit registries, no global one) builds UbootConsole from
 * upstream's class path and gives it `UbootConsoleClient` and its `j` commands; the client's
 * typed calls reach the driver's own methods and take per-call options. (The dialog with a real
 * U-Boot is in driver_test.ts.)
 */
import assert from "node:assert/strict";
import { cliBuilderOf, driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { DriverError } from "@jumpstarter/lib/wire";
import { driverPackage } from "./package.ts";
import { UbootConsole } from "./driver.ts";
import { UbootConsoleClient } from "./client.ts";
import { ubootCli } from "./cli.ts";

const CONFIG = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  uboot:
    type: jumpstarter_driver_uboot.driver.UbootConsole
    config: { prompt: "U-Boot>" }
`;

async function serveUboot() {
  const registry = driverRegistryOf([driverPackage]);
  const root = await buildDriverTree(parseExporterConfig(CONFIG, "lab.yaml"), { registry });
  assert.ok(root.children.get("uboot") instanceof UbootConsole);
  const clients = clientRegistryOf([driverPackage]);
  return await serve(root, undefined, { registry: clients });
}

Deno.test("driverPackage serves UbootConsole from upstream's class path to UbootConsoleClient", async () => {
  await using served = await serveUboot();
  const uboot = served.client.child("uboot", UbootConsoleClient);
  assert.equal(cliBuilderOf([driverPackage], uboot), ubootCli);
  assert.equal(uboot.dialogOnExporter, true);
  assert.equal(await uboot.getPrompt({ timeoutMs: 5000 }), "U-Boot>");
  // without its serial child the exporter-side dialog says what is missing
  await assert.rejects(
    uboot.runCommand("version", { timeout: 1, timeoutMs: 5000 }),
    (error) => error instanceof DriverError && /needs a child named "serial"/.test(error.message),
  );
});

Deno.test("UbootConsoleClient calls with an aborted signal reject with its reason", async () => {
  await using served = await serveUboot();
  const uboot = served.client.child("uboot", UbootConsoleClient);
  const reason = new Error("the test gave up");
  const signal = AbortSignal.abort(reason);
  await assert.rejects(uboot.rebootToConsole({ signal }), (error) => error === reason);
  await assert.rejects(uboot.setEnv("bootdelay", "3", { signal }), (error) => error === reason);
  assert.equal(await uboot.getPrompt(), "U-Boot>");
});
