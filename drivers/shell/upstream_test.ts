/**
 * Our Shell and the REAL upstream Shell (head and 0.7.0), each served from the same YAML and
 * driven by our client: a method given only a description, and the status of an unknown method.
 */
import assert from "node:assert/strict";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { JumpstarterError } from "@jumpstarter/lib/wire";
import type { DriverClient } from "@jumpstarter/lib/client";
import { upstreamPeer, type UpstreamVersion } from "../../tests/upstream/_peer.ts";
import { serveWithUpstream } from "../../tests/upstream/_upstream_exporter.ts";
import { driverPackage } from "./package.ts";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { CompositeClient } from "@jumpstarter/lib/client";

const PACKAGES = [driverPackage];
const driverRegistry = driverRegistryOf(PACKAGES);

const CONFIG = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
metadata: { namespace: default, name: shell-compat }
endpoint: ""
token: ""
export:
  shell:
    type: jumpstarter_driver_shell.driver.Shell
    config:
      log_level: DEBUG
      shell: [sh, -c]
      methods:
        hi: echo hi
        described:
          description: "only a description"
`;

interface Observed {
  /** Output of the description-only method; `undefined` when the version has no dict form. */
  described: string | undefined;
  unknownCode: number | undefined;
  unknownMessage: string;
}

async function observe(root: DriverClient, dictForm = true): Promise<Observed> {
  const shell = root.children.get("shell");
  assert.ok(shell !== undefined, "the tree has no shell");
  let described: string | undefined;
  if (dictForm) {
    const items = await Array.fromAsync(shell.streamingCall("call_method", "described", {}));
    described = items.map((item) => (item as unknown[])[0]).join("");
  }
  let unknownCode: number | undefined;
  let unknownMessage = "";
  try {
    await Array.fromAsync(shell.streamingCall("call_method", "nope", {}));
  } catch (error) {
    unknownCode = (error as JumpstarterError).code;
    unknownMessage = (error as Error).message;
  }
  return { described, unknownCode, unknownMessage };
}

async function observeOurs(): Promise<Observed> {
  const root = await buildDriverTree(parseExporterConfig(CONFIG, "shell-compat.yaml"), {
    registry: driverRegistry,
  });
  await using served = await serve(root, CompositeClient, { packages: PACKAGES });
  return await observe(served.client);
}

for (const version of ["head", "0.7.0"] as UpstreamVersion[]) {
  Deno.test(`shell: ours answers as upstream ${version} (description-only method, unknown method)`, async () => {
    const peer = upstreamPeer(version);
    await using upstream = await serveWithUpstream(peer, CONFIG, PACKAGES);
    // 0.7.0 takes methods as plain strings only; the {command, description} form came later
    const dictForm = version === "head";
    const theirs = await observe(upstream.handle.root, dictForm);
    const ours = await observeOurs();
    if (dictForm) {
      assert.equal(theirs.described, "Hello\n", `upstream output: ${upstream.output()}`);
      assert.equal(ours.described, theirs.described);
    }
    assert.ok(theirs.unknownCode !== undefined, "upstream accepted an unknown method");
    assert.equal(ours.unknownCode, theirs.unknownCode, `upstream said: ${theirs.unknownMessage}`);
    assert.match(ours.unknownMessage, /'nope' not found/);
  });
}
