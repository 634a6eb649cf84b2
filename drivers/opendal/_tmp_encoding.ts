// TEMPORARY until lib/streams/mod.ts exports these
export { detectEncoding, encodingFromFileName } from "../../lib/streams/encoding.ts";
