/**
 * The qemu package's descriptor: the Qemu driver type, `QemuClient` and `FlasherClient` with
 * their `j` commands. Its `power` and `console` children report the power and serial packages'
 * clients: list those packages too. Apart from `mod.ts` because it loads the exporter-side
 * driver (the QEMU process, its QMP link).
 *
 * @module
 */
import {
  definePackage,
  type DriverPackage,
  type Grants,
  netAddress,
  tempDirectory,
} from "@jumpstarter/lib/driver";
import { qemuBinary } from "./command_line.ts";
import type { QemuConfig } from "./config.ts";
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
  grants: { Qemu: qemuGrants },
});

/**
 * QEMU and qemu-img, the VM's temp directory, KVM unless `accel: tcg`, the default partition
 * images it reads, and the host ends of its port forwards (its network children connect there).
 * The QMP and console Unix sockets in the temp directory also need `--allow-net` for their
 * random `unix:` paths, which a grant cannot name in advance.
 */
function qemuGrants(config: QemuConfig): Grants {
  const kvm = config.accel === "tcg" ? [] : ["/dev/kvm"];
  const images = Object.values(config.default_partitions).filter((path) => path !== undefined);
  return {
    read: [tempDirectory(), ...kvm, ...images],
    write: [tempDirectory(), ...kvm],
    run: [qemuBinary(config), "qemu-img"],
    net: Object.values(config.hostfwd).map((rule) => netAddress(rule.hostaddr, rule.hostport)),
  };
}
