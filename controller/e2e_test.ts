import assert from "node:assert/strict";
import { z } from "zod";
import { stringify } from "yaml";
import {
  defineInterface,
  Driver,
  type ExportedMethod,
  exportMethods,
  unary,
} from "@jumpstarter/lib/driver";
import {
  connectController,
  type ControllerIdentity,
  createLease,
  getLease,
  openExporter,
  openLeaseSocket,
  releaseLease,
  UNSAFE_POLICY,
  waitForLease,
} from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import {
  compositeType,
  defineDriverType,
  DriverRegistry,
  Exporter,
} from "@jumpstarter/lib/exporter";
import { adminV1, createClient } from "@jumpstarter/protos";
import { controllerChannel } from "@jumpstarter/lib/client";
import { startController } from "./server.ts";

const counterInterface = defineInterface({
  client: "tests.Counter",
  methods: { bump: unary([z.number()]) },
});

class Counter extends Driver {
  readonly interface = counterInterface;
  total = 0;
  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(counterInterface, { bump: (n) => (this.total += n) });
  }
}

const registry = new DriverRegistry().register(
  compositeType,
  defineDriverType({
    name: "Counter",
    aliases: [],
    config: z.object({}).strict(),
    create: (_c, options) => new Counter(options),
  }),
);

async function admin(endpoint: string, token: string, ca: string) {
  const channel = await controllerChannel({
    endpoint,
    token,
    namespace: "",
    name: "admin",
    kind: "Admin",
    tls: { ca },
  });
  return { service: createClient(adminV1.AdminService, channel), close: () => channel.close() };
}

Deno.test("lease by label, call through the router, release, exporter available again", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "jmp-controller-" });
  const controller = await startController({ stateDir, listen: "127.0.0.1:0" });
  const adminClient = await admin(
    controller.endpoint,
    await controller.adminToken(),
    controller.core.caBase64,
  );
  const abort = new AbortController();
  let exporterRun: Promise<void> | undefined;
  try {
    const client = await adminClient.service.createClient({ namespace: "lab", name: "alice" });
    const exporterCredential = await adminClient.service.createExporter({
      namespace: "lab",
      name: "bench1",
      labels: { board: "virt" },
    });
    const exporterConfig = parseExporterConfig(
      stringify({
        apiVersion: "jumpstarter.dev/v1alpha1",
        kind: "ExporterConfig",
        metadata: { namespace: "lab", name: "bench1" },
        endpoint: exporterCredential.endpoint,
        token: exporterCredential.token,
        tls: { ca: exporterCredential.ca, insecure: false },
        export: { counter: { type: "Counter" } },
      }),
      "bench1.yaml",
    );
    const logs: string[] = [];
    const exporter = new Exporter(exporterConfig, { registry, log: (m) => logs.push(m) });
    exporterRun = exporter.run(abort.signal);

    const identity: ControllerIdentity = {
      endpoint: client.endpoint,
      token: client.token,
      namespace: "lab",
      name: "alice",
      kind: "Client",
      tls: { ca: client.ca },
    };
    using connection = await connectController(identity);
    const lease = await createLease(connection, { selector: "board=virt", durationMs: 60_000 });
    const name = lease.name.split("/").pop()!;
    const ready = await waitForLease(connection, name, { pollMs: 100, timeoutMs: 20_000 });
    assert.equal(ready.exporter, "namespaces/lab/exporters/bench1");

    const dir = await Deno.makeTempDir();
    await using socket = openLeaseSocket(connection, name, { path: `${dir}/lease.sock` });
    {
      await using handle = await openExporter(socket.path, { policy: UNSAFE_POLICY });
      const counter = handle.root.children.get("counter")!;
      assert.equal(await counter.call("bump", 2), 2);
      assert.equal(await counter.call("bump", 40), 42);
    }
    await releaseLease(connection, name);
    const released = await getLease(connection, name);
    assert.ok(released.conditions.some((c) => c.type === "Ready" && c.status === "False"));
    // the exporter goes back to Available and can be leased again
    const again = await createLease(connection, { selector: "board=virt", durationMs: 60_000 });
    const againName = again.name.split("/").pop()!;
    await waitForLease(connection, againName, { pollMs: 100, timeoutMs: 20_000 });
    await releaseLease(connection, againName);
    await Deno.remove(dir, { recursive: true });
  } finally {
    abort.abort();
    await exporterRun?.catch(() => {});
    adminClient.close();
    await controller.close();
    await Deno.remove(stateDir, { recursive: true });
  }
});
