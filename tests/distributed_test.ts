/**
 * Distributed mode with three kinds of processes on loopback: jmp-controller, `jmp run`
 * exporters registered with it, and `jmp shell` clients leasing them through the router.
 */
import assert from "node:assert/strict";
import {
  assertExit,
  assertOutput,
  describe,
  jmp,
  type RunOptions,
  spawnJmp,
  tempDir,
  VIRTUAL_LAB,
  withTimeout,
} from "./_helpers.ts";
import {
  exporterStatus,
  makeClient,
  makeExporter,
  startController,
  STARTUP_MS,
  until,
} from "./_distributed.ts";

Deno.test("distributed: lease by label, j through the router, queue, release", async (t) => {
  await using dir = await tempDir();
  const controller = await startController(`${dir.path}/controller`);
  const exporterConfig = await makeExporter(controller.adminConfig, dir.path, "bench1", [
    "board=virt",
  ]);
  const alice = await makeClient(controller.adminConfig, dir.path, "alice");
  const bob = await makeClient(controller.adminConfig, dir.path, "bob");
  await using exporter = spawnJmp(["run", "--exporter-config", exporterConfig]);
  try {
    await until(
      "the exporter to be available",
      async () => (await exporterStatus(alice, "bench1")) === "AVAILABLE",
    );

    await t.step("lease by label and j power on through the router", async () => {
      const result = await jmp(
        ["shell", "--client-config", alice, "-l", "board=virt", "--", "j", "power", "on"],
        { timeoutMs: 60_000 },
      );
      assertExit(result, 0);
      assertOutput(result, "stderr", "acquired: exporter bench1");
    });

    await t.step("the exporter is available again after the release", async () => {
      await until(
        "the exporter to return",
        async () => (await exporterStatus(alice, "bench1")) === "AVAILABLE",
      );
      const leases = await jmp(["get", "leases", "--client-config", alice, "-o", "json"]);
      assertExit(leases, 0);
      assert.deepEqual(JSON.parse(leases.stdout), [], describe(leases));
    });

    await t.step(
      "a second client waits in the queue, sees its place, then gets the board",
      async () => {
        const holder = jmp(
          [
            "shell",
            "--client-config",
            alice,
            "-l",
            "board=virt",
            "--duration",
            "5m",
            "--",
            "sh",
            "-c",
            "j power on && sleep 4",
          ],
          { timeoutMs: 60_000 },
        );
        await until(
          "alice to hold the board",
          async () => (await exporterStatus(alice, "bench1")) === "LEASE_READY",
        );
        const waiter = jmp(
          ["shell", "--client-config", bob, "-l", "board=virt", "--", "j", "power", "off"],
          { timeoutMs: 60_000 },
        );
        const [held, waited] = await Promise.all([holder, waiter]);
        assertExit(held, 0);
        assertExit(waited, 0);
        assertOutput(waited, "stderr", "position 1 in the queue");
      },
    );

    await t.step("calls with a forged token are refused", async () => {
      const text = await Deno.readTextFile(alice);
      const forged = `${dir.path}/forged.yaml`;
      await Deno.writeTextFile(
        forged,
        text.replace(/token: (\S+)/, (_m, tok: string) => `token: ${tok.slice(0, -4)}AAAA`),
      );
      const result = await jmp(["get", "leases", "--client-config", forged]);
      assertExit(result, 1);
      assertOutput(result, "stderr", "invalid token");
    });
  } finally {
    await exporter.stop("SIGTERM", 20_000);
    await controller.stop();
  }
});

Deno.test("direct mode: passphrase required, j works with the right one", async () => {
  const options: RunOptions = { timeoutMs: 30_000 };
  await using server = spawnJmp([
    "run",
    "--exporter-config",
    VIRTUAL_LAB,
    "--tls-grpc-listener",
    "127.0.0.1:0",
    "--tls-grpc-insecure",
    "--passphrase",
    "s3cret",
  ]);
  const address = await withTimeout(server.firstLine, STARTUP_MS, "jmp run direct mode");
  const ok = await jmp(
    [
      "shell",
      "--tls-grpc",
      address,
      "--tls-grpc-insecure",
      "--passphrase",
      "s3cret",
      "--",
      "j",
      "power",
      "read",
    ],
    options,
  );
  assertExit(ok, 0);
  assertOutput(ok, "stdout", "voltage=5.0 V  current=2.0 A");
  const wrong = await jmp(
    ["shell", "--tls-grpc", address, "--tls-grpc-insecure", "--passphrase", "nope", "--", "true"],
    options,
  );
  assertExit(wrong, 1);
  assertOutput(wrong, "stderr", "invalid or missing passphrase");
  assertExit(await server.stop("SIGTERM"), 143);
});
