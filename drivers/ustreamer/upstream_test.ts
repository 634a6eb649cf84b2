/**
 * Upstream head's client library against our UStreamer with the real ustreamer: its DriverCall
 * gets the state document upstream's `UStreamerState` reads, a base64 JPEG snapshot and the stream
 * path, and its Stream code reads an MJPEG frame through `connect`. Head only: the peer has no
 * uStreamer client package, and only head stands in a stub for a missing one (0.7.0 fails to build
 * its client tree).
 */
import assert from "node:assert/strict";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { serve } from "@jumpstarter/lib/testing";
import { upstreamPeer, type UpstreamVersion } from "../../tests/upstream/_peer.ts";
import { driverPackage } from "./package.ts";

const SCRIPT = new URL("./_testing/upstream_wire_client.py", import.meta.url).pathname;
const CONFIG = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  ustreamer:
    type: jumpstarter_driver_ustreamer.driver.UStreamer
`;

for (const version of ["head"] as UpstreamVersion[]) {
  Deno.test(`upstream ${version}'s client reads our UStreamer's state, snapshot and stream`, async () => {
    const peer = upstreamPeer(version);
    const root = await buildDriverTree(parseExporterConfig(CONFIG, "lab.yaml"), {
      registry: driverRegistryOf([driverPackage]),
    });
    await using served = await serve(root);
    const output = await new Deno.Command(peer.python, {
      args: [SCRIPT],
      env: { ...peer.env, JUMPSTARTER_HOST: served.address },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const text = new TextDecoder();
    assert.ok(output.success, `upstream client failed: ${text.decode(output.stderr)}`);
    const result = JSON.parse(text.decode(output.stdout));
    assert.equal(result.client, "jumpstarter_driver_ustreamer.client.UStreamerClient");
    assert.deepEqual(result.state, {
      online: false,
      width: 640,
      height: 480,
      fps: 0,
      ok: true,
      result: {
        encoder: { type: "CPU", quality: 80 },
        source: {
          online: false,
          desired_fps: 0,
          captured_fps: 0,
          resolution: { width: 640, height: 480 },
        },
      },
    });
    assert.equal(result.snapshot_head, "ffd8");
    const noSignal = await Deno.readFile(new URL("./testdata/no_signal.jpeg", import.meta.url));
    assert.equal(result.snapshot_size, noSignal.length, "the no-signal frame, whole");
    assert.equal(result.stream_path, "/stream");
    assert.match(result.stream_status, /^HTTP\/1\.[01] 200 OK$/);
    assert.equal(result.frame_head, "ffd8");
  });
}
