/**
 * The descriptor of `@jumpstarter/driver-http`: the `HttpServer` driver type, its client and
 * the client's `j` commands. Kept apart from `mod.ts` so client-only users do not load the
 * exporter side.
 *
 * @module
 */
import {
  CONFINED_ROOT_NEEDS_ALL,
  definePackage,
  /** @ignore documented by `@jumpstarter/lib/driver` */
  type DriverPackage,
  type Grants,
  netAddress,
  servedRoot,
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
  return {
    read: servedRoot(config.root_dir),
    write: servedRoot(config.root_dir),
    net: [netAddress(host, config.port)],
    all: CONFINED_ROOT_NEEDS_ALL,
    ...(config.host === null ? { sys: ["networkInterfaces"] } : {}),
  };
}
