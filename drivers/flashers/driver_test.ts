/**
 * BaseFlasher in-process, through the typed client, on a bundle laid out as upstream's test
 * bundle (its manifest, 1/2/3/4 KiB zero files): files land in the TFTP root, file names,
 * addresses, boot commands per DTB variant, bad variants, missing children, OCI layouts and
 * registry references; the presets load from upstream's class paths, and upstream's example
 * exporter config (testdata/upstream_exporter.yaml, upstream's file) loads.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cliBuilderOf, driverRegistryOf, uniqueDrivers } from "@jumpstarter/lib/driver";
import { driverRegistry } from "../../cli/driver_packages.ts";
import { CompositeClient } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { DriverError, InvalidArgumentError } from "@jumpstarter/lib/wire";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { driverPackage as tftpPackage } from "@jumpstarter/driver-tftp/package";
import { driverPackage as httpPackage } from "@jumpstarter/driver-http/package";
import { driverPackage as ubootPackage } from "@jumpstarter/driver-uboot/package";
import { writeOciLayout, writeTestBundle } from "./_testing/bundle.ts";
import { driverPackage as opendalPackage } from "@jumpstarter/driver-opendal/package";
import { driverPackage } from "./package.ts";
import { BaseFlasherClient } from "./client.ts";
import { flasherCli } from "./cli.ts";
import { BaseFlasher } from "./driver.ts";

const TI_BUNDLE = "quay.io/jumpstarter-dev/jumpstarter-flasher-ti-j784s4:latest";

const PACKAGES = [
  driverPackage,
  powerPackage,
  tftpPackage,
  httpPackage,
  ubootPackage,
  opendalPackage,
];
function config(work: string, type: string, bundle: string, children = true): string {
  return `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  power:
    type: jumpstarter_driver_power.driver.MockPower
  storage:
    type: ${type}
    config:
      flasher_bundle: ${bundle}
      cache_dir: ${work}/cache
      tftp_dir: ${work}/tftp
      http_dir: ${work}/http
      default_target: emmc
${
    children
      ? `    children:
      serial: { ref: power }
      power: { ref: power }
`
      : ""
  }`;
}

async function serveFlasher(work: string, bundle: string, options: {
  type?: string;
  children?: boolean;
} = {}) {
  const type = options.type ?? "jumpstarter_driver_flashers.driver.BaseFlasher";
  const text = config(work, type, bundle, options.children ?? true);
  const root = await buildDriverTree(parseExporterConfig(text, "lab.yaml"), {
    registry: driverRegistryOf(PACKAGES),
  });
  const served = await serve(root, CompositeClient, { packages: PACKAGES });
  return { served, flasher: served.client.child("storage", BaseFlasherClient) };
}

async function withWork(body: (work: string) => Promise<void>): Promise<void> {
  const work = await Deno.makeTempDir({ prefix: "flashers-driver-" });
  try {
    await body(work);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

Deno.test("setup_flasher_bundle puts the kernel, initramfs and default DTB in the TFTP root", async () => {
  await withWork(async (work) => {
    await writeTestBundle(join(work, "bundle"));
    const { served, flasher } = await serveFlasher(work, join(work, "bundle"));
    await using _ = served;
    assert.equal(cliBuilderOf(PACKAGES, flasher), flasherCli);
    assert.deepEqual([...flasher.children.keys()].sort(), [
      "http",
      "power",
      "serial",
      "tftp",
      "uboot",
    ]);
    // the made uboot child drives the flasher's own power and serial
    assert.deepEqual([...flasher.uboot.children.keys()].sort(), ["power", "serial"]);
    await flasher.setupFlasherBundle();
    const sizes: Record<string, number> = {};
    for await (const entry of Deno.readDir(join(work, "tftp"))) {
      sizes[entry.name] = (await Deno.stat(join(work, "tftp", entry.name))).size;
    }
    assert.deepEqual(sizes, { kernel: 1024, initramfs: 2048, "test-dtb.dtb": 3072 });
    assert.equal(await flasher.getDefaultTarget(), "emmc");
    assert.equal(await flasher.call("get_kernel_filename"), "kernel");
    assert.equal(await flasher.call("get_initram_filename"), "initramfs");
    assert.equal(await flasher.call("get_dtb_filename"), "test-dtb.dtb");
    assert.equal(await flasher.call("get_kernel_address"), "0x82000000");
    assert.equal(await flasher.call("get_initram_address"), "0x83000000");
    assert.equal(await flasher.call("get_dtb_address"), "0x84000000");
    assert.equal(await flasher.getBootcmd(), "booti 0x82000000 - 0x84000000");
    assert.equal((await flasher.manifest()).data.metadata.name, "test-bundle");
  });
});

Deno.test("use_dtb_variant switches the DTB and boot command; an unknown one is INVALID_ARGUMENT", async () => {
  await withWork(async (work) => {
    await writeTestBundle(join(work, "bundle"));
    const { served, flasher } = await serveFlasher(work, join(work, "bundle"));
    await using _ = served;
    await flasher.useDtbVariant("alternate");
    assert.equal(await flasher.call("get_dtb_filename"), "alternate.dtb");
    await flasher.setupFlasherBundle();
    assert.equal((await Deno.stat(join(work, "tftp/alternate.dtb"))).size, 4096);
    await flasher.useDtbVariant("othercmd");
    assert.equal(await flasher.getBootcmd(), "bootm");
    assert.equal(await flasher.call("get_dtb_filename"), "");
    await assert.rejects(
      flasher.useDtbVariant("nope"),
      (error) =>
        error instanceof InvalidArgumentError &&
        /DTB variant nope not found in the flasher bundle, available variants are/.test(
          error.message,
        ),
    );
    await assert.rejects(flasher.call("set_dtb", null), DriverError);
    await assert.rejects(flasher.dump("out.img"), /not implemented/);
  });
});

Deno.test("without serial and power the bundle setup says what is missing", async () => {
  await withWork(async (work) => {
    await writeTestBundle(join(work, "bundle"));
    const { served, flasher } = await serveFlasher(work, join(work, "bundle"), {
      children: false,
    });
    await using _ = served;
    await assert.rejects(
      flasher.setupFlasherBundle(),
      /'serial' instance is required for BaseFlasher either via a ref or a direct child/,
    );
  });
});

Deno.test("an OCI image layout bundle is unpacked into cache_dir (TI preset's class path)", async () => {
  await withWork(async (work) => {
    await writeTestBundle(join(work, "bundle"));
    await writeOciLayout(join(work, "layout"), join(work, "bundle"));
    const { served, flasher } = await serveFlasher(work, `oci:${join(work, "layout")}`, {
      type: "jumpstarter_driver_flashers.driver.TIJ784S4Flasher",
    });
    await using _ = served;
    await flasher.setupFlasherBundle();
    assert.equal((await Deno.stat(join(work, "tftp/initramfs"))).size, 2048);
    assert.equal(await flasher.getBootcmd(), "booti 0x82000000 - 0x84000000");
  });
});

Deno.test("a registry reference (the presets' default) is refused with what to do instead", async () => {
  await withWork(async (work) => {
    const { served, flasher } = await serveFlasher(
      work,
      "quay.io/jumpstarter-dev/jumpstarter-flasher-rcar-s4:latest",
      { type: "jumpstarter_driver_flashers.driver.RCarS4Flasher" },
    );
    await using _ = served;
    await assert.rejects(
      flasher.setupFlasherBundle(),
      /pulling bundles from an OCI registry is not supported here; set flasher_bundle to a local/,
    );
  });
});

Deno.test("upstream's example exporter config loads with the program's packages (serial URL swapped for loop://)", async () => {
  const upstream = await Deno.readTextFile(
    new URL("./testdata/upstream_exporter.yaml", import.meta.url),
  );
  // the only change: its FTDI serial adapter does not exist here
  const text = upstream.replace(/url: ".*"/, 'url: "loop://"');
  assert.notEqual(text, upstream);
  const root = await buildDriverTree(parseExporterConfig(text, "exporter.yaml"), {
    registry: driverRegistry,
  });
  try {
    const storage = root.children.get("storage");
    assert.ok(storage instanceof BaseFlasher);
    assert.equal(storage.config.flasher_bundle, TI_BUNDLE);
    assert.deepEqual([...storage.children.keys()].sort(), [
      "http",
      "power",
      "serial",
      "tftp",
      "uboot",
    ]);
    assert.equal(storage.children.get("serial"), root.children.get("serial"));
  } finally {
    for (const driver of uniqueDrivers(root).reverse()) await driver.close();
  }
});
