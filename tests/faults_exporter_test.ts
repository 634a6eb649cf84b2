/**
 * Fault suite, the exporter side (issue 10 items 10, 13): a second `jmp run` with the same
 * credentials is refused and leaves the live exporter as it was; an exporter killed with SIGKILL
 * shows Offline within seconds and `j` fails fast; a flash killed mid-way leaves no `.partial`
 * staging file once the exporter starts again. Real processes; each test prints its times.
 */
import assert from "node:assert/strict";
import {
  assertExit,
  assertNoStackTrace,
  assertOutput,
  describe,
  exists,
  jmp,
  spawnJmp,
  tempDir,
  withTimeout,
} from "./_helpers.ts";
import {
  exporterStatus,
  getLeases,
  identityMetadata,
  rawChannel,
  readCredentials,
  rejection,
  until,
  untilExporter,
} from "./_distributed.ts";
import { faultLab, report, stopQuietly, stopwatch } from "./_faults.ts";
import { killGroup } from "./_process.ts";
import { RECONNECT_GRACE_MS, STALE_STREAM_MS } from "../controller/core.ts";

/** Resolves once `path` exists (a filesystem event in its directory, not a poll). */
async function untilCreated(watcher: Deno.FsWatcher, path: string): Promise<void> {
  if (await exists(path)) return;
  for await (const event of watcher) {
    if (event.paths.includes(path) && await exists(path)) return;
  }
}

Deno.test("faults: a second jmp run with the same credentials is refused, the first keeps serving", async () => {
  await using dir = await tempDir();
  const lab = await faultLab(dir.path);
  await using first = lab.startExporter();
  try {
    await untilExporter(lab.alice, "bench1");
    const watch = stopwatch();
    await using second = lab.startExporter();
    const refused = await second.wait(30_000);
    report("second jmp run to a clear refusal", watch.lap());
    assertExit(refused, 1);
    assert.match(
      refused.stderr,
      /^Error: .*exporter default\/bench1 is already connected from another process with the same credentials: stop that one first/m,
      describe(refused),
    );
    assertNoStackTrace(refused);
    // whatever another process with these credentials tries, the live one's state stands
    const credentials = await readCredentials(lab.exporterConfig);
    using intruder = await rawChannel(credentials.endpoint, credentials.ca, {
      ...identityMetadata(credentials, "Exporter"),
      "jumpstarter-instance": crypto.randomUUID(),
    });
    for (
      const [what, call] of [
        ["Unregister", intruder.controller.unregister({ reason: "intruder" })],
        ["ReportStatus", intruder.controller.reportStatus({ status: 1, message: "offline" })],
        ["Status", Array.fromAsync(intruder.controller.status({}))],
      ] as const
    ) {
      const failure = await rejection(`${what} from another process`, call);
      assert.equal(failure.code, 9, `${what}: ${failure.details}`); // FAILED_PRECONDITION
      assert.match(failure.details, /already connected from another process/);
    }
    // the refused one never unregistered: the live one stays Available and serves a lease
    assert.equal(await exporterStatus(lab.alice, "bench1"), "AVAILABLE");
    const leased = await jmp(
      ["shell", "--client-config", lab.bob, "-l", "board=virt", "--", "j", "power", "on"],
      { timeoutMs: 60_000 },
    );
    assertExit(leased, 0);
    assertOutput(leased, "stderr", "acquired: exporter bench1");
    await untilExporter(lab.alice, "bench1");

    // once the first stops, the same credentials start again at once
    const stopped = await first.stop("SIGTERM", 20_000);
    assert.equal(stopped.code, 143, describe(stopped));
    await untilExporter(lab.alice, "bench1", "OFFLINE");
    await using third = lab.startExporter();
    await untilExporter(lab.alice, "bench1");
    await third.stop("SIGTERM", 20_000);
  } finally {
    await first.stop("SIGKILL");
    await stopQuietly(lab.controller);
  }
});

Deno.test("faults: an exporter host that vanished shows Offline, and a new process may take over", async () => {
  await using dir = await tempDir();
  const lab = await faultLab(dir.path);
  const first = lab.startExporter();
  try {
    await untilExporter(lab.alice, "bench1");
    // SIGSTOP: the connection stays open but nobody answers, as with a host that lost power; the
    // whole process group, as `jmp run` serves from a confined child process
    killGroup(first.process, "SIGSTOP");
    const since = stopwatch();
    await until(
      "bench1 to show OFFLINE after its host vanished",
      async () => (await exporterStatus(lab.alice, "bench1")) === "OFFLINE",
      STALE_STREAM_MS + RECONNECT_GRACE_MS + 15_000,
    );
    report("vanished exporter host to OFFLINE", since.lap());
    await using second = lab.startExporter();
    await untilExporter(lab.alice, "bench1");
    report("vanished exporter host to a new process serving", since.lap());
    const leased = await jmp(
      ["shell", "--client-config", lab.bob, "-l", "board=virt", "--", "j", "power", "on"],
      { timeoutMs: 60_000 },
    );
    assertExit(leased, 0);
    await second.stop("SIGTERM", 20_000);
  } finally {
    await first.stop("SIGKILL");
    await stopQuietly(lab.controller);
  }
});

