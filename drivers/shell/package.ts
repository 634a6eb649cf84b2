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
 * The interpreter the methods run in (what it starts in turn is outside Deno's reach) and the
 * working directory it checks.
 */
function shellGrants(config: z.output<typeof shellConfigSchema>): Grants {
  return { run: [config.shell[0]!], ...(config.cwd === null ? {} : { read: [config.cwd] }) };
}
