/**
 * Test support: a controller in-process with a temp state dir, an admin client, and helpers to
 * create clients and exporters and to build an exporter config for them.
 */
import { stringify } from "yaml";
import { z } from "zod";
import {
  compositeType,
  defineDriverType,
  defineInterface,
  Driver,
  DriverRegistry,
  type ExportedMethod,
  exportMethods,
  unary,
} from "@jumpstarter/lib/driver";
import { controllerChannel, type ControllerIdentity } from "@jumpstarter/lib/client";
import { type ExporterConfig, parseExporterConfig } from "@jumpstarter/lib/config";
import { adminV1, createClient } from "@jumpstarter/protos";
import { type ControllerOptions, type RunningController, startController } from "./server.ts";

const counterInterface = defineInterface({
  client: "tests.Counter",
  methods: { bump: unary([z.number()]) },
});

/** A driver that adds up what it is sent. */
export class Counter extends Driver {
  readonly interface = counterInterface;
  total = 0;
  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(counterInterface, { bump: (n) => (this.total += n) });
  }
}

/** Composite + Counter, for exporters in tests. */
export const testRegistry: DriverRegistry = new DriverRegistry().register(
  compositeType,
  defineDriverType({
    name: "Counter",
    aliases: [],
    config: z.object({}).strict(),
    create: (_c, options) => new Counter(options),
  }),
);

/** A running test lab. */
export interface TestLab extends AsyncDisposable {
  readonly controller: RunningController;
  /** Creates a client; returns the identity to connect with. */
  client(namespace: string, name: string): Promise<ControllerIdentity>;
  /** Creates an exporter and returns its config with `export` and `extra` top-level keys. */
  exporter(
    namespace: string,
    name: string,
    labels: Record<string, string>,
    extra?: Record<string, unknown>,
  ): Promise<ExporterConfig>;
}

/** Starts a controller on a free port; `extra` adds controller options (e.g. `metricsAddress`). */
export async function startLab(
  extra: Partial<Pick<ControllerOptions, "metricsAddress">> = {},
): Promise<TestLab> {
  const stateDir = await Deno.makeTempDir({ prefix: "jmp-controller-" });
  const controller = await startController({ stateDir, listen: "127.0.0.1:0", ...extra });
  const channel = await controllerChannel({
    endpoint: controller.endpoint,
    token: await controller.adminToken(),
    namespace: "",
    name: "admin",
    kind: "Admin",
    tls: { ca: controller.core.caBase64 },
  });
  const admin = createClient(adminV1.AdminService, channel);
  return {
    controller,
    async client(namespace, name) {
      const credential = await admin.createClient({ namespace, name });
      return {
        endpoint: credential.endpoint,
        token: credential.token,
        namespace,
        name,
        kind: "Client",
        tls: { ca: credential.ca },
      };
    },
    async exporter(namespace, name, labels, extra = {}) {
      const credential = await admin.createExporter({ namespace, name, labels });
      return parseExporterConfig(
        stringify({
          apiVersion: "jumpstarter.dev/v1alpha1",
          kind: "ExporterConfig",
          metadata: { namespace, name },
          endpoint: credential.endpoint,
          token: credential.token,
          tls: { ca: credential.ca, insecure: false },
          export: { counter: { type: "Counter" } },
          ...extra,
        }),
        `${name}.yaml`,
      );
    },
    async [Symbol.asyncDispose]() {
      channel.close();
      await controller.close();
      await Deno.remove(stateDir, { recursive: true });
    },
  };
}
