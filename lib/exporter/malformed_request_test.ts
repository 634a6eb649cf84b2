/**
 * Bytes that are not the message a method expects are the caller's fault: INVALID_ARGUMENT naming
 * the message type (grpc-js would answer INTERNAL), and status details stay short whatever the
 * input echoed into them.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import {
  defineInterface,
  Driver,
  type ExportedMethod,
  exportMethods,
  unary,
} from "@jumpstarter/lib/driver";
import { DriverClient } from "@jumpstarter/lib/client";
import { serve } from "@jumpstarter/lib/testing";
import { MAX_STATUS_DETAILS } from "@jumpstarter/lib/wire";

const CALL_TIMEOUT_MS = 10_000;

const pingInterface = defineInterface({ client: "tests.PingClient", methods: { ping: unary([]) } });

class Ping extends Driver {
  readonly interface = pingInterface;
  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(pingInterface, { ping: () => "pong" });
  }
}

function rawUnary(socket: string, path: string, body: Uint8Array): Promise<grpc.ServiceError> {
  const client = new grpc.Client(`unix:${socket}`, grpc.credentials.createInsecure());
  const identity = (bytes: Buffer) => bytes;
  return new Promise<grpc.ServiceError>((resolve, reject) => {
    client.makeUnaryRequest(
      path,
      identity,
      identity,
      Buffer.from(body),
      new grpc.Metadata(),
      { deadline: Date.now() + CALL_TIMEOUT_MS },
      (error) => error ? resolve(error) : reject(new Error(`${path} accepted malformed bytes`)),
    );
  }).finally(() => client.close());
}

Deno.test("a malformed DriverCall is INVALID_ARGUMENT, not INTERNAL", async () => {
  await using served = await serve(new Ping(), DriverClient);
  // field 1 (uuid, length-delimited) claims 100 bytes but carries 2
  const truncated = new Uint8Array([0x0a, 100, 0x41, 0x42]);
  const error = await rawUnary(
    served.address,
    "/jumpstarter.v1.ExporterService/DriverCall",
    truncated,
  );
  assert.equal(error.code, grpc.status.INVALID_ARGUMENT, error.details);
  assert.match(error.details, /^Malformed jumpstarter\.v1\.DriverCallRequest: /);
  // the session still serves well-formed calls afterwards
  assert.equal(await served.client.call("ping"), "pong");
});

Deno.test("status details are cut to a bounded length", async () => {
  await using served = await serve(new Ping(), DriverClient);
  const method = "x".repeat(10_000);
  await assert.rejects(served.client.call(method), (error: Error) => {
    assert.ok(error.message.length <= MAX_STATUS_DETAILS + 40, `${error.message.length} chars`);
    assert.match(error.message, /more characters\)$/);
    return true;
  });
});
