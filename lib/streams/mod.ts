/**
 * Byte streams: RouterService.Stream frames as web streams, inner-stream requests, piping.
 *
 * @module
 */
export {
  type ByteStream,
  type Frame,
  frameByteStream,
  type FrameCall,
  type FrameStreamOptions,
  pipeBoth,
} from "./frame_stream.ts";
export {
  driverStreamRequest,
  parseStreamRequest,
  REQUEST_KEY,
  type StreamRequest,
} from "./stream_request.ts";
