/**
 * The bundle manifest against upstream's own manifests (testdata/manifests: upstream's test, TI
 * J784S4, R-Car S4 and aarch64-itb bundles, copied as data) and its errors.
 */
import assert from "node:assert/strict";
import { ConfigError } from "@jumpstarter/lib/config";
import { InvalidArgumentError } from "@jumpstarter/lib/wire";
import { FlasherManifest } from "./manifest.ts";

const manifests = new URL("./testdata/manifests/", import.meta.url);

async function load(name: string): Promise<FlasherManifest> {
  return FlasherManifest.parse(await Deno.readTextFile(new URL(name, manifests)), name);
}

Deno.test("upstream's test bundle manifest: files, addresses, login, variants and their boot commands", async () => {
  const manifest = await load("test.yaml");
  assert.equal(manifest.data.metadata.name, "test-bundle");
  assert.equal(manifest.kernelFile(), "data/kernel");
  assert.equal(manifest.kernelAddress(), "0x82000000");
  assert.equal(manifest.initramFile(), "data/initramfs");
  assert.equal(manifest.initramAddress(), "0x83000000");
  assert.equal(manifest.dtbAddress(), "0x84000000");
  assert.equal(manifest.dtbFile(), "data/dtbs/test-dtb.dtb");
  assert.equal(manifest.dtbFile("alternate"), "data/dtbs/alternate.dtb");
  assert.equal(manifest.dtbFile("othercmd"), null);
  assert.equal(manifest.bootCommand(), "booti 0x82000000 - 0x84000000");
  assert.equal(manifest.bootCommand("othercmd"), "bootm");
  assert.deepEqual(manifest.spec.login, {
    "login_prompt": "login:",
    username: "root",
    password: "password",
    prompt: "#",
  });
  assert.equal(manifest.target("usd"), "/sys/class/block#4fb0000");
  assert.equal(manifest.spec.preflash_commands.length, 2);
  assert.throws(() => manifest.bootCommand("nope"), InvalidArgumentError);
  assert.throws(() => manifest.target("nvme"), /Target nvme not found in manifest/);
});

Deno.test("the TI, R-Car and aarch64-itb bundle manifests load, with upstream's defaults", async () => {
  const ti = await load("ti_j784s4xevm.yaml");
  assert.equal(ti.initramFile(), null);
  assert.equal(ti.spec.login.password, null);
  assert.deepEqual(ti.spec.preflash_commands, []);
  assert.equal(ti.dtbFile(), "data/dtbs/k3-j784s4-evm.dtb");
  const rcar = await load("rcar_s4.yaml");
  assert.equal(rcar.dtbFile(), null);
  assert.equal(rcar.dtbAddress(), null);
  assert.equal(rcar.bootCommand("anything"), "bootm 0x58000000");
  assert.equal(rcar.target("emmc"), "/dev/mmcblk0");
  const itb = await load("aarch64_itb.yaml");
  assert.equal(itb.dtbFile(), null);
  assert.match(itb.bootCommand("am69"), /fdt-am69/);
});

Deno.test("a bad manifest is refused naming the file, line and field", () => {
  const text = `apiVersion: jumpstarter.dev/v1alpha1
kind: FlashBundleManifest
metadata: { name: broken }
spec:
  manufacturer: x
  link: null
  bootcmd: boot
  default_target: a
  targets: { a: /dev/sda }
  kernel: { file: k }
`;
  assert.throws(
    () => FlasherManifest.parse(text, "bundle/manifest.yaml"),
    (error) =>
      error instanceof ConfigError && /bundle\/manifest\.yaml:10/.test(error.message) &&
      /address/.test(error.message),
  );
  assert.throws(
    () => FlasherManifest.parse(text.replace("FlashBundleManifest", "Other"), "m.yaml"),
    (error) => error instanceof ConfigError && /kind/.test(error.message),
  );
});
