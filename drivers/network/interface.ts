import { byteStream, defineInterface } from "@jumpstarter/lib/driver";

/** A network endpoint on the exporter, reached as a byte stream (`connect`). */
export const networkInterface = defineInterface({
  client: "jumpstarter_driver_network.client.NetworkClient",
  description: "Generic Network Connection",
  methods: {
    connect: byteStream({ description: "Open a connection to the endpoint" }),
  },
});
