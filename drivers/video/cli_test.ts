/**
 * `j video state | snapshot` as upstream's `VideoClient.cli()` prints them, run in-process
 * against HttpVideo on the real ustreamer as the camera, and against an unreachable one.
 */
import assert from "node:assert/strict";
import type { DriverClient } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { finalize, jProgram } from "../../cli/commands/j.ts";
import { driverPackage } from "./package.ts";
import { jpegSize } from "./jpeg_size.ts";
import { freePort, startUStreamerCamera } from "./_testing/ustreamer_camera.ts";

const PACKAGES = [driverPackage];

async function serveCamera(url: string) {
  const config = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  video:
    type: jumpstarter_driver_video.driver.HttpVideo
    config:
      url: ${url}/stream
`;
  const root = await buildDriverTree(parseExporterConfig(config, "lab.yaml"), {
    registry: driverRegistryOf(PACKAGES),
  });
  return await serve(root, undefined, { packages: PACKAGES });
}

/** Runs `j ARGS...` in-process against the served tree; returns what it printed. */
async function runJ(root: DriverClient, args: string[]): Promise<string> {
  const printed: string[] = [];
  const program = finalize(jProgram(root, PACKAGES));
  program.configureOutput({
    writeOut: (text) => printed.push(text),
    writeErr: (text) => printed.push(text),
  });
  const log = console.log;
  console.log = (...items: unknown[]) => void printed.push(`${items.join(" ")}\n`);
  try {
    await program.parseAsync(args, { from: "user" });
  } finally {
    console.log = log;
  }
  return printed.join("");
}

Deno.test("j video state and snapshot print as upstream's", async () => {
  await using camera = await startUStreamerCamera();
  await using served = await serveCamera(camera.url);
  assert.equal(
    await runJ(served.client, ["video", "state"]),
    "Online:     True\nResolution: 640x480\n",
  );
  const dir = await Deno.makeTempDir();
  try {
    const output = `${dir}/frame.jpg`;
    assert.equal(
      await runJ(served.client, ["video", "snapshot", "-o", output]),
      `Saved snapshot to ${output}\n`,
    );
    assert.deepEqual(jpegSize(await Deno.readFile(output)), { width: 640, height: 480 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("j video state of an unreachable camera says offline", async () => {
  await using served = await serveCamera(`http://127.0.0.1:${freePort()}`);
  assert.equal(await runJ(served.client, ["video", "state"]), "Online:     False\n");
});
