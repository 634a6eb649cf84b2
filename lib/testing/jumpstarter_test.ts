/**
 * `jumpstarterTest()`: a `Deno.test` that gets the exporter's root client. Inside `jmp shell` it
 * uses `JUMPSTARTER_HOST`; outside, it serves `exporterConfig` locally when one is given, so the
 * same suite runs under `jmp shell -- deno test` and as a bare `deno test`.
 */
import {
  type DriverClient,
  env,
  type ExporterHandle,
  openExporter,
  UNSAFE_POLICY,
} from "@jumpstarter/lib/client";
import { type LocalExporter, startLocalExporter } from "@jumpstarter/lib/exporter";

/** Options of {@linkcode jumpstarterTest}. */
export interface JumpstarterTestOptions {
  /** Exporter config served in-process when `JUMPSTARTER_HOST` is not set. */
  exporterConfig?: string | URL;
  /** Passed to `Deno.test`. */
  ignore?: boolean;
  only?: boolean;
  sanitizeOps?: boolean;
  sanitizeResources?: boolean;
}

/** Where a test's client came from. */
export type ClientSource = "JUMPSTARTER_HOST" | "local";

/** Connects to the session the environment names, or serves `exporterConfig` locally. */
export async function connectForTest(
  options: Pick<JumpstarterTestOptions, "exporterConfig"> = {},
): Promise<{ handle: ExporterHandle; source: ClientSource; close(): Promise<void> }> {
  if (Deno.env.get("JUMPSTARTER_HOST") || options.exporterConfig === undefined) {
    const handle = await env();
    return { handle, source: "JUMPSTARTER_HOST", close: () => Promise.resolve(handle.close()) };
  }
  const path = options.exporterConfig instanceof URL
    ? options.exporterConfig.pathname
    : options.exporterConfig;
  const local: LocalExporter = await startLocalExporter(path);
  try {
    const handle = await openExporter(local.address, { policy: UNSAFE_POLICY });
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
 * Registers a test that receives the exporter's root client.
 *
 * @example
 * ```ts ignore
 * jumpstarterTest("board powers on", async (_t, root) => {
 *   await root.child("power", PowerClient).on();
 * }, { exporterConfig: new URL("./lab.yaml", import.meta.url) });
 * ```
 */
export function jumpstarterTest(
  name: string,
  fn: (t: Deno.TestContext, root: DriverClient, source: ClientSource) => Promise<void>,
  options: JumpstarterTestOptions = {},
): void {
  const { exporterConfig, ...testOptions } = options;
  Deno.test({
    name,
    ...testOptions,
    fn: async (t) => {
      const connection = await connectForTest(
        exporterConfig === undefined ? {} : { exporterConfig },
      );
      try {
        await fn(t, connection.handle.root, connection.source);
      } finally {
        await connection.close();
      }
    },
  });
}
