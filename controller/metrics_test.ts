/**
 * `/metrics` on the controller (issue 15 item 5): scraped with curl while leases are granted,
 * queued and released, and by a real `prometheus` started here.
 */
import assert from "node:assert/strict";
import {
  clientRegistryOf,
  connectController,
  createLease,
  openExporter,
  openLeaseSocket,
  releaseLease,
  UNSAFE_POLICY,
  waitForLease,
} from "@jumpstarter/lib/client";
import { Exporter } from "@jumpstarter/lib/exporter";
import { eventually } from "@jumpstarter/lib/testing";
import { run } from "../tests/_process.ts";
import { controllerArgs, freePort, startController } from "../tests/_distributed.ts";
import { startPrometheus } from "../tests/_prometheus.ts";
import { startLab, testRegistry } from "./test_lab.ts";
import { ControllerMetrics } from "./metrics.ts";
import type { LeaseRecord } from "./model.ts";

const WAIT = { timeoutMs: 20_000, intervalMs: 50 };

async function curlMetrics(port: number): Promise<string> {
  const result = await run("curl", ["-sS", "--max-time", "5", `http://127.0.0.1:${port}/metrics`], {
    timeoutMs: 10_000,
  });
  assert.equal(result.code, 0, `curl /metrics failed: ${result.stderr}`);
  return result.stdout;
}

/** The value of series `name{labels}` in Prometheus text, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((line) => line.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Scrapes until every expected series has its value; fails naming what differed. */
async function expectScrape(port: number, expected: Record<string, (value: number) => boolean>) {
  let last = "";
  await eventually(`/metrics to show ${Object.keys(expected).join(", ")}`, async () => {
    last = await curlMetrics(port);
    return Object.entries(expected).every(([series, ok]) => {
      const value = sample(last, series);
      return value !== undefined && ok(value);
    });
  }, {
    ...WAIT,
    describe: () =>
      Object.keys(expected).map((series) => `${series} = ${sample(last, series)}`).join("\n"),
  });
}

const is = (want: number) => (value: number) => value === want;
const positive = (value: number) => value > 0;

