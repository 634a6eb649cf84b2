import { byteStream, defineInterface, unary } from "@jumpstarter/lib/driver";

/** A network endpoint on the exporter, reached as a byte stream (`connect`). */
export const networkInterface = defineInterface({
  client: "jumpstarter_driver_network.client.NetworkClient",
  description: "Generic Network Connection",
  methods: {
    connect: byteStream({ description: "Open a connection to the endpoint" }),
  },
});

/**
 * A network endpoint that can also tell its address (TcpNetwork, UdpNetwork): `address()` as
 * upstream since 0.7.1, for clients that connect to it directly instead of through the exporter.
 */
export const addressableNetworkInterface = defineInterface({
  client: networkInterface.client,
  description: "Generic Network Connection",
  methods: {
    ...networkInterface.methods,
    address: unary([], {
      description: "The endpoint's address (tcp://HOST:PORT), when enable_address is set",
    }),
  },
});
