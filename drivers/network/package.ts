/**
 * The descriptor of `@jumpstarter/driver-network`: the TcpNetwork, UdpNetwork, UnixNetwork and
 * EchoNetwork driver types, `NetworkClient` and its `j` commands. Apart from `mod.ts` so that
 * client-only users do not load the exporter side.
 *
 * @module
 */
import { definePackage, type DriverPackage, netAddress } from "@jumpstarter/lib/driver";
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
    TcpNetwork: (config: HostPortConfig) => ({ net: [netAddress(config.host, config.port)] }),
    UdpNetwork: (config: HostPortConfig) => ({ net: [netAddress(config.host, config.port)] }),
    UnixNetwork: (config: UnixConfig) => ({ read: [config.path], write: [config.path] }),
    EchoNetwork: () => ({}),
  },
});
