/**
 * The shell descriptor builds and serves Shell with its client and CLI (no global registry), and
 * a call's per-call options reach the stream.
 */
import assert from "node:assert/strict";
import { cliBuilderOf, driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { DriverTimeoutError } from "@jumpstarter/lib/wire";
import { driverPackage } from "./package.ts";
import { ShellClient } from "./client.ts";
import { shellCli } from "./cli.ts";

const CONFIG = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  shell:
    type: jumpstarter_driver_shell.driver.Shell
    config:
      methods:
        greet: echo "hello $1"
        stall: exec sleep 60
`;

async function serveShell() {
  const packages = [driverPackage];
  const registry = driverRegistryOf(packages);
  const root = await buildDriverTree(parseExporterConfig(CONFIG, "lab.yaml"), { registry });
  const clients = clientRegistryOf(packages);
  const served = await serve(root, undefined, { registry: clients });
  return { served, shell: served.client.child("shell", ShellClient), packages };
}

Deno.test("driverPackage serves Shell with ShellClient and shellCli", async () => {
  const { served, shell, packages } = await serveShell();
  await using _served = served;
  let stdout = "";
  const code = await shell.run("greet", {
    args: ["lab"],
    onStdout: (text) => void (stdout += text),
  });
  assert.equal(code, 0);
  assert.equal(stdout, "hello lab\n");
  assert.equal(cliBuilderOf(packages, shell), shellCli);
});

Deno.test("ShellClient.run() with timeoutMs ends a call that outlasts it", async () => {
  const { served, shell } = await serveShell();
  await using _served = served;
  await assert.rejects(shell.run("stall", { timeoutMs: 300 }), DriverTimeoutError);
});
