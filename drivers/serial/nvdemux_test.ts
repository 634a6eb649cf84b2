/**
 * NVDemuxSerial under upstream's class path, with a stand-in demuxer
 * (_testing/fake_nv_demuxer.sh: one socat pty pair per channel, announced as upstream's
 * demuxer does) on a pty "TCU device" found through a glob: two targets sharing one demuxer,
 * bytes both ways, upstream's `j` piping into it, the demuxer restarted when it dies, the
 * configs upstream refuses, and a missing device timing out.
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { Composite, driverRegistryOf } from "@jumpstarter/lib/driver";
import { serve } from "@jumpstarter/lib/testing";
import { DriverTimeoutError } from "@jumpstarter/lib/wire";
import { nvdemuxConfigSchema, NVDemuxSerial } from "./nvdemux.ts";
import { PySerialClient } from "./client.ts";
import { TtyPort } from "./tty_port.ts";
import { ptyPair, tempDir, waitFor } from "./_testing/pty.ts";
import { upstreamPeer } from "../../tests/upstream/_peer.ts";
import { driverPackage } from "./package.ts";

const PACKAGES = [driverPackage];
const driverRegistry = driverRegistryOf(PACKAGES);

const DEMUXER = new URL("./_testing/fake_nv_demuxer.sh", import.meta.url).pathname;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function readUntil(read: () => Promise<Uint8Array | null>, text: string): Promise<string> {
  let seen = "";
  while (!seen.includes(text)) {
    const chunk = await read();
    assert.ok(chunk, `ended before ${JSON.stringify(text)}; got ${JSON.stringify(seen)}`);
    seen += decoder.decode(chunk, { stream: true });
  }
  return seen;
}

function driver(config: Record<string, unknown>) {
  const type = driverRegistry.get(
    "jumpstarter_driver_pyserial.nvdemux.driver.NVDemuxSerial",
  );
  assert.equal(type?.name, "NVDemuxSerial");
  return new NVDemuxSerial(nvdemuxConfigSchema.parse(config));
}

Deno.test("NVDemuxSerial config: upstream's keys and defaults", () => {
  const config = nvdemuxConfigSchema.parse(parseYaml("demuxer_path: /opt/nv/nv_tcu_demuxer\n"));
  assert.deepEqual(config, {
    "demuxer_path": "/opt/nv/nv_tcu_demuxer",
    device: "/dev/serial/by-id/usb-NVIDIA_Tegra_On-Platform_Operator_*-if01",
    target: "CCPLEX: 0",
    chip: "T264",
    baudrate: 115200,
    timeout: 10,
    "poll_interval": 1,
  });
  assert.ok(!nvdemuxConfigSchema.safeParse({}).success, "demuxer_path is required");
});

Deno.test("NVDemuxSerial: two targets share one demuxer; bytes flow; restarts; upstream j pipes", async () => {
  await using dir = await tempDir();
  const board = `${dir.path}/board`;
  await Deno.mkdir(board);
  Deno.env.set("FAKE_DEMUX_BOARD_DIR", board);
  await using _tcu = await ptyPair(`${dir.path}/usb-NVIDIA_Tegra_X-if01`, `${dir.path}/tcu-peer`);
  const common = {
    "demuxer_path": DEMUXER,
    device: `${dir.path}/usb-NVIDIA_*-if01`,
    chip: "T234",
    "poll_interval": 0.2,
  };
  const root = new Composite();
  root.addChild("ccplex", driver({ ...common, target: "CCPLEX: 0" }));
  root.addChild("bpmp", driver({ ...common, target: "BPMP: 1" }));
  await using served = await serve(root, undefined, { packages: PACKAGES });

  for (const name of ["ccplex", "bpmp"]) {
    const stream = await served.client.child(name, PySerialClient).connect();
    const peer = await TtyPort.open(`${board}/${name}`, 115200);
    try {
      const writer = stream.writable.getWriter();
      await writer.write(encoder.encode(`to ${name}\n`));
      assert.match(await readUntil(() => peer.read(), "\n"), new RegExp(`^to ${name}\\n$`));
      await peer.write(encoder.encode(`from ${name}\n`));
      const reader = stream.readable.getReader();
      await readUntil(async () => (await reader.read()).value ?? null, `from ${name}\n`);
      await reader.cancel();
    } finally {
      await peer.close();
    }
  }
  assert.equal(
    await Deno.readTextFile(`${board}/args`),
    `T234 ${dir.path}/usb-NVIDIA_Tegra_X-if01\n`,
    "one demuxer, started with -m CHIP -d <the device the glob found>",
  );

  // the demuxer dies: it is started again and the target is reachable at its new pts
  const firstPid = (await Deno.readTextFile(`${board}/pid`)).trim();
  Deno.kill(Number(firstPid), "SIGTERM");
  await waitFor("a new demuxer", async () => {
    const pid = (await Deno.readTextFile(`${board}/pid`)).trim();
    return pid !== firstPid || undefined;
  });

  // upstream's j pipes stdin into our NVDemuxSerial (its client is upstream's PySerialClient)
  const peer = await waitFor(
    "the new ccplex pty",
    () => TtyPort.open(`${board}/ccplex`, 115200).catch(() => undefined),
  );
  try {
    const upstream = upstreamPeer("head");
    const j = await new Deno.Command(upstream.j, {
      args: ["ccplex", "pipe", "--no-output"],
      env: { ...upstream.env, JUMPSTARTER_HOST: served.address, JMP_DRIVERS_ALLOW: "UNSAFE" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).spawn();
    const stdin = j.stdin.getWriter();
    await stdin.write(encoder.encode("via upstream j\n"));
    await stdin.close();
    const { code, stderr } = await j.output();
    assert.equal(code, 0, decoder.decode(stderr));
    assert.equal(await readUntil(() => peer.read(), "\n"), "via upstream j\n");
  } finally {
    await peer.close();
  }
});

Deno.test("NVDemuxSerial refuses what upstream refuses; a missing device times out", async () => {
  await using dir = await tempDir();
  Deno.env.set("FAKE_DEMUX_BOARD_DIR", dir.path);
  const common = {
    "demuxer_path": DEMUXER,
    device: `${dir.path}/missing-*`,
    "poll_interval": 0.1,
    timeout: 0.5,
  };
  const first = driver({ ...common, target: "CCPLEX: 0" });
  await first.reset();
  try {
    const other = driver({ ...common, chip: "T234", target: "BPMP: 1" });
    assert.throws(() => other.reset(), /all drivers must share one demuxer: chip T234/);
    const twin = driver({ ...common, target: "CCPLEX: 0" });
    assert.throws(() => twin.reset(), /target "CCPLEX: 0" is already used/);
    await assert.rejects(
      first.connect(),
      (error: Error) =>
        error instanceof DriverTimeoutError &&
        error.message.includes(
          `Timeout waiting for demuxer to become ready (device pattern: ${dir.path}/missing-*)`,
        ),
    );
  } finally {
    await first.close();
  }
});
