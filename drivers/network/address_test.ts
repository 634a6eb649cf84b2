/**
 * `address()` and `enable_address` (upstream since 0.7.1): our exporter asked by our client and
 * by upstream's `j` (HEAD), and our `j` asking upstream's exporters (HEAD has it, 0.7.0 does not).
 */
import assert from "node:assert/strict";
import { Composite, driverRegistryOf } from "@jumpstarter/lib/driver";
import { fileDeadline, serve } from "@jumpstarter/lib/testing";
import { InvalidArgumentError } from "@jumpstarter/lib/wire";
import { TcpNetwork, UdpNetwork, UnixNetwork } from "./driver.ts";
import { NetworkClient } from "./client.ts";
import { upstreamPeer, type UpstreamVersion } from "../../tests/upstream/_peer.ts";
import { serveWithUpstream } from "../../tests/upstream/_upstream_exporter.ts";
import { driverPackage } from "./package.ts";

const PACKAGES = [driverPackage];
const driverRegistry = driverRegistryOf(PACKAGES);

const decoder = new TextDecoder();
const REPO = decodeURIComponent(new URL("../../", import.meta.url).pathname);

async function j(
  which: "ours" | UpstreamVersion,
  host: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const peer = which === "ours" ? undefined : upstreamPeer(which);
  const output = await new Deno.Command(peer ? peer.j : `${REPO}bin/j`, {
    args,
    env: { ...(peer?.env ?? {}), JUMPSTARTER_HOST: host, JMP_DRIVERS_ALLOW: "UNSAFE" },
    stdin: "null",
    signal: AbortSignal.timeout(60_000),
  }).output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

function ourTree() {
  const root = new Composite();
  root.addChild("tcp", new TcpNetwork({ host: "127.0.0.1", port: 8080 }));
  root.addChild("tcp6", new TcpNetwork({ host: "::1", port: 2222 }));
  root.addChild("udp", new UdpNetwork({ host: "127.0.0.1", port: 5353 }));
  root.addChild("named", new TcpNetwork({ host: "localhost", port: 80 }));
  root.addChild("hidden", new TcpNetwork({ host: "127.0.0.1", port: 22, enable_address: false }));
  root.addChild("unix", new UnixNetwork({ path: "/tmp/nothing.sock" }));
  return root;
}

// many subprocesses in a row: 61 s on a busy two-core machine
fileDeadline(import.meta.url, 300_000);

Deno.test("enable_address: accepted on TcpNetwork/UdpNetwork (default true), refused elsewhere", () => {
  for (const type of ["TcpNetwork", "jumpstarter_driver_network.driver.UdpNetwork"]) {
    const config = driverRegistry.get(type)!.config;
    assert.deepEqual(config.parse({ host: "h", port: 1 }), {
      host: "h",
      port: 1,
      "enable_address": true,
    });
    assert.deepEqual(config.parse({ host: "h", port: 1, "enable_address": false }), {
      host: "h",
      port: 1,
      "enable_address": false,
    });
  }
  const unix = driverRegistry.get("UnixNetwork")!.config;
  assert.ok(!unix.safeParse({ path: "/x", "enable_address": true }).success);
});

Deno.test("our exporter's address(): our client, and upstream HEAD's j tcp address", async () => {
  await using served = await serve(ourTree(), undefined, { packages: PACKAGES });
  const child = (name: string) => served.client.child(name, NetworkClient);
  assert.equal(await child("tcp").address(), "tcp://127.0.0.1:8080");
  assert.equal(await child("tcp6").address(), "tcp://[::1]:2222");
  assert.equal(await child("udp").address(), "udp://127.0.0.1:5353");
  assert.match(await child("named").address(), /^tcp:\/\/(127\.0\.0\.1|\[::1\]):80$/);
  await assert.rejects(
    child("hidden").address(),
    (error: Error) =>
      error instanceof InvalidArgumentError &&
      /enable_address mode is not true/.test(error.message),
  );

  for (const which of ["ours", "head"] as const) {
    const plain = await j(which, served.address, ["tcp", "address"]);
    assert.equal(plain.code, 0, `${which}: ${plain.stderr}`);
    assert.equal(plain.stdout, "127.0.0.1:8080\n");
    assert.equal((await j(which, served.address, ["tcp6", "address", "--host"])).stdout, "::1\n");
    assert.equal((await j(which, served.address, ["tcp6", "address", "--port"])).stdout, "2222\n");
    assert.equal((await j(which, served.address, ["udp", "address"])).stdout, "127.0.0.1:5353\n");
    const refused = await j(which, served.address, ["hidden", "address"]);
    assert.notEqual(refused.code, 0, `${which}: address with enable_address false succeeded`);
    assert.match(refused.stderr, /enable_address mode is not true in the exporter configuration/);
  }
});

Deno.test("our j tcp address against upstream's exporters: HEAD answers, 0.7.0 is too old", async () => {
  const config = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
metadata: { namespace: default, name: net }
endpoint: ""
token: ""
export:
  tcp:
    type: jumpstarter_driver_network.driver.TcpNetwork
    config: { host: 127.0.0.1, port: 8080 }
  hidden:
    type: jumpstarter_driver_network.driver.TcpNetwork
    config: { host: 127.0.0.1, port: 8080, enable_address: false }
`;
  {
    await using head = await serveWithUpstream(upstreamPeer("head"), config, [driverPackage]);
    const tcp = head.handle.root.child("tcp", NetworkClient);
    assert.equal(await tcp.address(), "tcp://127.0.0.1:8080");
    const plain = await j("ours", head.socket, ["tcp", "address"]);
    assert.equal(plain.stdout, "127.0.0.1:8080\n", plain.stderr);
    assert.equal((await j("ours", head.socket, ["tcp", "address", "--port"])).stdout, "8080\n");
    const refused = await j("ours", head.socket, ["hidden", "address"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /enable_address mode is not true in the exporter configuration/);
  }
  {
    const old = config.replace(/\n {2}hidden:[\s\S]*$/, "\n");
    await using v070 = await serveWithUpstream(upstreamPeer("0.7.0"), old, [driverPackage]);
    const tooOld = await j("ours", v070.socket, ["tcp", "address"]);
    assert.equal(tooOld.code, 1);
    assert.match(tooOld.stderr, /update exporter to 0\.7\.1 or later/);
  }
});
