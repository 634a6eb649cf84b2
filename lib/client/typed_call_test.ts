/**
 * Typed calls from the interface (`invoke`, `invokeStreaming`) with per-call options: the method
 * name comes from the descriptor, the arguments are checked by the compiler, and an abort or a
 * timeout reaches the gRPC call.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import {
  defineInterface,
  Driver,
  type ExportedMethod,
  exportMethods,
  streaming,
  unary,
} from "@jumpstarter/lib/driver";
import { ClientRegistry, DriverClient } from "@jumpstarter/lib/client";
import { DriverTimeoutError } from "@jumpstarter/lib/wire";
import { serve } from "@jumpstarter/lib/testing";

const meterInterface = defineInterface({
  client: "tests.MeterClient",
  methods: {
    scale_by: unary([z.number(), z.number().optional()]),
    samples: streaming([z.number().int().min(0)]),
    hang: unary([]),
  },
});

class Meter extends Driver {
  readonly interface = meterInterface;
  readonly #stop = Promise.withResolvers<void>();

  scaleBy(value: number, factor?: number) {
    return value * (factor ?? 2);
  }

  async *samples(count: number) {
    for (let index = 0; index < count; index++) yield index;
  }

  /** Answers only when the driver is closed. */
  async hang() {
    await this.#stop.promise;
    return "late";
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(meterInterface, this);
  }

  override close() {
    this.#stop.resolve();
  }
}

class MeterClient extends DriverClient {
  scaleBy(value: number, factor?: number) {
    return this.invoke(meterInterface.methods.scale_by, [value, factor]);
  }

  async samples(count: number): Promise<unknown[]> {
    return await Array.fromAsync(this.invokeStreaming(meterInterface.methods.samples, [count]));
  }

  hang(options: { signal?: AbortSignal; timeoutMs?: number }) {
    return this.invoke(meterInterface.methods.hang, [], options);
  }
}

const registry = new ClientRegistry().register(MeterClient, meterInterface.client);
const serveMeter = () => serve(new Meter(), MeterClient, { registry });

Deno.test("invoke() calls the method its descriptor names, bound to the driver's camelCase method", async () => {
  await using served = await serveMeter();
  assert.equal(await served.client.scaleBy(21), 42);
  assert.equal(await served.client.scaleBy(2, 5), 10);
  assert.deepEqual(await served.client.samples(3), [0, 1, 2]);
});

Deno.test("a per-call timeout becomes a gRPC deadline", async () => {
  await using served = await serveMeter();
  await assert.rejects(served.client.hang({ timeoutMs: 100 }), DriverTimeoutError);
});

Deno.test("aborting a call rejects it with the signal's reason", async () => {
  await using served = await serveMeter();
  const abort = new AbortController();
  const pending = served.client.hang({ signal: abort.signal });
  abort.abort(new Error("the test gave up"));
  await assert.rejects(pending, /the test gave up/);
});

Deno.test("a misnamed method or a wrong argument does not compile", async () => {
  // kept without a .ts extension so `deno check` of the workspace leaves it alone
  const fixture = new URL("./testdata/typed_call_errors.ts.txt", import.meta.url);
  const copy = new URL(`./testdata/_check_${crypto.randomUUID()}.ts`, import.meta.url);
  await Deno.copyFile(fixture, copy);
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", copy.pathname],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stderr);
    assert.ok(!output.success, "the fixture type-checked, but must not");
    assert.match(text, /Property 'scale_by_wrong' does not exist/);
    assert.match(text, /Type 'string' is not assignable to type 'number'/);
    assert.equal((text.match(/TS\d+ \[ERROR\]/g) ?? []).length, 2, text);
  } finally {
    await Deno.remove(copy);
  }
});
