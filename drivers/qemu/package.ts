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
  type GrantsContext,
  mergeGrants,
  unixSocketGrants,
} from "@jumpstarter/lib/driver";
import { hostPortGrants, unixGrants } from "@jumpstarter/driver-network/package";
import { consoleLogGrants } from "@jumpstarter/driver-serial/driver";
import { instancePaths, qemuBinary } from "./command_line.ts";
import { forwardedEndpoint, mayUseKvm, type QemuConfig } from "./config.ts";
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
 * QEMU and qemu-img as they are started (by name, from `PATH`); its runtime directory (QMP and
 * console sockets it connects to, flashed partitions, the cloud-init seed), read and written;
 * `/dev/kvm` when it may try KVM; the default partitions it reads (stat, copy, dump); and its
 * children's: the console's log directory (the default one: Qemu has no `log_dir`), the `vnc`
 * socket and the host ends of the port forwards. What QEMU itself opens (firmware, `extra_args`
 * files) needs nothing: Deno's grants bind this process, not its children.
 */
function qemuGrants(config: QemuConfig, { runtimeDir }: GrantsContext): Grants {
  const paths = instancePaths(runtimeDir);
  const kvm = mayUseKvm(config) ? ["/dev/kvm"] : [];
  const images = Object.values(config.default_partitions).filter((path) => path !== undefined);
  return mergeGrants([
    {
      read: [runtimeDir, ...kvm, ...images],
      write: [runtimeDir, ...kvm],
      run: [qemuBinary(config), "qemu-img"],
    },
    unixSocketGrants(paths.qmp),
    unixSocketGrants(paths.console),
    consoleLogGrants(),
    unixGrants({ path: paths.vnc }),
    ...Object.values(config.hostfwd).map((rule) => hostPortGrants(forwardedEndpoint(rule))),
  ]);
}
