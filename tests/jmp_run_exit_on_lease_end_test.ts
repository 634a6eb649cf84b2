/**
 * Issue 9 item 11: `jmp run --exit-on-lease-end` (and `exitOnLeaseEnd: true` in the config)
 * serves one lease and exits 0 when it ends; without either, the exporter serves the next lease.
 * `failureDetection`: quick failures to reach the controller in a row make it give up with 1.
 */
import assert from "node:assert/strict";
import { fileDeadline } from "@jumpstarter/lib/testing";
import { assertExit, describe, jmp, spawnJmp, tempDir } from "./_helpers.ts";
import {
  freePort,
  makeClient,
  makeExporter,
  startController,
  untilExporter,
} from "./_distributed.ts";

// many subprocesses in a row: 76 s on a busy two-core machine
fileDeadline(import.meta.url, 300_000);

Deno.test("jmp run exits after one lease with --exit-on-lease-end or exitOnLeaseEnd", async (t) => {
  await using dir = await tempDir();
  const controller = await startController(`${dir.path}/controller`);
  const alice = await makeClient(controller.adminConfig, dir.path, "alice");
  const leaseOnce = async (board: string) => {
    const result = await jmp(
      ["shell", "--client-config", alice, "-l", `board=${board}`, "--", "j", "power", "on"],
      { timeoutMs: 60_000 },
    );
    assertExit(result, 0);
  };
  try {
    for (
      const [board, how] of [
        ["flag", ["--exit-on-lease-end"]],
        ["config", []],
      ] as const
    ) {
      await t.step(
        `${board === "flag" ? "--exit-on-lease-end" : "exitOnLeaseEnd: true"}`,
        async () => {
          const config = await makeExporter(controller.adminConfig, dir.path, board, [
            `board=${board}`,
          ]);
          if (board === "config") {
            await Deno.writeTextFile(config, "exitOnLeaseEnd: true\n", { append: true });
          }
          await using exporter = spawnJmp(["run", "--exporter-config", config, ...how]);
          await untilExporter(alice, board);
          await leaseOnce(board);
          const result = await exporter.wait(30_000);
          assert.equal(result.timedOut, false, `jmp run did not exit: ${describe(result)}`);
          assertExit(result, 0);
        },
      );
    }

    await t.step("without either, the exporter serves the next lease", async () => {
      const config = await makeExporter(controller.adminConfig, dir.path, "stays", [
        "board=stays",
      ]);
      await using exporter = spawnJmp(["run", "--exporter-config", config]);
      await untilExporter(alice, "stays");
      await leaseOnce("stays");
      await untilExporter(alice, "stays");
      await leaseOnce("stays");
      const result = await exporter.stop("SIGTERM", 20_000);
      assertExit(result, 143);
    });
  } finally {
    await controller.stop();
  }
});

Deno.test("jmp run gives up after failureDetection.maxRapidFailures quick failures", async () => {
  await using dir = await tempDir();
  const port = freePort(); // nothing listens there: every registration fails at once
  const config = (detection: string) =>
    `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
metadata:
  namespace: default
  name: bench1
endpoint: 127.0.0.1:${port}
token: abc
tls:
  ca: ""
  insecure: false
${detection}export: {}
`;
  for (
    const [name, detection, expected] of [
      ["three", "failureDetection:\n  maxRapidFailures: 3\n  rapidFailureWindow: 60\n", 3],
      ["default", "", 5],
    ] as const
  ) {
    const path = `${dir.path}/${name}.yaml`;
    await Deno.writeTextFile(path, config(detection));
    const result = await jmp(["run", "--exporter-config", path], { timeoutMs: 60_000 });
    assertExit(result, 1);
    const failures = result.stderr.match(/^Exception while serving on the exporter: /gm) ?? [];
    assert.equal(failures.length, expected, describe(result));
    assert.match(
      result.stderr,
      new RegExp(
        `^Exporter child process failed ${expected} times within 60s each\\. ` +
          "Exiting to allow container/service restart\\.$",
        "m",
      ),
    );
  }
});
