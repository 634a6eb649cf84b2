/**
 * The descriptor of `@jumpstarter/driver-opendal`: the file-backed storage mux mocks, the storage
 * mux clients and their `j` commands. Kept apart from `mod.ts` so client-only users do not load
 * the exporter side.
 *
 * @module
 */
import {
  definePackage,
  /** @ignore documented by `@jumpstarter/lib/driver` */
  type DriverPackage,
} from "@jumpstarter/lib/driver";
import { storageMuxCli, storageMuxFlasherCli } from "./cli.ts";
import { StorageMuxClient, StorageMuxFlasherClient } from "./client.ts";
import { mockStorageMuxFlasherType, mockStorageMuxType } from "./driver.ts";
import { storageMuxFlasherInterface, storageMuxInterface } from "./interface.ts";

/** The storage mux package, for a program's package list. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-opendal",
  driverTypes: [mockStorageMuxType, mockStorageMuxFlasherType],
  clients: [
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
