/**
 * The qemu package's descriptor: the Qemu driver type, `QemuClient` and `FlasherClient` with
 * their `j` commands. Its `power` and `console` children report the power and serial packages'
 * clients: list those packages too. Apart from `mod.ts` because it loads the exporter-side
 * driver (the QEMU process, its QMP link).
 *
 * @module
 */
import { definePackage, type DriverPackage } from "@jumpstarter/lib/driver";
import { qemuType } from "./driver.ts";
import { FlasherClient, QemuClient } from "./client.ts";
import { flasherCli } from "./cli.ts";
import { qemuCli } from "./qemu_cli.ts";
import { flasherInterface, qemuInterface } from "./interface.ts";

/** `@jumpstarter/driver-qemu`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-qemu",
  driverTypes: [qemuType],
  clients: [
    { classPaths: [qemuInterface.client], client: QemuClient, cli: qemuCli },
    {
      // 0.7.0's QEMU flasher reports the generic FlasherClient, which @jumpstarter/driver-opendal
      // (its upstream home) provides
      classPaths: [flasherInterface.client],
      client: FlasherClient,
      cli: flasherCli,
    },
  ],
});
