/**
 * The shell package's descriptor: the Shell driver type, `ShellClient` and its `j` commands.
 * Apart from `mod.ts` because it loads the exporter-side driver.
 *
 * @module
 */
import { definePackage, type DriverPackage, type Grants } from "@jumpstarter/lib/driver";
import type { shellConfigSchema } from "./config.ts";
import type { z } from "zod";
import { shellType } from "./driver.ts";
import { ShellClient } from "./client.ts";
import { shellCli } from "./cli.ts";
import { shellInterface } from "./interface.ts";

/** `@jumpstarter/driver-shell`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-shell",
  driverTypes: [shellType],
  clients: [{ classPaths: [shellInterface.client], client: ShellClient, cli: shellCli }],
  grants: { Shell: shellGrants },
});

/**
 * Running any program, and the working directory it checks. The bare `--allow-run`, not the
 * interpreter alone: a script that outlives its timeout (or its session) is stopped by signalling
 * its process group, `Deno.kill(-pid)`, which Deno allows only with the bare flag (measured in
 * 2.9.6: with `--allow-run=sh` the kill is refused and the script runs on). It widens nothing
 * a Shell does not already have: its interpreter runs whatever its scripts name.
 */
function shellGrants(config: z.output<typeof shellConfigSchema>): Grants {
  return { run: true, ...(config.cwd === null ? {} : { read: [config.cwd] }) };
}