Deno.test("faults: an exporter killed with SIGKILL shows Offline within seconds, j fails fast", async () => {
  await using dir = await tempDir();
  const lab = await faultLab(dir.path);
  const exporter = lab.startExporter();
  const ready = `${dir.path}/ready`;
  const go = `${dir.path}/go`;
  try {
    await untilExporter(lab.alice, "bench1");
    using watcher = Deno.watchFs(dir.path);
    await using shell = spawnJmp([
      "shell",
      "--client-config",
      lab.alice,
      "-l",
      "board=virt",
      "--",
      "sh",
      "-c",
      `j power on || exit 99; touch ${ready}; ` +
      `i=0; while [ ! -e ${go} ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done; ` +
      `j power on`,
    ]);
    await untilCreated(watcher, ready);
    assert.equal(await exporterStatus(lab.alice, "bench1"), "LEASE_READY");

    const killed = await exporter.stop("SIGKILL");
    assert.equal(killed.signal, "SIGKILL", describe(killed));
    const since = stopwatch();
    await until(
      "bench1 to show OFFLINE",
      async () => (await exporterStatus(lab.alice, "bench1")) === "OFFLINE",
      20_000,
    );
    const offline = report("exporter SIGKILL to OFFLINE in jmp get exporters", since.lap());
    assert.ok(offline <= 10_000, `OFFLINE only after ${offline} ms`);

    const call = stopwatch();
    await Deno.writeTextFile(go, "");
    const result = await shell.wait(60_000);
    const failed = report("j on the killed exporter to a clear error", call.lap());
    assert.ok(!result.timedOut, describe(result));
    assert.notEqual(result.code, 0, describe(result));
    assert.notEqual(result.code, 99, `the first j failed: ${describe(result)}`);
    assert.match(result.stderr, /^Error: .*exporter is offline/im, describe(result));
    assertNoStackTrace(result);
    assert.ok(failed <= 10_000, `j took ${failed} ms to fail`);
    assert.deepEqual(await getLeases(lab.alice), [], "the shell released its lease");
  } finally {
    await exporter.stop("SIGKILL");
    await stopQuietly(lab.controller);
  }
});

Deno.test("faults: a flash killed with SIGKILL leaves no .partial once the exporter restarts", async () => {
  await using dir = await tempDir();
  const disk = `${dir.path}/disk.img`;
  const config = `${dir.path}/flash.yaml`;
  await Deno.writeTextFile(
    config,
    [
      "apiVersion: jumpstarter.dev/v1alpha1",
      "kind: ExporterConfig",
      "metadata: {namespace: default, name: flashlab}",
      'endpoint: ""',
      'token: ""',
      "export:",
      "  storage:",
      "    type: jumpstarter_driver_opendal.driver.MockStorageMuxFlasher",
      `    config: {path: '${disk}'}`,
      "",
    ].join("\n"),
  );
  // a staging file of a writer that still runs (this test: it holds the file locked, as writers
  // do) must survive the cleanup
  const live = `${dir.path}/.disk.img.${Deno.pid}-${crypto.randomUUID()}.partial`;
  await Deno.writeTextFile(live, "in progress");
  using writing = await Deno.open(live, { read: true });
  await writing.lock(true);
  // the image comes from a server that sends 1 MiB, then stalls until the test ends
  const stalled = Promise.withResolvers<void>();
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      new Response(
        new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(new Uint8Array(1 << 20).fill(0x5a));
            await stalled.promise;
            controller.close();
          },
        }),
      ),
  );

  let exporter = spawnJmp(["run", "--exporter-config", config]);
  try {
    const socket = await exporter.firstLine;
    using watcher = Deno.watchFs(dir.path);
    await using flash = spawnJmp([
      "j",
      "storage",
      "flash",
      `http://127.0.0.1:${server.addr.port}/image.img`,
    ], { env: { JUMPSTARTER_HOST: socket, JMP_DRIVERS_ALLOW: "UNSAFE" } });
    // the exporter is receiving the image: its staging file has bytes
    const staged = await withTimeout(
      (async () => {
        for await (const event of watcher) {
          const path = event.paths.find((p) => p.endsWith(".partial") && p !== live);
          if (path && (await Deno.stat(path).catch(() => undefined))?.size) return path;
        }
        throw new Error("the watcher ended before a staging file was written");
      })(),
      30_000,
      `a staging file with bytes in ${dir.path}`,
    );
    const killed = await exporter.stop("SIGKILL");
    assert.equal(killed.signal, "SIGKILL", describe(killed));
    const interrupted = await flash.wait(30_000);
    assert.notEqual(interrupted.code, 0, describe(interrupted));
    assert.ok(await exists(staged), "the kill left its staging file behind");

    const restart = stopwatch();
    exporter = spawnJmp(["run", "--exporter-config", config]);
    await exporter.firstLine;
    report("exporter restart, stale staging file removed", restart.lap());
    assert.ok(!(await exists(staged)), `${staged} is still there after the restart`);
    assert.ok(await exists(live), "a live writer's staging file was removed");
  } finally {
    stalled.resolve();
    await exporter.stop("SIGKILL");
  }
});
