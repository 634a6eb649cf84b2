/**
 * Our composite tree (nested children, a `ref:` proxy and upstream's `Proxy` form) driven by the
 * REAL upstream `j` (head and 0.7.0): it sees the same tree and reaches the same drivers.
 */
import assert from "node:assert/strict";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import type { MockPower } from "@jumpstarter/driver-power/driver";
import { upstreamPeer, type UpstreamVersion } from "./_peer.ts";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { CompositeClient } from "@jumpstarter/lib/client";

const PACKAGES = [powerPackage];
const driverRegistry = driverRegistryOf(PACKAGES);

const CONFIG = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  board:
    type: jumpstarter_driver_composite.driver.Composite
    children:
      power: { type: jumpstarter_driver_power.driver.MockPower }
  rack:
    children:
      psu: { type: jumpstarter_driver_power.driver.MockPower }
  main-power:
    ref: board.power
  psu-alias:
    type: jumpstarter_driver_composite.driver.Proxy
    config: { ref: rack.psu }
`;

for (const version of ["head", "0.7.0"] as UpstreamVersion[]) {
  Deno.test(`composite: upstream ${version}'s j walks our tree, proxies included`, async () => {
    const peer = upstreamPeer(version);
    const root = await buildDriverTree(parseExporterConfig(CONFIG, "tree.yaml"), {
      registry: driverRegistry,
    });
    await using served = await serve(root, CompositeClient, { packages: PACKAGES });
    const j = async (...args: string[]) => {
      const { code, stdout, stderr } = await new Deno.Command(peer.j, {
        args,
        env: { ...peer.env, JUMPSTARTER_HOST: served.address, JMP_DRIVERS_ALLOW: "UNSAFE" },
        stdin: "null",
        signal: AbortSignal.timeout(30_000),
      }).output();
      const text = new TextDecoder();
      assert.equal(code, 0, `j ${args.join(" ")} exited ${code}: ${text.decode(stderr)}`);
      return text.decode(stdout);
    };
    const help = await j("--help");
    for (const name of ["board", "rack", "main-power", "psu-alias"]) {
      assert.match(help, new RegExp(`^\\s+${name}\\b`, "m"), `j --help lacks ${name}:\n${help}`);
    }
    const board = root.children.get("board")!.children.get("power") as MockPower;
    const psu = root.children.get("rack")!.children.get("psu") as MockPower;
    await j("board", "power", "on");
    assert.equal(board.state, "on");
    await j("main-power", "off");
    assert.equal(board.state, "off", "the ref proxy reached another driver");
    await j("psu-alias", "on");
    assert.equal(psu.state, "on", "the Proxy entry reached another driver");
  });
}
