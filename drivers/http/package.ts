/**
 * The descriptor of `@jumpstarter/driver-http`: the `HttpServer` driver type, its client and
 * the client's `j` commands. Kept apart from `mod.ts` so client-only users do not load the
 * exporter side.
 *
 * @module
 */
import {
  definePackage,
  /** @ignore documented by `@jumpstarter/lib/driver` */
  type DriverPackage,
  type Grants,
  netAddress,
  servedRootGrants,
} from "@jumpstarter/lib/driver";
import { defaultHost } from "./host.ts";
import { httpCli } from "./cli.ts";
import { HttpServerClient } from "./client.ts";
import { httpServerType } from "./driver.ts";
import { httpServerInterface } from "./interface.ts";

/** The HTTP file server package, for a program's package list. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-http",
  driverTypes: [httpServerType],
  clients: [{ classPaths: [httpServerInterface.client], client: HttpServerClient, cli: httpCli }],
  grants: { HttpServer: httpServerGrants },
});

/** The served root (clients upload into it) and the listening address. */
function httpServerGrants(config: { root_dir: string; host: string | null; port: number }): Grants {
  // no host: the server picks the first non-loopback address, as it will when it starts
  const host = config.host ?? defaultHost() ?? "0.0.0.0";
  const root = servedRootGrants(config.root_dir, { write: true });
  return {
    ...root,
    net: [netAddress(host, config.port)],
    sys: config.host === null ? [...root.sys as string[], "networkInterfaces"] : root.sys!,
  };
}
