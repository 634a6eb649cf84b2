/**
 * A beforeLease hook failing with `on_failure: endLease` while another lease waits for the same
 * exporter (issue 10, trust brief item 5). The first client ends its lease as soon as it sees the
 * failure (as HEAD's `jmp shell` does), the second lease is assigned at once, and its hook runs.
 * Whatever the first lease's phase still had to do (its release request) must be over before
 * the second begins: the controller must never see the exporter Available while the second
 * lease's hook runs. In-process controller and exporter; statuses observed as the store
 * records them.
 */
import assert from "node:assert/strict";
import { connectController, createLease, releaseLease } from "@jumpstarter/lib/client";
import { Exporter } from "@jumpstarter/lib/exporter";
import { waitingFor } from "@jumpstarter/lib/testing";
import { startLab, testRegistry } from "./test_lab.ts";
import type { ExporterRecord } from "./model.ts";

/** Every status the store records for one exporter, and a way to wait for the next ones. */
function recordStatuses(lab: Awaited<ReturnType<typeof startLab>>, name: string) {
  const exporters = lab.controller.core.store.exporters;
  const seen: string[] = [];
  const waiters = new Set<() => void>();
  const put = exporters.put.bind(exporters);
  exporters.put = (record: ExporterRecord) => {
    if (record.name === name && record.status !== exporters.get(record.namespace, name)?.status) {
      seen.push(record.status);
      for (const wake of waiters) wake();
    }
    return put(record);
  };
  /** Resolves with the index in `seen` of the first `status` at or after `from`. */
  const next = (status: string, from = 0) =>
    new Promise<number>((resolve) => {
      const check = () => {
        const index = seen.indexOf(status, from);
        if (index < 0) return;
        waiters.delete(check);
        resolve(index);
      };
      waiters.add(check);
      check();
    });
  return { seen, next };
}

Deno.test("beforeLease endLease with a lease queued behind: the next lease's hook is not reported Available", async () => {
  await using lab = await startLab();
  const alice = await connectController(await lab.client("lab", "alice"));
  const bob = await connectController(await lab.client("lab", "bob"));
  const config = await lab.exporter("lab", "bench", { board: "race" }, {
    hooks: {
      beforeLease: {
        // bob's hook stays running long enough for a late report of alice's phase to land in it:
        // the window the bug needs, not a wait for an event (there is none to wait for)
        script: `if [ "$CLIENT_NAME" = alice ]; then exit 3; fi; sleep 2`,
        onFailure: "endLease",
        timeout: 30,
      },
    },
  });
  const statuses = recordStatuses(lab, "bench");
  const saw = () => `statuses: ${statuses.seen.join(", ")}`;
  const abort = new AbortController();
  const running = new Exporter(config, { registry: testRegistry }).run(abort.signal);
  try {
    await waitingFor("the exporter to register", statuses.next("Available"), saw);
    const first = await createLease(alice, { selector: "board=race", durationMs: 60_000 });
    const second = await createLease(bob, { selector: "board=race", durationMs: 60_000 });
    const failed = await waitingFor(
      "alice's beforeLease hook to fail",
      statuses.next("BeforeLeaseHookFailed"),
      saw,
    );
    // alice's client gives up on the failure at once
    await releaseLease(alice, first.name.split("/").pop()!);
    const hook = await waitingFor(
      "bob's beforeLease hook to start",
      statuses.next("BeforeLeaseHook", failed),
      saw,
    );
    const ready = await waitingFor(
      "bob's lease to be ready",
      statuses.next("LeaseReady", hook),
      saw,
    );
    assert.deepEqual(
      statuses.seen.slice(hook, ready + 1),
      ["BeforeLeaseHook", "LeaseReady"],
      `statuses while bob's hook ran: ${statuses.seen}`,
    );
    await releaseLease(bob, second.name.split("/").pop()!);
    await waitingFor(
      "the exporter to be Available after bob's lease",
      statuses.next("Available", ready),
      saw,
    );
  } finally {
    abort.abort();
    await running.catch(() => {});
    alice.close();
    bob.close();
  }
});
