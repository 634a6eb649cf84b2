/**
 * Issue 9 item 12: a bare `deno test` of a `jumpstarterTest({ selector })` suite leases a
 * matching board through the user's current client config (as upstream's `JumpstarterTest` with
 * a `selector`), runs its steps on it, and releases the lease afterwards.
 */
import assert from "node:assert/strict";
import { fileDeadline } from "@jumpstarter/lib/testing";
import { assertExit, DENO_CONFIG, describe, jmp, run, spawnJmp, tempDir } from "./_helpers.ts";
import {
  getLeases,
  makeExporter,
  readyState,
  startController,
  untilExporter,
} from "./_distributed.ts";

const SUITE = `
import assert from "node:assert/strict";
import { jumpstarterTest } from "@jumpstarter/lib/testing";
import { PowerClient } from "@jumpstarter/driver-power";
import { driverPackage as power } from "@jumpstarter/driver-power/package";

jumpstarterTest("the leased board", async (t, root, source) => {
  console.log("jumpstarter source: " + source);
  const power = root.child("power", PowerClient);
  await t.step("powers on", () => power.on());
  await t.step("reads", async () => {
    let readings = 0;
    for await (const _ of power.read()) readings++;
    assert.equal(readings, 2);
  });
  await t.step("powers off", () => power.off());
}, { packages: [power], selector: "board=virt" });
`;

// many subprocesses in a row: 75 s on a busy two-core machine
fileDeadline(import.meta.url, 300_000);

Deno.test("jumpstarterTest({ selector }) leases a board for the suite and releases it", async () => {
  await using dir = await tempDir();
  const controller = await startController(`${dir.path}/controller`);
  const exporterConfig = await makeExporter(controller.adminConfig, dir.path, "bench1", [
    "board=virt",
  ]);
  // the user's own client config, made current by --save (the only one in this home)
  const home = { JMP_CLIENT_CONFIG_HOME: `${dir.path}/home` };
  assertExit(
    await jmp([
      "admin",
      "create",
      "client",
      "alice",
      "--admin-config",
      controller.adminConfig,
      "--unsafe",
      "--save",
    ], { env: home, timeoutMs: 60_000 }),
    0,
  );
  const alice = `${dir.path}/home/clients/alice.yaml`;
  await using exporter = spawnJmp(["run", "--exporter-config", exporterConfig]);
  try {
    await untilExporter(alice, "bench1");
    // inside the repository, so that the workspace's import map applies
    const suite = `${dir.path}/board_suite_test.ts`;
    await Deno.writeTextFile(suite, SUITE);
    const result = await run(
      Deno.execPath(),
      ["test", "-A", "--config", DENO_CONFIG, suite],
      { env: home, unset: ["JUMPSTARTER_HOST", "JMP_LEASE"], timeoutMs: 120_000 },
    );
    assertExit(result, 0);
    assert.match(result.stdout, /jumpstarter source: lease/, describe(result));
    assert.match(result.stdout, /ok \| 1 passed \(3 steps\) \| 0 failed/, describe(result));
    // one lease, on bench1, ended by the release; the board is free again
    const leases = await getLeases(alice, true);
    assert.equal(leases.length, 1, JSON.stringify(leases));
    assert.equal(leases[0]!.exporter, "bench1");
    assert.equal(readyState(leases[0]!), "False/Released");
    assert.deepEqual(await getLeases(alice), [], "no lease left active");
    await untilExporter(alice, "bench1");
  } finally {
    await exporter.stop("SIGTERM", 20_000);
    await controller.stop();
  }
});
