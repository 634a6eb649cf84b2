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
export {
  ACCEPT_ENCODING_KEY,
  type ClientStreamHandle,
  parseResourceHandle,
  type PresignedRequestHandle,
  RESOURCE_KEY,
  type ResourceHandle,
  resourceHandleSchema,
  resourceStreamRequest,
} from "./resource_handle.ts";
export {
  type Progress,
  type ProgressOptions,
  type ProgressReporter,
  progressStream,
} from "./progress.ts";
export {
  CONTENT_ENCODINGS,
  type ContentEncoding,
  ContentEncodingError,
  DECODABLE,
  decodeStream,
  detectEncoding,
  ENCODABLE,
  type EncodeOptions,
  encodeStream,
  encodingFromFileName,
  isContentEncoding,
  isEncodable,
  supportedEncodings,
} from "./encoding.ts";
export {
  describePatterns,
  EOF,
  Expect,
  type ExpectCallOptions,
  ExpectEofError,
  type ExpectMatch,
  type ExpectOptions,
  type ExpectPattern,
  ExpectTimeoutError,
  outputTail,
  TIMEOUT,
} from "./expect.ts";
export {
  FastPathListener,
  type FastPathOffer,
  type FastPathTcpOptions,
  type SpliceDialer,
} from "./fast_path_listener.ts";
export {
  FAST_PATH_OFFER_KEY,
  FAST_PATH_REQUEST_KEY,
  FAST_PATH_TOKEN_BYTES,
  fastPathDisabled,
  type FastPathOfferHeader,
  setFastPathDisabled,
} from "./fast_path_protocol.ts";
export {
  type AcceptedStream,
  acceptPeerStream,
  type IssuedOffer,
  issueFastPathOffer,
} from "./fast_path_exporter.ts";
export { type FastPathTls, openPeerStream, type PeerStreamOptions } from "./fast_path_client.ts";
export { socketByteStream, type SocketStreamOptions } from "./fast_path_stream.ts";
export { type RawConn } from "./fast_path_frames.ts";
export { nodeSocketConn } from "./fast_path_node_conn.ts";
export {
  encodeSpliceHello,
  readSpliceHello,
  SPLICE_PAIRED,
  SPLICE_PORT_KEY,
  spliceConns,
  type SpliceHello,
  type SpliceSide,
  writeAllTo,
} from "./fast_path_splice.ts";
