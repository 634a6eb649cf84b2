/**
 * Upstream head's client against our DUT Link exporter (on the emulated board): its `j` switches
 * the power, and its Python client calls on, rescue and off, reaching the board as upstream's
 * driver would send them. (Upstream's peer has no opendal package, so it leaves `storage` out.)
 */
import assert from "node:assert/strict";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { driverPackage as opendalPackage } from "@jumpstarter/driver-opendal/package";
import { driverPackage as serialPackage } from "@jumpstarter/driver-serial/package";
import { upstreamPeer } from "../../tests/upstream/_peer.ts";
import { dutlinkPackageFor } from "./package.ts";
import { dutlinkLab } from "./_testing/lab.ts";

const CLIENT_SCRIPT = `from jumpstarter.utils.env import env
with env() as client:
    client.dutlink.power.on()
    client.dutlink.power.rescue()
    client.dutlink.power.off()
    print("done")
`;

Deno.test("upstream head's j and Python client drive our Dutlink's power, rescue included", async () => {
  const peer = upstreamPeer("head");
  await using lab = await dutlinkLab();
  const packages = [dutlinkPackageFor(lab.host), powerPackage, opendalPackage, serialPackage];
  const yaml = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  dutlink:
    type: jumpstarter_driver_dutlink.driver.Dutlink
    config: { storage_device: "${lab.board.storagePath}" }
`;
  const root = await buildDriverTree(parseExporterConfig(yaml, "lab.yaml"), {
    registry: driverRegistryOf(packages),
  });
  await using served = await serve(root, undefined, { registry: clientRegistryOf(packages) });
  const env = { ...peer.env, JUMPSTARTER_HOST: served.address, JMP_DRIVERS_ALLOW: "UNSAFE" };
  const run = async (program: string, args: string[]) => {
    const { code, stdout, stderr } = await new Deno.Command(program, {
      args,
      env,
      stdin: "null",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const text = new TextDecoder();
    assert.equal(code, 0, `${program} ${args.join(" ")} exited ${code}: ${text.decode(stderr)}`);
    return text.decode(stdout);
  };

  await run(peer.j, ["dutlink", "power", "on"]);
  assert.deepEqual(lab.board.actions, ["power on"]);
  // the same action again is skipped by the driver, as upstream's
  assert.equal(await run(peer.python, ["-c", CLIENT_SCRIPT]), "done\n");
  assert.deepEqual(lab.board.actions, ["power on", "power rescue", "power off"]);
});
