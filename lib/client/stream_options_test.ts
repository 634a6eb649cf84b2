/**
 * Per-call options on byte streams and resources: the signal and the timeout reach gRPC, end the
 * stream with a clear error, and release the driver's side. Each runs over the fast path and over
 * gRPC frames (the fast path switched off).
 */
import assert from "node:assert/strict";
import { z } from "zod";
import {
  byteStream,
  defineInterface,
  Driver,
  type ExportedMethod,
  exportMethods,
  unary,
} from "@jumpstarter/lib/driver";
import { DriverTimeoutError } from "@jumpstarter/lib/wire";
import { eventually, serve } from "@jumpstarter/lib/testing";
import { setFastPathDisabled } from "@jumpstarter/lib/streams";

const holdInterface = defineInterface({
  client: "tests.HoldClient",
  methods: { connect: byteStream(), late: byteStream(), drain: unary([z.unknown()]) },
});

/** Streams that stay open until the client drops them, recording when that happens. */
class Hold extends Driver {
  readonly interface = holdInterface;
  opened = 0;
  /** Settles when the exporter released the driver's side of the last stream. */
  released = Promise.withResolvers<string>();
  /** How the last `drain` ended. */
  drained = Promise.withResolvers<string>();
  readonly #gate = Promise.withResolvers<void>();

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(holdInterface, {
      connect: () => this.#open(),
      // answers only once the test is over: the exporter sends no headers before
      late: async () => {
        await this.#gate.promise;
        return this.#open();
      },
      drain: async (handle) => {
        await using resource = this.openResource(handle);
        try {
          for await (const _ of resource.readable) { /* keep reading */ }
          this.drained.resolve("ended");
        } catch (error) {
          this.drained.resolve(`failed: ${error instanceof Error ? error.message : error}`);
          throw error;
        }
      },
    });
  }

  #open() {
    this.opened++;
    const released = Promise.withResolvers<string>();
    this.released = released;
    // echoes until either side goes away
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    return {
      readable: readable.pipeThrough(
        new TransformStream({ flush: () => released.resolve("closed") }),
      ),
      writable: new WritableStream<Uint8Array>({
        write: async (chunk) => {
          const writer = writable.getWriter();
          await writer.write(chunk);
          writer.releaseLock();
        },
        close: () => writable.close(),
        abort: (reason) => {
          released.resolve("aborted");
          return writable.abort(reason);
        },
      }),
    };
  }

  override close() {
    this.#gate.resolve();
  }
}

/** Bytes that never end: a source only the transfer's end stops. */
function endless(): ReadableStream<Uint8Array> {
  return new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(1024)) }, { highWaterMark: 0 });
}

const MODES = { "fast path": undefined, "gRPC frames": "1" } as const;

/** Runs `body` once per transport, with a Hold driver served for it. */
function eachTransport(name: string, body: (hold: Hold, client: Served) => Promise<void>) {
  for (const [mode, disable] of Object.entries(MODES)) {
    Deno.test(`${name} (${mode})`, async () => {
      setFastPathDisabled(disable !== undefined);
      try {
        const hold = new Hold();
        await using served = await serve(hold);
        await body(hold, served.client);
      } finally {
        setFastPathDisabled(undefined);
      }
    });
  }
}

type Served = Awaited<ReturnType<typeof serve>>["client"];

eachTransport("stream() within its timeout carries bytes as usual", async (hold, client) => {
  const stream = await client.stream("connect", { timeoutMs: 20_000 });
  const writer = stream.writable.getWriter();
  const reading = new Response(stream.readable).text();
  await writer.write(new TextEncoder().encode("ping"));
  await writer.close();
  assert.equal(await reading, "ping");
  assert.equal(await hold.released.promise, "closed");
});

eachTransport(
  "stream() past timeoutMs fails with DriverTimeoutError and frees the driver",
  async (hold, client) => {
    const stream = await client.stream("connect", { timeoutMs: 300 });
    const reader = stream.readable.getReader();
    await assert.rejects(
      reader.read(),
      (error: Error) =>
        error instanceof DriverTimeoutError &&
        error.message === 'stream "connect" did not finish within 300 ms',
    );
    assert.equal(await hold.released.promise, "aborted");
    const writer = stream.writable.getWriter();
    await assert.rejects(writer.write(new Uint8Array(1)), DriverTimeoutError);
  },
);

eachTransport(
  "stream() dropped by its signal fails with the signal's reason and frees the driver",
  async (hold, client) => {
    const abort = new AbortController();
    const stream = await client.stream("connect", { signal: abort.signal });
    const reading = stream.readable.getReader().read();
    abort.abort(new Error("the operator hung up"));
    await assert.rejects(reading, /^Error: the operator hung up$/);
    assert.equal(await hold.released.promise, "aborted");
  },
);

eachTransport("stream() with an aborted signal opens nothing", async (hold, client) => {
  const reason = new Error("cancelled before it started");
  await assert.rejects(
    client.stream("connect", { signal: AbortSignal.abort(reason) }),
    (e) => e === reason,
  );
  assert.equal(hold.opened, 0);
});

eachTransport(
  "stream() whose exporter does not answer in time rejects with DriverTimeoutError",
  async (_hold, client) => {
    await assert.rejects(
      client.stream("late", { timeoutMs: 300 }),
      (error: Error) =>
        error instanceof DriverTimeoutError &&
        /^stream "late" did not finish within 300 ms$/.test(error.message),
    );
  },
);

eachTransport(
  "resource() past timeoutMs ends the transfer with DriverTimeoutError",
  async (hold, client) => {
    const resource = await client.resource({ source: endless(), timeoutMs: 500 });
    const draining = client.call("drain", resource.handle);
    await assert.rejects(
      resource.done,
      (error: Error) =>
        error instanceof DriverTimeoutError &&
        error.message === "resource stream did not finish within 500 ms",
    );
    await assert.rejects(draining);
    assert.match(await hold.drained.promise, /^failed: /);
  },
);

eachTransport(
  "resource() dropped by its signal ends the transfer with the signal's reason",
  async (hold, client) => {
    const abort = new AbortController();
    const resource = await client.resource({ source: endless(), signal: abort.signal });
    const draining = client.call("drain", resource.handle);
    abort.abort(new Error("upload cancelled"));
    await assert.rejects(resource.done, /^Error: upload cancelled$/);
    await assert.rejects(draining);
    assert.match(await hold.drained.promise, /^failed: /);
  },
);

eachTransport(
  "a signal shared by many streams lets go of each one that ended",
  async (_hold, client) => {
    const abort = new AbortController();
    let listening = 0;
    const { addEventListener, removeEventListener } = abort.signal;
    abort.signal.addEventListener = function (...args: Parameters<typeof addEventListener>) {
      listening++;
      return addEventListener.apply(this, args);
    };
    abort.signal.removeEventListener = function (...args: Parameters<typeof removeEventListener>) {
      listening--;
      return removeEventListener.apply(this, args);
    };
    for (let round = 0; round < 3; round++) {
      const stream = await client.stream("connect", { signal: abort.signal });
      const reading = new Response(stream.readable).text();
      await stream.writable.close();
      assert.equal(await reading, "");
    }
    await eventually("every ended stream's abort listener removed", () => listening === 0, {
      timeoutMs: 5_000,
    });
  },
);
