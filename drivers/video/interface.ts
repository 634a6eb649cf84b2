import { byteStream, defineInterface, unary } from "@jumpstarter/lib/driver";

/**
 * Upstream's `VideoInterface`: a single JPEG frame (base64), the source state, and an HTTP server
 * reached over `connect` that serves MJPEG at `stream_path`.
 */
export const videoInterface = defineInterface({
  client: "jumpstarter_driver_video.client.VideoClient",
  description: "Video capture and streaming",
  methods: {
    snapshot: unary([], { description: "Get a single JPEG frame, base64 encoded" }),
    state: unary([], { description: "Show video source state" }),
    stream_path: unary([], { description: "HTTP path serving MJPEG on the connect stream" }),
    connect: byteStream({ description: "Open a connection to the HTTP server serving MJPEG" }),
  },
});
