/**
 * One exporter process per credentials (issue 10 item 10): which process holds an exporter, from
 * its Register (before any Status stream) through its streams, and when another may take over.
 */
import assert from "node:assert/strict";
import { Code, JumpstarterError } from "@jumpstarter/lib/wire";
import { Authority, generateKeyMaterial } from "./auth.ts";
import { ControllerCore, STALE_STREAM_MS } from "./core.ts";
import { schedulerEngine } from "./engine.ts";
import { MemoryStore } from "./store/mod.ts";

async function core(now: () => number): Promise<ControllerCore> {
  return new ControllerCore({
    store: new MemoryStore(),
    authority: await Authority.create(await generateKeyMaterial("test")),
    endpoint: "localhost:0",
    caBase64: "",
    now,
    makeEngine: schedulerEngine,
  });
}

function assertHeld(call: () => void): void {
  assert.throws(
    call,
    (error: Error) =>
      error instanceof JumpstarterError && error.code === Code.FAILED_PRECONDITION &&
      /already connected from another process/.test(error.message),
  );
}

Deno.test("sole instance: a registered process holds the exporter until it stops, vanishes or unregisters", async () => {
  let now = 1_000_000;
  const controller = await core(() => now);
  try {
    const hold = (instance: string | undefined) =>
      controller.assertSoleInstance("lab", "bench", instance);
    hold("a"); // Register of process a: no Status stream yet
    assertHeld(() => hold("b"));
    hold("a"); // a's own calls go on

    // a's Status stream holds it for as long as it is open, whatever the time
    const closeStream = controller.hub.watchStatus("lab", "bench", () => {}, "a");
    now += 10 * STALE_STREAM_MS;
    assertHeld(() => hold("b"));
    // a killed: its stream closes, and b may take over at once
    closeStream();
    hold("b");
    assertHeld(() => hold("a"));

    // b registered but never opened a stream: it holds the exporter for STALE_STREAM_MS only
    now += STALE_STREAM_MS + 1;
    hold("a");
    // a stops cleanly (Unregister): the credentials are free at once
    controller.releaseInstance("lab", "bench", "b"); // not b's to release: no effect
    assertHeld(() => hold("b"));
    controller.releaseInstance("lab", "bench", "a");
    hold("b");

    // processes that do not name themselves (upstream exporters) are never refused
    hold(undefined);
    // other exporters are unaffected
    controller.assertSoleInstance("lab", "other", "a");
  } finally {
    controller.close();
  }
});
