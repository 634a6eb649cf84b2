/**
 * The descriptor of `@jumpstarter/driver-tftp`: the `Tftp` driver type, its client and the
 * client's `j` commands. Kept apart from `mod.ts` so client-only users do not load the TFTP
 * server.
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
 * The root (served, and written by clients), the UDP host served on (any port: each transfer
 * binds a new one) and the clients it may answer ({@linkcode clientRange}).
 */
function tftpGrants(config: TftpConfig): Grants {
  const read = servedRoot(config.root_dir);
  const write = servedRoot(config.root_dir);
  const served = (host: string) => [netAddress(host, 0), clientRange(host)];
  const all = CONFINED_ROOT_NEEDS_ALL;
  if (config.host !== "") return { read, write, net: served(config.host), all };
  // no host: the driver looks up the default-route interface's address, as here
  const host = defaultHostAddress() ?? "0.0.0.0";
  return {
    read: [...read, "/proc/net/route"],
    write,
    net: served(host),
    sys: ["networkInterfaces"],
    all,
  };
}
