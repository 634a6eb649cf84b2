/** Opens a bus by python-can interface name: the backends this exporter has. */
import { ConnectionError } from "@jumpstarter/lib/wire";
import type { CanBus } from "./bus.ts";
import { VirtualBus } from "./virtual_bus.ts";
import { UdpMulticastBus } from "./udp_multicast_bus.ts";
import { openSocketCan } from "./socketcan_bus.ts";

export const BUS_INTERFACES = ["virtual", "udp_multicast", "socketcan"] as const;

export function openBus(
  interfaceName: string | null,
  channel: string | number | null,
  fd = false,
): Promise<CanBus> {
  switch (interfaceName ?? "virtual") {
    case "virtual":
      return Promise.resolve(new VirtualBus(channel, fd));
    case "udp_multicast":
      return UdpMulticastBus.open(channel, undefined, fd);
    case "socketcan":
      return openSocketCan(channel);
    default:
      return Promise.reject(
        new ConnectionError(
          `python-can interface "${interfaceName}" is not available here ` +
            `(this exporter has ${BUS_INTERFACES.join(", ")})`,
        ),
      );
  }
}
