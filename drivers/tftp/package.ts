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
  servedRoot,
} from "@jumpstarter/lib/driver";
import type { TftpConfig } from "./config.ts";
import { defaultHostAddress } from "./host.ts";
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

/** The root (served, and written by clients) and the UDP address served on. */
function tftpGrants(config: TftpConfig): Grants {
  const root = {
    read: servedRoot(config.root_dir),
    write: servedRoot(config.root_dir),
  };
  if (config.host !== "") return { ...root, net: [netAddress(config.host, config.port)] };
  // no host: the driver looks up the default-route interface's address, as here
  const host = defaultHostAddress() ?? "0.0.0.0";
  return {
    read: [...root.read, "/proc/net/route"],
    write: root.write,
    net: [netAddress(host, config.port)],
    sys: ["networkInterfaces"],
  };
}
