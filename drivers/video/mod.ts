/**
 * Video sources (upstream's `jumpstarter-driver-video`): the interface every video driver
 * exports, `VideoClient` and its `j` commands, and the helpers video drivers share. The
 * exporter-side `HttpVideo` is in `./driver`.
 *
 * @module
 */
export { videoInterface } from "./interface.ts";
export { VideoClient, type VideoStream } from "./client.ts";
export { printVideoState, videoCli, videoCommands } from "./cli.ts";
export { type VideoState, videoStateSchema } from "./state.ts";
export { serveVideo, type VideoServer } from "./stream_server.ts";
export { type StreamedResponse } from "./http_response.ts";
export { multipartBoundary, MultipartReader, type Part } from "./multipart.ts";
export { fromBase64, toBase64 } from "./base64.ts";
export { jpegSize } from "./jpeg_size.ts";
export { closeQuietly, trackedConnection } from "./tracked_connection.ts";
