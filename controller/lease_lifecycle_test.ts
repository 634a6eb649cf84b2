/**
 * The end of a lease as upstream HEAD's client drives it (spec/protocol.md 7.3, 7.4): EndSession,
 * then GetStatus polled on the same session until AVAILABLE. In-process, through our router.
 */
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
import { ExporterStatus } from "@jumpstarter/protos";
import { startLab, testRegistry } from "./test_lab.ts";

const WAIT = { timeoutMs: 20_000, intervalMs: 50 };

async function leasedSession(hooks: Record<string, unknown> | undefined, board: string) {
  const lab = await startLab();
  const identity = await lab.client("lab", "alice");
  const config = await lab.exporter("lab", "bench", { board }, hooks ? { hooks } : {});
  const abort = new AbortController();
  const running = new Exporter(config, { registry: testRegistry }).run(abort.signal);
  const dir = await Deno.makeTempDir();
  const connection = await connectController(identity);
  const lease = await createLease(connection, { selector: `board=${board}`, durationMs: 60_000 });
  const name = lease.name.split("/").pop()!;
  await waitForLease(connection, name, { pollMs: 100, timeoutMs: 20_000 });
  const socket = openLeaseSocket(connection, name, { path: `${dir}/lease.sock` });
  const handle = await openExporter(socket.path, {
    policy: UNSAFE_POLICY,
    registry: clientRegistryOf([]),
  });
  const api = handle.connection.exporter;
  await eventually("LEASE_READY", async () => {
    return (await api.getStatus({})).status === ExporterStatus.LEASE_READY;
  }, WAIT);
  return {
    name,
    api,
    connection,
    async [Symbol.asyncDispose]() {
      handle.close();
      await socket[Symbol.asyncDispose]();
      connection.close();
      abort.abort();
      await running.catch(() => {});
      await lab[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Polls GetStatus (as HEAD's status monitor does) until `last`; returns every status seen. */
async function statusesUntil(
  api: Awaited<ReturnType<typeof leasedSession>>["api"],
  last: ExporterStatus,
) {
  const seen: { status: string; version: bigint; previous: string | undefined }[] = [];
  await eventually(`GetStatus to answer ${ExporterStatus[last]}`, async () => {
    const reply = await api.getStatus({});
    const entry = {
      status: ExporterStatus[reply.status]!,
      version: reply.statusVersion,
      previous: reply.previousStatus === undefined
        ? undefined
        : ExporterStatus[reply.previousStatus],
    };
    if (seen.at(-1)?.version !== entry.version) seen.push(entry);
    return reply.status === last;
  }, WAIT);
  return seen;
}

Deno.test("EndSession: the session answers GetStatus through the afterLease hook until AVAILABLE, then the exporter releases the lease", async () => {
  const marker = await Deno.makeTempFile();
  await using leased = await leasedSession({
    beforeLease: { script: `echo "bench reserved for $CLIENT_NAME" > "$JMP_MOTD_FILE"` },
    afterLease: { script: `sleep 0.5; echo "$LEASE_NAME" > ${marker}` },
  }, "hooked");
  // what the beforeLease hook wrote to $JMP_MOTD_FILE is the message of the day
  assert.equal((await leased.api.getReport({})).motd, "bench reserved for alice");
  const ended = await leased.api.endSession({});
  assert.equal(ended.success, true);
  const seen = await statusesUntil(leased.api, ExporterStatus.AVAILABLE);
  assert.deepEqual(seen.map((s) => s.status), ["AFTER_LEASE_HOOK", "AVAILABLE"]);
  assert.equal(seen[1]!.previous, "AFTER_LEASE_HOOK");
  assert.ok(seen[1]!.version > seen[0]!.version, "status_version grows");
  assert.equal((await Deno.readTextFile(marker)).trim(), leased.name, "the hook ran");
  // a second EndSession changes nothing: the hook ran once
  assert.equal((await leased.api.endSession({})).success, true);
  await eventually("the exporter to release the lease itself", async () => {
    const lease = await getLease(leased.connection, leased.name);
    return lease.conditions.some((c) => c.type === "Ready" && c.status === "False");
  }, WAIT);
  await Deno.remove(marker);
});

Deno.test("EndSession without hooks: AVAILABLE at once, the lease stays the client's to release", async () => {
  await using leased = await leasedSession(undefined, "plain");
  assert.equal((await leased.api.endSession({})).success, true);
  const seen = await statusesUntil(leased.api, ExporterStatus.AVAILABLE);
  assert.deepEqual(seen.map((s) => s.status), ["AVAILABLE"]);
  const lease = await getLease(leased.connection, leased.name);
  assert.ok(
    lease.conditions.some((c) => c.type === "Ready" && c.status === "True"),
    "still active",
  );
  await releaseLease(leased.connection, leased.name);
});
