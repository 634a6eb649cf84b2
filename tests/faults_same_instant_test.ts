/**
 * Fault suite, issue 10 item 10 when both processes start together: two exporter processes with
 * the same credentials registering in the same instant. Exactly one holds the exporter; the
 * other is refused at registration (and `jmp run` exits with the clear error instead of retrying
 * its Status stream forever). Real controller, raw calls and real `jmp run` processes.
 */
import assert from "node:assert/strict";
import { assertExit, assertNoStackTrace, describe, tempDir, withTimeout } from "./_helpers.ts";
import {
  identityMetadata,
  type RawChannel,
  rawChannel,
  readCredentials,
  rejection,
  untilExporter,
} from "./_distributed.ts";
import { faultLab, report, stopQuietly, stopwatch } from "./_faults.ts";

const FAILED_PRECONDITION = 9;
const REFUSAL = /exporter default\/bench1 is already connected from another process/;

/** Register as exporter process `instance`: resolves true when accepted. */
function register(channel: RawChannel): Promise<boolean> {
  return channel.controller.register({
    labels: {},
    reports: [{ uuid: crypto.randomUUID(), labels: {} }],
  }).then(() => true);
}

Deno.test("faults: two processes registering one exporter in the same instant: one is refused", async () => {
  await withTimeout(
    (async () => {
      await using dir = await tempDir();
      const lab = await faultLab(dir.path);
      try {
        const credentials = await readCredentials(lab.exporterConfig);
        const as = (instance: string) =>
          rawChannel(credentials.endpoint, credentials.ca, {
            ...identityMetadata(credentials, "Exporter"),
            "jumpstarter-instance": instance,
          });
        using first = await as("process-a");
        using second = await as("process-b");
        // both channels connected first, so the two Registers leave together
        await Promise.all(
          [first, second].map((raw) =>
            new Promise<void>((resolve, reject) =>
              raw.channel.waitForReady(
                Date.now() + 15_000,
                (error) => error ? reject(error) : resolve(),
              )
            )
          ),
        );
        const outcomes = await Promise.allSettled([register(first), register(second)]);
        const won = outcomes.findIndex((outcome) => outcome.status === "fulfilled");
        assert.equal(
          outcomes.filter((outcome) => outcome.status === "fulfilled").length,
          1,
          `exactly one Register accepted: ${JSON.stringify(outcomes.map((o) => o.status))}`,
        );
        const [winner, loser] = won === 0 ? [first, second] : [second, first];
        const lost = outcomes[1 - won] as PromiseRejectedResult;
        assert.equal(lost.reason.code, FAILED_PRECONDITION, String(lost.reason.details));
        assert.match(String(lost.reason.details), REFUSAL);

        // the winner's Status stream opens; the loser's is refused, before and after
        const controller = new AbortController();
        const updates = winner.controller.status({}, { signal: controller.signal });
        const iterator = updates[Symbol.asyncIterator]();
        const firstUpdate = await withTimeout(iterator.next(), 15_000, "winner's first status");
        assert.equal(firstUpdate.done, false);
        const refused = await rejection(
          "the loser's Status",
          Array.fromAsync(loser.controller.status({})),
        );
        assert.equal(refused.code, FAILED_PRECONDITION, refused.details);

        // the winner unregisters: the other process may take the exporter at once
        controller.abort();
        await iterator.return?.();
        await winner.controller.unregister({ reason: "done" });
        assert.equal(await register(loser), true);
      } finally {
        await stopQuietly(lab.controller);
      }
    })(),
    90_000,
    "two Registers in the same instant",
  );
});

Deno.test("faults: two jmp run started together with the same credentials: one serves, one exits", async () => {
  await using dir = await tempDir();
  const lab = await faultLab(dir.path);
  await using a = lab.startExporter();
  await using b = lab.startExporter();
  try {
    const watch = stopwatch();
    const exited = await withTimeout(
      Promise.race([
        a.wait(60_000).then((r) => ({ r, other: b })),
        b.wait(60_000).then((r) => ({ r, other: a })),
      ]),
      60_000,
      "one of two jmp run with the same credentials to exit",
    );
    report("second of two simultaneous jmp run to a clear refusal", watch.lap());
    assertExit(exited.r, 1);
    assert.match(
      exited.r.stderr,
      /^Error: .*already connected from another process/m,
      describe(exited.r),
    );
    assertNoStackTrace(exited.r);
    await untilExporter(lab.alice, "bench1");
    const stopped = await exited.other.stop("SIGTERM", 20_000);
    assert.equal(stopped.code, 143, describe(stopped));
  } finally {
    await a.stop("SIGKILL");
    await b.stop("SIGKILL");
    await stopQuietly(lab.controller);
  }
});
