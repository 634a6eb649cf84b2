import assert from "node:assert/strict";
import {
  clientRegistryOf,
  connectController,
  createLease,
  getLease,
  openExporter,
  openLeaseSocket,
  releaseLease,
  UNSAFE_POLICY,
  waitForLease,
} from "@jumpstarter/lib/client";
import { Exporter } from "@jumpstarter/lib/exporter";
import { eventually } from "@jumpstarter/lib/testing";
import { ExporterStatus, LogSource } from "@jumpstarter/protos";
import { startLab, testRegistry } from "./test_lab.ts";

function until(what: string, check: () => boolean | Promise<boolean>): Promise<true> {
  return eventually(what, check, { timeoutMs: 15_000, intervalMs: 50 });
}

Deno.test("lease by label, call through the router, release, exporter available again", async () => {
  await using lab = await startLab();
  const identity = await lab.client("lab", "alice");
  const config = await lab.exporter("lab", "bench1", { board: "virt" });
  const abort = new AbortController();
  const exporter = new Exporter(config, { registry: testRegistry });
  const running = exporter.run(abort.signal);
  const dir = await Deno.makeTempDir();
  try {
    using connection = await connectController(identity);
    const lease = await createLease(connection, { selector: "board=virt", durationMs: 60_000 });
    const name = lease.name.split("/").pop()!;
    const ready = await waitForLease(connection, name, { pollMs: 100, timeoutMs: 20_000 });
    assert.equal(ready.exporter, "namespaces/lab/exporters/bench1");
    {
      await using socket = openLeaseSocket(connection, name, { path: `${dir}/lease.sock` });
      await using handle = await openExporter(socket.path, {
        policy: UNSAFE_POLICY,
        registry: clientRegistryOf([]),
      });
      const counter = handle.root.children.get("counter")!;
      assert.equal(await counter.call("bump", 2), 2);
      assert.equal(await counter.call("bump", 40), 42);
    }
    await releaseLease(connection, name);
    const released = await getLease(connection, name);
    assert.ok(released.conditions.some((c) => c.type === "Ready" && c.status === "False"));
    // the exporter goes back to Available and can be leased again (with fresh drivers)
    const again = await createLease(connection, { selector: "board=virt", durationMs: 60_000 });
    const againName = again.name.split("/").pop()!;
    await waitForLease(connection, againName, { pollMs: 100, timeoutMs: 20_000 });
    {
      await using socket = openLeaseSocket(connection, againName, { path: `${dir}/again.sock` });
      await using handle = await openExporter(socket.path, {
        policy: UNSAFE_POLICY,
        registry: clientRegistryOf([]),
      });
      assert.equal(await handle.root.children.get("counter")!.call("bump", 1), 1);
    }
    await releaseLease(connection, againName);
  } finally {
    abort.abort();
    await running.catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hooks run around each lease, report their status and stream their output", async () => {
  await using lab = await startLab();
  const identity = await lab.client("lab", "alice");
  const marker = await Deno.makeTempFile();
  const config = await lab.exporter("lab", "bench2", { board: "hooked" }, {
    hooks: {
      beforeLease: {
        script: `test -S "$JUMPSTARTER_HOST" && echo "preparing for $CLIENT_NAME on $LEASE_NAME"`,
      },
      afterLease: { script: `echo cleaned-up > ${marker}` },
    },
  });
  const abort = new AbortController();
  const running = new Exporter(config, { registry: testRegistry }).run(abort.signal);
  const dir = await Deno.makeTempDir();
  try {
    using connection = await connectController(identity);
    const lease = await createLease(connection, { selector: "board=hooked", durationMs: 60_000 });
    const name = lease.name.split("/").pop()!;
    await waitForLease(connection, name, { pollMs: 100, timeoutMs: 20_000 });
    {
      await using socket = openLeaseSocket(connection, name, { path: `${dir}/lease.sock` });
      await using handle = await openExporter(socket.path, {
        policy: UNSAFE_POLICY,
        registry: clientRegistryOf([]),
      });
      const exporterApi = handle.connection.exporter;
      await until(
        "the session to be ready",
        async () => (await exporterApi.getStatus({})).status === ExporterStatus.LEASE_READY,
      );
      for await (const record of exporterApi.logStream({})) {
        if (record.source !== LogSource.BEFORE_LEASE_HOOK) continue;
        assert.equal(record.message, `preparing for alice on ${name}`);
        break;
      }
    }
    await releaseLease(connection, name);
    await until(
      "the afterLease hook",
      async () => (await Deno.readTextFile(marker)).trim() === "cleaned-up",
    );
    await until(
      "the exporter to be available",
      () => lab.controller.core.store.exporters.get("lab", "bench2")?.status === "Available",
    );
  } finally {
    abort.abort();
    await running.catch(() => {});
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(marker);
  }
});
