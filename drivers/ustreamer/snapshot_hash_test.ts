/**
 * A snapshot from the real ustreamer (no camera: its "no signal" frame) matches the stored
 * reference `testdata/no_signal.jpeg` by perceptual hash, through `ImageHash` and the `deno test`
 * helper, and does not match a different picture.
 */
import assert from "node:assert/strict";
import { AssertionError } from "node:assert";
import { serve } from "@jumpstarter/lib/testing";
import { averageHash, ImageHash, perceptualHash } from "@jumpstarter/imagehash";
import { assertScreenMatches } from "@jumpstarter/imagehash/testing";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { driverPackage } from "./package.ts";
import { UStreamerClient } from "./client.ts";

const NO_SIGNAL = new URL("./testdata/no_signal.jpeg", import.meta.url).pathname;
const CONFIG = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  ustreamer:
    type: jumpstarter_driver_ustreamer.driver.UStreamer
`;
const OTHER = new URL("../imagehash/testdata/shapes.png", import.meta.url).pathname;

Deno.test("the real ustreamer's snapshot matches the stored no-signal frame within tolerance", async () => {
  const config = parseExporterConfig(CONFIG, "lab.yaml");
  const root = await buildDriverTree(config, { registry: driverRegistryOf([driverPackage]) });
  await using served = await serve(root, undefined, {
    registry: clientRegistryOf([driverPackage]),
  });
  const client = served.client.child("ustreamer", UStreamerClient);
  for (const hashFunc of [averageHash, perceptualHash]) {
    const comparison = await new ImageHash(client, { hashFunc }).assertSnapshot(NO_SIGNAL, 1);
    assert.ok(comparison.diff <= 1, `${hashFunc.name}: diff ${comparison.diff}`);
    assert.deepEqual([comparison.snapshot.width, comparison.snapshot.height], [640, 480]);
  }
  await assertScreenMatches(client, NO_SIGNAL);

  const outdir = await Deno.makeTempDir();
  try {
    await assert.rejects(assertScreenMatches(client, OTHER, { outdir }), (error: Error) => {
      assert.ok(error instanceof AssertionError);
      assert.match(error.message, /^ustreamer\.assert_snapshot FAILED_shapes\.png: diff \d+ > /);
      return true;
    });
    const saved = (await Array.fromAsync(Deno.readDir(outdir))).map((entry) => entry.name).sort();
    assert.deepEqual(saved, ["DIFF_shapes.png", "FAILED_shapes.png"]);
  } finally {
    await Deno.remove(outdir, { recursive: true });
  }
});