Deno.test("metrics: curl sees leases granted, queued and released, tunnels and bytes routed", async () => {
  await using lab = await startLab({ metricsAddress: "127.0.0.1:0" });
  const port = lab.controller.metricsPort!;
  const before = await curlMetrics(port);
  assert.equal(sample(before, `jumpstarter_lease_acquisitions_total{result="success"}`), 0);
  assert.equal(sample(before, "jumpstarter_leases_active"), 0);
  assert.equal(sample(before, "jumpstarter_router_bytes_total"), 0);

  const alice = await connectController(await lab.client("lab", "alice"));
  const bob = await connectController(await lab.client("lab", "bob"));
  const abort = new AbortController();
  const config = await lab.exporter("lab", "bench", { board: "metrics" });
  const running = new Exporter(config, { registry: testRegistry }).run(abort.signal);
  const dir = await Deno.makeTempDir();
  try {
    const first = (await createLease(alice, { selector: "board=metrics", durationMs: 60_000 }))
      .name.split("/").pop()!;
    await waitForLease(alice, first, { pollMs: 50, timeoutMs: 20_000 });
    // bob queues behind alice
    const second = (await createLease(bob, { selector: "board=metrics", durationMs: 60_000 }))
      .name.split("/").pop()!;
    {
      await using socket = openLeaseSocket(alice, first, { path: `${dir}/lease.sock` });
      const handle = await openExporter(socket.path, {
        policy: UNSAFE_POLICY,
        registry: clientRegistryOf([]),
      });
      try {
        await handle.connection.exporter.getReport({});
        await expectScrape(port, {
          [`jumpstarter_lease_acquisitions_total{result="success"}`]: is(1),
          "jumpstarter_leases_active": is(1),
          "jumpstarter_lease_queue_length": is(1),
          "jumpstarter_lease_wait_seconds_count": is(1),
          "jumpstarter_active_sessions": positive,
          "jumpstarter_router_bytes_total": positive,
        });
      } finally {
        handle.close();
      }
    }
    await releaseLease(alice, first);
    await waitForLease(bob, second, { pollMs: 50, timeoutMs: 20_000 });
    await expectScrape(port, {
      [`jumpstarter_lease_acquisitions_total{result="success"}`]: is(2),
      "jumpstarter_leases_active": is(1),
      "jumpstarter_lease_queue_length": is(0),
      "jumpstarter_lease_wait_seconds_count": is(2),
      "jumpstarter_active_sessions": is(0),
    });
    await releaseLease(bob, second);
    await expectScrape(port, {
      "jumpstarter_leases_active": is(0),
      "jumpstarter_lease_queue_length": is(0),
      [`jumpstarter_lease_acquisitions_total{result="failure"}`]: is(0),
    });
    // a lease no exporter matches ends at once, unsatisfiable: a failed acquisition
    await createLease(bob, { selector: "board=absent", durationMs: 60_000 });
    await expectScrape(port, {
      "jumpstarter_lease_queue_length": is(0),
      [`jumpstarter_lease_acquisitions_total{result="failure"}`]: is(1),
      [`jumpstarter_lease_acquisitions_total{result="success"}`]: is(2),
    });
  } finally {
    alice.close();
    bob.close();
    abort.abort();
    await running.catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("metrics: a real prometheus scrapes the controller (target up, the lease count as it is)", async () => {
  await using lab = await startLab({ metricsAddress: "127.0.0.1:0" });
  const alice = await connectController(await lab.client("lab", "alice"));
  const abort = new AbortController();
  const exporter = await lab.exporter("lab", "bench", { board: "scraped" });
  const running = new Exporter(exporter, { registry: testRegistry }).run(abort.signal);
  const target = `127.0.0.1:${lab.controller.metricsPort}`;
  try {
    await using prometheus = await startPrometheus([target]);
    await prometheus.targetsUp();
    assert.equal(await prometheus.query(`up{instance="${target}"}`), "1");
    const active = `jumpstarter_leases_active{instance="${target}"}`;
    await prometheus.until("the active leases", active, "0");
    const lease = (await createLease(alice, { selector: "board=scraped", durationMs: 60_000 }))
      .name.split("/").pop()!;
    await waitForLease(alice, lease, { pollMs: 50, timeoutMs: 20_000 });
    await prometheus.until("the active leases", active, "1");
    await releaseLease(alice, lease);
    await prometheus.until("the active leases", active, "0");
  } finally {
    alice.close();
    abort.abort();
    await running.catch(() => {});
  }
});

Deno.test("jmp-controller --metrics-address serves /metrics there and nothing else", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "jmp-controller-" });
  const port = freePort();
  const controller = await startController(stateDir, { metricsAddress: `127.0.0.1:${port}` });
  try {
    const text = await curlMetrics(port);
    assert.equal(sample(text, "jumpstarter_leases_active"), 0, text);
    assert.match(text, /^# TYPE jumpstarter_lease_wait_seconds histogram$/m);
    const other = await run("curl", [
      "-sS",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      `http://127.0.0.1:${port}/`,
    ], {
      timeoutMs: 10_000,
    });
    assert.equal(other.stdout, "404");
    await eventually(
      "the controller to log its metrics port",
      () => controller.stderr().includes(`metrics on port ${port} (/metrics)`),
      { ...WAIT, describe: () => controller.stderr() },
    );
  } finally {
    await controller.stop();
    await Deno.remove(stateDir, { recursive: true });
  }
});

function runController(stateDir: string, ...args: string[]) {
  return run(
    Deno.execPath(),
    controllerArgs([
      "--state-dir",
      stateDir,
      "--listen",
      "127.0.0.1:0",
      ...args,
    ]),
    { timeoutMs: 30_000 },
  );
}

Deno.test("jmp-controller --metrics-address on a port in use: one line naming the address, exit 1", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "jmp-controller-" });
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const address = `127.0.0.1:${taken.addr.port}`;
  try {
    const result = await runController(stateDir, "--metrics-address", address);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`^Error: Cannot serve metrics on ${address}: `));
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("jmp-controller --metrics-address with a bad address is a one-line usage error naming the flag", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "jmp-controller-" });
  try {
    const result = await runController(stateDir, "--metrics-address", "localhost:http");
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.match(result.stderr, /--metrics-address.*"localhost:http"/);
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("metrics: a grant is counted once, by the replica that saw it granted", async () => {
  const lease = (changes: Partial<LeaseRecord>): LeaseRecord => ({
    namespace: "lab",
    name: "l1",
    client: "alice",
    selector: "board=x",
    conditions: [],
    release: false,
    ended: false,
    tags: {},
    createdAt: 1_000,
    sequence: 1,
    ...changes,
  });
  const successes = async (metrics: ControllerMetrics) =>
    (await metrics.registry.getSingleMetric("jumpstarter_lease_acquisitions_total")!.get())
      .values.find((value) => value.labels.result === "success")!.value;
  const sources = { leases: () => [], activeSessions: () => 0, bytesRouted: () => 0 };

  const granting = new ControllerMetrics(sources);
  granting.observe([lease({})]);
  granting.observe([lease({ exporter: "e1", effectiveBeginTime: 1_500 })]);
  granting.observe([lease({ exporter: "e1", effectiveBeginTime: 1_500 })]);
  granting.observe([lease({ exporter: "e1", effectiveBeginTime: 1_500, ended: true })]);
  assert.equal(await successes(granting), 1);

  // another replica releases that lease: it never saw it granted, so it does not count it
  const releasing = new ControllerMetrics(sources);
  releasing.observe([lease({})]);
  releasing.observe([lease({ exporter: "e1", effectiveBeginTime: 1_500, ended: true })]);
  assert.equal(await successes(releasing), 0);
});
