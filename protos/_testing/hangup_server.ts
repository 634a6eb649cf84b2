/**
 * For `http2_reentry_test.ts`: a gRPC server made by {@linkcode createServer} with one unary
 * method, `/test.Hangup/Call`, that answers 10 bytes. Prints its port, then serves until killed.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { createServer } from "../http2_settings.ts";

const bytes = (message: Uint8Array) => Buffer.from(message);
const call = {
  path: "/test.Hangup/Call",
  requestStream: false,
  responseStream: false,
  requestSerialize: bytes,
  requestDeserialize: bytes,
  responseSerialize: bytes,
  responseDeserialize: bytes,
};
const server = createServer();
server.addService({ call }, {
  call: (_call: unknown, done: grpc.sendUnaryData<Buffer>) => done(null, Buffer.alloc(10)),
});
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  console.log(port);
});
