/**
 * Drivers that reach their device over the network, served by an exporter running under exactly
 * the grants `jmp-exporter permissions` prints: Corellium against its API emulator (HTTPS and a
 * console websocket, its CA from `CORELLIUM_API_CA_FILE`), served by `jmp run`, which passes on
 * only the variables the grants name; Can and IsoTpPython on python-can's udp_multicast bus
 * against real python-can, both in a network namespace made for them (multicast on `lo`), and
 * two Cans on one virtual bus.
 */
import assert from "node:assert/strict";
import { serveConfined } from "./_permissions.ts";
import { pipeShows } from "./_confined_consoles.ts";
import { CorelliumEmulator, PROJECT } from "../drivers/corellium/_testing/corellium_emulator.ts";
import { CORELLIUM_VARIABLES } from "@jumpstarter/driver-corellium/package";
import type { CanClient, IsoTpClient } from "@jumpstarter/driver-can";
import { openExporter, UNSAFE_POLICY } from "@jumpstarter/lib/client";
import { clientRegistry } from "../cli/driver_packages.ts";
import { multicastNetns, startPeer } from "../drivers/can/_testing/python_can_peer.ts";

Deno.test("Corellium serves under exactly the printed grants: its API host, CA file and variables", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-corellium-" });
  try {
    await using emulator = await CorelliumEmulator.start();
    const caFile = `${dir}/ca.pem`;
    await Deno.writeTextFile(caFile, emulator.cert);
    await using served = await serveConfined(
      dir,
      "  rd1ae:\n    type: Corellium\n" +
        `    config: { project_id: "${PROJECT.name}", device_name: jmp-rd1ae, device_flavor: kronos }\n`,
      {
        env: {
          CORELLIUM_API_HOST: emulator.host,
          CORELLIUM_API_TOKEN: emulator.token,
          CORELLIUM_API_CA_FILE: caFile,
          CORELLIUM_API_RETRIES: "50",
          CORELLIUM_API_INTERVAL: "0.05",
        },
        byJmpRun: true,
      },
    );
    assert.deepEqual(served.grantsOf("rd1ae"), {
      env: CORELLIUM_VARIABLES,
      net: [emulator.host],
      read: [caFile],
    });
    await served.j(["rd1ae", "power", "on"]);
    assert.deepEqual([...emulator.instances.values()].map((instance) => instance.state), ["on"]);
    // the console's websocket, on the URL the API answered
    await pipeShows(served, "rd1ae serial", dir, "jmp-rd1ae console");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const GROUP = "239.74.163.2";

Deno.test("Can and IsoTpPython serve under exactly the printed grants: the group's port, or nothing for a virtual bus", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-can-" });
  try {
    // the exporter and python-can share a network namespace whose multicast stays on lo
    await using netns = await multicastNetns();
    const { process: peer, output } = startPeer(GROUP, netns.enter);
    await output.waitFor("ready");
    await using served = await serveConfined(
      dir,
      `  can:\n    type: Can\n    config: { channel: "${GROUP}", interface: udp_multicast }\n` +
        "  isotp:\n    type: IsoTpPython\n    config:\n" +
        `      channel: "${GROUP}"\n      interface: udp_multicast\n` +
        "      address: { addressing_mode: 0, txid: 0x7E0, rxid: 0x7E8 }\n" +
        // python-can's virtual buses: the exporter's own, in memory
        "  bench_a:\n    type: Can\n    config: { channel: bench }\n" +
        "  bench_b:\n    type: Can\n    config: { channel: bench }\n",
      { enter: netns.enter },
    );
    const multicast = { net: ["0.0.0.0:43113", `${GROUP}:43113`] };
    assert.deepEqual(
      ["can", "isotp", "bench_a", "bench_b"].map((path) => served.grantsOf(path)),
      [multicast, multicast, {}, {}],
    );
    // no j commands for CAN (upstream has none): the typed clients, as a test script drives it
    await using session = await openExporter(served.host, {
      registry: clientRegistry,
      policy: UNSAFE_POLICY,
    });
    const can = session.root.children.get("can") as CanClient;
    const isotp = session.root.children.get("isotp") as IsoTpClient;
    await can.setFilters([{ can_id: 0x124, can_mask: 0x7ff }]);
    await can.send({ arbitrationId: 0x123, isExtendedId: false, data: new Uint8Array([1, 2, 3]) });
    const answer = await can.recv(10);
    assert.deepEqual([answer?.arbitrationId, [...answer?.data ?? []]], [0x124, [3, 2, 1]]);
    const payload = Uint8Array.from({ length: 100 }, (_, index) => index);
    await isotp.start();
    await isotp.send(payload, 10);
    await output.waitFor("isotp received 100");
    assert.deepEqual(await isotp.recv(true, 10), payload.map((byte) => byte ^ 0xff));
    await can.send({ arbitrationId: 0x7ff, isExtendedId: false });
    assert.equal((await peer.status).code, 0, "the python-can peer ended cleanly");
    const bench = (name: string) => session.root.children.get(name) as CanClient;
    await bench("bench_a").send({ arbitrationId: 0x42, isExtendedId: false });
    assert.equal((await bench("bench_b").recv(10))?.arbitrationId, 0x42);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
