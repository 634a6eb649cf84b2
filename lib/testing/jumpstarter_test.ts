/**
 * `jumpstarterTest()`: a `Deno.test` that gets the exporter's root client. Inside `jmp shell` it
 * uses `JUMPSTARTER_HOST`; outside, like upstream's `JumpstarterTest`, it leases a board matching
 * `selector` through the user's client config for the test (its steps are the suite) and releases
 * it afterwards, or serves `exporterConfig` locally. So the same suite runs under
 * `jmp shell -- deno test` and as a bare `deno test`.
 */
import {
  clientRegistryOf,
  type DriverClient,
  env,
  type ExporterHandle,
  openExporter,
  UNSAFE_POLICY,
} from "@jumpstarter/lib/client";
import { type DriverPackage, driverRegistryOf } from "@jumpstarter/lib/driver";
import { type LocalExporter, startLocalExporter } from "@jumpstarter/lib/exporter";
import { leaseBoard } from "./board_lease.ts";

/** Options of {@linkcode jumpstarterTest}. */
export interface JumpstarterTestOptions {
  /**
   * The driver packages the suite uses (each exports `driverPackage` from its `package.ts`):
   * their clients load for the tree's drivers (others get a generic `DriverClient`), and their
   * driver types serve `exporterConfig`. Composite is always included.
   */
  packages: readonly DriverPackage[];
  /** Exporter config served in-process when `JUMPSTARTER_HOST` is not set (and no selector). */
  exporterConfig?: string | URL;
  /** Outside `jmp shell`: lease a board matching this label selector for the test. */
  selector?: string;
  /** With `selector`: the client config file (default: env-only or the current client). */
  clientConfig?: string;
  /** With `selector`: the lease duration (default 30 minutes). */
  durationMs?: number;
  /** Passed to `Deno.test`: skip the test. */
  ignore?: boolean;
  /** Passed to `Deno.test`: run only the tests marked so. */
  only?: boolean;
  /** Passed to `Deno.test`: fail when async ops are left pending. */
  sanitizeOps?: boolean;
  /** Passed to `Deno.test`: fail when resources are left open. */
  sanitizeResources?: boolean;
}

/** Where a test's client came from. */
export type ClientSource = "JUMPSTARTER_HOST" | "lease" | "local";

/**
 * @ignore the connection part of {@linkcode JumpstarterTestOptions}, documented there.
 */
type ConnectOptions = Pick<
  JumpstarterTestOptions,
  "packages" | "exporterConfig" | "selector" | "clientConfig" | "durationMs"
>;

/**
 * Connects to the session the environment names, or leases a board by `selector`, or serves
 * `exporterConfig` locally, in that order.
 */
export async function connectForTest(
  options: ConnectOptions,
): Promise<{ handle: ExporterHandle; source: ClientSource; close(): Promise<void> }> {
  const registry = clientRegistryOf(options.packages);
  if (!Deno.env.get("JUMPSTARTER_HOST") && options.selector !== undefined) {
    const board = await leaseBoard({
      selector: options.selector,
      registry,
      ...(options.clientConfig === undefined ? {} : { clientConfig: options.clientConfig }),
      ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
    });
    return { handle: board.handle, source: "lease", close: board.close };
  }
  if (Deno.env.get("JUMPSTARTER_HOST") || options.exporterConfig === undefined) {
    const handle = await env({ registry });
    return { handle, source: "JUMPSTARTER_HOST", close: () => Promise.resolve(handle.close()) };
  }
  const path = options.exporterConfig instanceof URL
    ? options.exporterConfig.pathname
    : options.exporterConfig;
  const local: LocalExporter = await startLocalExporter(path, {
    registry: driverRegistryOf(options.packages),
  });
  try {
    const handle = await openExporter(local.address, { policy: UNSAFE_POLICY, registry });
    return {
      handle,
      source: "local",
      close: async () => {
        handle.close();
        await local.close();
      },
    };
  } catch (error) {
    await local.close();
    throw error;
  }
}

/**
 * Registers a test that receives the exporter's root client. `options.packages` lists the driver
 * packages the suite uses: their clients are what `root.child(name, Kind)` finds, and their
 * driver types are what a local `exporterConfig` may name.
 *
 * @example
 * ```ts ignore
 * import { PowerClient } from "@jumpstarter/driver-power";
 * import { driverPackage as power } from "@jumpstarter/driver-power/package";
 *
 * jumpstarterTest("board powers on", async (_t, root) => {
 *   await root.child("power", PowerClient).on();
 * }, { packages: [power], exporterConfig: new URL("./lab.yaml", import.meta.url) });
 *
 * // outside `jmp shell`: lease a matching board with the current client config
 * jumpstarterTest("rpi4 suite", async (t, root) => {
 *   await t.step("power on", () => root.child("power", PowerClient).on());
 * }, { packages: [power], selector: "board=rpi4" });
 * ```
 */
export function jumpstarterTest(
  name: string,
  fn: (t: Deno.TestContext, root: DriverClient, source: ClientSource) => Promise<void>,
  options: JumpstarterTestOptions,
): void {
  const { packages, exporterConfig, selector, clientConfig, durationMs, ...testOptions } = options;
  Deno.test({
    name,
    ...testOptions,
    fn: async (t) => {
      const connection = await connectForTest({
        packages,
        ...(exporterConfig === undefined ? {} : { exporterConfig }),
        ...(selector === undefined ? {} : { selector }),
        ...(clientConfig === undefined ? {} : { clientConfig }),
        ...(durationMs === undefined ? {} : { durationMs }),
      });
      try {
        await fn(t, connection.handle.root, connection.source);
      } finally {
        await connection.close();
      }
    },
  });
}
