/**
 * The descriptor of `@jumpstarter/driver-opendal`: the `Opendal` storage driver, `MockFlasher`, the
 * file-backed storage mux mocks, their clients and their `j` commands. Kept apart from `mod.ts` so
 * client-only users do not load the exporter side.
 *
 * @module
 */
import {
  definePackage,
  /** @ignore documented by `@jumpstarter/lib/driver` */
  type DriverPackage,
} from "@jumpstarter/lib/driver";
import { storageMuxCli, storageMuxFlasherCli } from "./storage_mux_cli.ts";
import { StorageMuxClient, StorageMuxFlasherClient } from "./storage_mux_client.ts";
import { mockStorageMuxFlasherType, mockStorageMuxType } from "./driver.ts";
import { storageMuxFlasherInterface, storageMuxInterface } from "./storage_mux_interface.ts";
import { flasherCli } from "./flasher_cli.ts";
import { FlasherClient } from "./flasher_client.ts";
import { mockFlasherType } from "./flasher_driver.ts";
import { opendalCli } from "./opendal_cli.ts";
import { OpendalClient } from "./opendal_client.ts";
import { opendalType } from "./opendal_driver.ts";
import { flasherInterface, opendalInterface } from "./opendal_interface.ts";

/** The storage mux package, for a program's package list. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-opendal",
  driverTypes: [opendalType, mockFlasherType, mockStorageMuxType, mockStorageMuxFlasherType],
  clients: [
    { classPaths: [opendalInterface.client], client: OpendalClient, cli: opendalCli },
    { classPaths: [flasherInterface.client], client: FlasherClient, cli: flasherCli },
    {
      classPaths: [storageMuxInterface.client],
      client: StorageMuxClient,
      cli: storageMuxCli,
    },
    {
      classPaths: [storageMuxFlasherInterface.client],
      client: StorageMuxFlasherClient,
      cli: storageMuxFlasherCli,
    },
  ],
});
