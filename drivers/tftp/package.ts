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
} from "@jumpstarter/lib/driver";
import { tftpCli } from "./cli.ts";
import { TftpClient } from "./client.ts";
import { tftpType } from "./driver.ts";
import { tftpInterface } from "./interface.ts";

/** The TFTP server package, for a program's package list. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-tftp",
  driverTypes: [tftpType],
  clients: [{ classPaths: [tftpInterface.client], client: TftpClient, cli: tftpCli }],
});
