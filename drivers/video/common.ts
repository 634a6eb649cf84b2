/**
 * What video drivers share on the exporter side (no client code): the interface, the JPEG frame
 * encoding for the wire, JPEG size sniffing and tracked `connect` sockets.
 *
 * @module
 */
export { videoInterface } from "./interface.ts";
export { type VideoState, videoStateSchema } from "./state.ts";
export { fromBase64, toBase64 } from "./base64.ts";
export { jpegSize } from "./jpeg_size.ts";
export { closeQuietly, trackedConnection } from "./tracked_connection.ts";
