/**
 * The descriptor of `@jumpstarter/driver-network`: the TcpNetwork, UdpNetwork, UnixNetwork and
 * EchoNetwork driver types, `NetworkClient` and its `j` commands. Apart from `mod.ts` so that
 * client-only users do not load the exporter side.
 *
 * @module
 */
import {
  definePackage,
  type DriverPackage,
  type Grants,
  netAddress,
  unixSocketGrants,
} from "@jumpstarter/lib/driver";
import type { HostPortConfig, UnixConfig } from "./config.ts";
import { echoNetworkType, tcpNetworkType, udpNetworkType, unixNetworkType } from "./driver.ts";
import { NetworkClient } from "./client.ts";
import { networkCli } from "./cli.ts";
import { networkInterface } from "./interface.ts";

/** `@jumpstarter/driver-network`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-network",
  driverTypes: [tcpNetworkType, udpNetworkType, unixNetworkType, echoNetworkType],
  clients: [{ classPaths: [networkInterface.client], client: NetworkClient, cli: networkCli }],
  grants: {
    TcpNetwork: hostPortGrants,
    UdpNetwork: hostPortGrants,
    UnixNetwork: unixGrants,
    EchoNetwork: () => ({}),
  },
});

/** A TcpNetwork's or UdpNetwork's grants: net to its endpoint. */
export function hostPortGrants(config: Pick<HostPortConfig, "host" | "port">): Grants {
  return { net: [netAddress(config.host, config.port)] };
}

/** A UnixNetwork's grants: connecting to its socket. */
export function unixGrants(config: UnixConfig): Grants {
  return unixSocketGrants(config.path);
}
