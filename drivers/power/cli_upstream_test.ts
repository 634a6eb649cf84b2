/**
 * `j power read -n/-i` and `j power off --destroy`, run as commands: our `j` (bin/j) and the REAL
 * upstream head `j`, against the same exporter, print the same and send the same.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import {
  compositeType,
  Driver,
  type Driver as RootDriver,
  driverRegistryOf,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { serve } from "@jumpstarter/lib/testing";
import { upstreamPeer } from "../../tests/upstream/_peer.ts";
import { virtualPowerInterface } from "./interface.ts";
import type { PowerReading } from "./types.ts";
import { driverPackage } from "./package.ts";
import { CompositeClient } from "@jumpstarter/lib/client";

const PACKAGES = [driverPackage];
const driverRegistry = driverRegistryOf(PACKAGES);

const OUR_J = fileURLToPath(new URL("../../bin/j", import.meta.url));
const COMMAND_TIMEOUT_MS = 60_000;

interface Ran {
  stdout: string;
  /** Wall time of the whole command, milliseconds. */
  elapsed: number;
}

async function runJ(program: string, host: string, args: string[], env = {}): Promise<Ran> {
  const started = performance.now();
  const { code, stdout, stderr } = await new Deno.Command(program, {
    args,
    env: { ...env, JUMPSTARTER_HOST: host, JMP_DRIVERS_ALLOW: "UNSAFE" },
    stdin: "null",
    signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS),
  }).output();
  const text = new TextDecoder();
  assert.equal(
    code,
    0,
    `${program} ${args.join(" ")} exited ${code}: ${text.decode(stderr)}`,
  );
  return { stdout: text.decode(stdout), elapsed: performance.now() - started };
}

/** Virtual power that records what `off` was asked (as a QEMU target's power child would). */
class RecordingVirtualPower extends Driver {
  readonly interface = virtualPowerInterface;
  readonly offCalls: (boolean | undefined)[] = [];

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(virtualPowerInterface, {
      on: () => {},
      off: (destroy) => void this.offCalls.push(destroy),
      read: async function* (): AsyncGenerator<PowerReading> {},
    });
  }
}

async function servedLab(): Promise<{ root: RootDriver; close(): Promise<void>; host: string }> {
  const yaml = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  power: { type: jumpstarter_driver_power.driver.MockPower }
`;
  const root = await buildDriverTree(parseExporterConfig(yaml, "lab.yaml"), {
    registry: driverRegistry,
  });
  const served = await serve(root, CompositeClient, { packages: PACKAGES });
  return { root, host: served.address, close: () => served.close() };
}

Deno.test("j power read -n 2 -i 0.4 prints as upstream's j, two rounds an interval apart", async () => {
  const peer = upstreamPeer("head");
  const lab = await servedLab();
  try {
    const args = ["power", "read", "-n", "2", "-i", "0.4"];
    const ours = await runJ(OUR_J, lab.host, args);
    const theirs = await runJ(peer.j, lab.host, args, peer.env);
    const round = "voltage=0.0 V  current=0.0 A  apparent_power=0.0 VA\n" +
      "voltage=5.0 V  current=2.0 A  apparent_power=10.0 VA\n";
    assert.equal(theirs.stdout, round.repeat(2));
    assert.equal(ours.stdout, theirs.stdout);
    assert.ok(ours.elapsed >= 400, `two rounds took only ${ours.elapsed} ms`);
    const long = await runJ(OUR_J, lab.host, ["power", "read", "--count", "3", "--interval", "0"]);
    assert.equal(long.stdout, round.repeat(3));
  } finally {
    await lab.close();
  }
});

Deno.test("j power read refuses a count that is no whole number, naming it", async () => {
  const lab = await servedLab();
  try {
    const { code, stderr } = await new Deno.Command(OUR_J, {
      args: ["power", "read", "-n", "two"],
      env: { JUMPSTARTER_HOST: lab.host, JMP_DRIVERS_ALLOW: "UNSAFE" },
      stdin: "null",
      signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS),
    }).output();
    const message = new TextDecoder().decode(stderr);
    assert.notEqual(code, 0);
    assert.match(message, /expected a whole number of readings, got "two"/);
    assert.doesNotMatch(message, /\n\s+at /, "a stack trace was printed");
  } finally {
    await lab.close();
  }
});

Deno.test("j power off --destroy sends destroy=true from our j and upstream's; plain off sends false", async () => {
  const peer = upstreamPeer("head");
  const driver = new RecordingVirtualPower();
  const root = compositeType.create({}, {});
  root.addChild("power", driver);
  await using served = await serve(root, CompositeClient, { packages: PACKAGES });
  await runJ(OUR_J, served.address, ["power", "off", "--destroy"]);
  await runJ(OUR_J, served.address, ["power", "off"]);
  await runJ(peer.j, served.address, ["power", "off", "--destroy"], peer.env);
  await runJ(peer.j, served.address, ["power", "off"], peer.env);
  assert.deepEqual(driver.offCalls, [true, false, true, false]);
});
