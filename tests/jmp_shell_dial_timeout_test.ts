/**
 * Issue 9 item 11: `jmp shell --dial-timeout` bounds how long a connection keeps retrying `Dial`
 * while the leased exporter reports itself not ready (upstream's client retries FAILED_PRECONDITION
 * "not ready" until its dial timeout). The exporter is a raw gRPC stand-in that registers, keeps
 * its Status stream open and reports BEFORE_LEASE_HOOK_FAILED.
 */
import assert from "node:assert/strict";
import { ExporterStatus } from "@jumpstarter/protos";
import { assertExit, assertOutput, describe, jmp, tempDir } from "./_helpers.ts";
import {
  getLeases,
  identityMetadata,
  makeClient,
  rawChannel,
  readCredentials,
  readyState,
  startController,
  until,
  untilExporter,
} from "./_distributed.ts";

Deno.test("jmp shell --dial-timeout gives up on an exporter that stays not ready", async () => {
  await using dir = await tempDir();
  const controller = await startController(`${dir.path}/controller`);
  const alice = await makeClient(controller.adminConfig, dir.path, "alice");
  const created = await jmp([
    "admin",
    "create",
    "exporter",
    "stuck",
    "--admin-config",
    controller.adminConfig,
    "-l",
    "board=stuck",
    "--out",
    `${dir.path}/stuck.yaml`,
  ], { timeoutMs: 60_000 });
  assertExit(created, 0);
  const stuck = await readCredentials(`${dir.path}/stuck.yaml`);
  using exporter = await rawChannel(
    controller.endpoint,
    stuck.ca,
    identityMetadata(stuck, "Exporter"),
  );
  const abort = new AbortController();
  try {
    await exporter.controller.register({
      labels: { "jumpstarter.dev/name": "stuck" },
      reports: [{ uuid: "00000000-0000-0000-0000-000000000001" }],
    });
    // an open Status stream keeps it online; its first update says the controller has it open
    const updates = exporter.controller.status({}, { signal: abort.signal })
      [Symbol.asyncIterator]();
    await updates.next();
    (async () => {
      while (!(await updates.next()).done) { /* keep the stream open */ }
    })().catch(() => {});
    await exporter.controller.reportStatus({ status: ExporterStatus.AVAILABLE, message: "" });
    await untilExporter(alice, "stuck");

    const lease = await jmp([
      "create",
      "lease",
      "--client-config",
      alice,
      "-n",
      "stuck",
      "--duration",
      "5m",
      "-o",
      "name",
    ], { timeoutMs: 60_000 });
    assertExit(lease, 0);
    const name = lease.stdout.trim();
    await until("the lease to be ready", async () => {
      const [current] = await getLeases(alice);
      return current !== undefined && readyState(current).startsWith("True");
    });
    await exporter.controller.reportStatus({
      status: ExporterStatus.BEFORE_LEASE_HOOK_FAILED,
      message: "stand-in: never ready",
    });
    await untilExporter(alice, "stuck", "BEFORE_LEASE_HOOK_FAILED");

    const started = Date.now();
    const result = await jmp([
      "shell",
      "--client-config",
      alice,
      "--lease",
      name,
      "--dial-timeout",
      "5",
      "--",
      "j",
      "--help",
    ], { timeoutMs: 60_000 });
    const took = Date.now() - started;
    assert.notEqual(result.code, 0, describe(result));
    assertOutput(result, "stderr", "not ready within the dial timeout (5 s)");
    assert.ok(took >= 5000 && took < 30_000, `gave up after ${took} ms, not ~5 s`);
  } finally {
    abort.abort();
    await controller.stop();
  }
});
