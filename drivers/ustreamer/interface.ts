import { defineInterface } from "@jumpstarter/lib/driver";
import { videoInterface } from "@jumpstarter/driver-video/common";

/** Upstream's `UStreamer`: the video interface, reported with uStreamer's own client. */
export const ustreamerInterface = defineInterface({
  client: "jumpstarter_driver_ustreamer.client.UStreamerClient",
  description: "Video capture and streaming",
  methods: videoInterface.methods,
});
