/**
 * The can package's descriptor: Can, IsoTpPython, IsoTpSocket and their clients.
 *
 * @module
 */
import {
  definePackage,
  type DriverPackage,
  type Grants,
  netAddress,
  throughLibc,
} from "@jumpstarter/lib/driver";
import { type CanConfig, canType } from "./can_driver.ts";
import { DEFAULT_GROUP_IPV4, DEFAULT_PORT } from "./udp_multicast_bus.ts";
import { isoTpPythonType, isoTpSocketType } from "./isotp_driver.ts";
import { CanClient, IsoTpClient } from "./client.ts";
import { canInterface, isoTpInterface } from "./interface.ts";

/** `@jumpstarter/driver-can`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-can",
  driverTypes: [canType, isoTpPythonType, isoTpSocketType],
  clients: [
    { classPaths: [canInterface.client], client: CanClient },
    { classPaths: [isoTpInterface.client], client: IsoTpClient },
  ],
  grants: {
    Can: busGrants,
    IsoTpPython: busGrants,
    // not implemented: it only asks the kernel (through libc) why it cannot open one
    IsoTpSocket: () => throughLibc(),
  },
});

/**
 * What the bus backend reaches: nothing for `virtual` (in memory); for `udp_multicast`, its port
 * on every address (to join the group) and the group it sends to; for `socketcan`, libc (its
 * AF_CAN socket). An interface
 * this exporter lacks needs nothing: the driver refuses it when it opens the bus.
 */
function busGrants(config: Pick<CanConfig, "channel" | "interface">): Grants {
  switch (config.interface ?? "virtual") {
    case "udp_multicast": {
      const group = config.channel === null ? DEFAULT_GROUP_IPV4 : String(config.channel);
      return { net: [netAddress("0.0.0.0", DEFAULT_PORT), netAddress(group, DEFAULT_PORT)] };
    }
    case "socketcan":
      return throughLibc();
    default:
      return {};
  }
}
