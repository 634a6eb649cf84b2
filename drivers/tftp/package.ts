/**
 * The descriptor of `@jumpstarter/driver-tftp`: the `Tftp` driver type, its client and the
 * client's `j` commands. Kept apart from `mod.ts` so client-only users do not load the TFTP
 * server.
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
import type { TftpConfig } from "./config.ts";
import { clientRange, defaultHostAddress } from "./host.ts";
import { tftpCli } from "./cli.ts";
import { TftpClient } from "./client.ts";
import { tftpType } from "./driver.ts";
import { tftpInterface } from "./interface.ts";

/** The TFTP server package, for a program's package list. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-tftp",
  driverTypes: [tftpType],
  clients: [{ classPaths: [tftpInterface.client], client: TftpClient, cli: tftpCli }],
  grants: { Tftp: tftpGrants },
});

/**
 * Why a Tftp without `host` needs `-A`: it serves on the default-route interface's address, read
 * from `/proc/net/route`, and Deno reads below `/proc` only with `-A` (measured in 2.9.6).
 */
export const DEFAULT_ROUTE_NEEDS_ALL =
  "without host: it reads the default route from /proc/net/route, which Deno allows only with -A";

/**
 * The root (served, and written by clients), the UDP host served on (any port: each transfer
 * binds a new one) and the clients it may answer ({@linkcode clientRange}).
 */
function tftpGrants(config: TftpConfig): Grants {
  const root = servedRootGrants(config.root_dir, { write: true });
  const served = (host: string) => [netAddress(host, 0), clientRange(host)];
  if (config.host !== "") return { ...root, net: served(config.host) };
  const host = defaultHostAddress() ?? "0.0.0.0";
  return {
    ...root,
    net: served(host),
    sys: [...root.sys as string[], "networkInterfaces"],
    all: DEFAULT_ROUTE_NEEDS_ALL,
  };
}
