/**
 * The lean unary path (`grpc_lean_unary.ts`) against grpc-js's own client and a raw HTTP/2 peer:
 * the same replies and statuses as grpc-js, and grpc-js keeps the calls the lean path leaves.
 * Upstream's Python client goes through it in `tests/upstream/`.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import net from "node:net";
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import { create, toBinary } from "@bufbuild/protobuf";
import { createServer } from "./http2_settings.ts";
import { createClient, implement, type ServiceClient, serviceDefinition } from "./grpc.ts";
import { leanUnary } from "./grpc_lean_unary.ts";
import { DriverCallRequestSchema, ExporterService } from "./gen/jumpstarter/v1/jumpstarter_pb.ts";

type Exporter = ServiceClient<typeof ExporterService.method>;

/** Which path served each call: the lean one hands the handler a call with the request only. */
interface Served {
  path: string;
  server: grpc.Server;
  lean: boolean[];
}

async function withServer(
  check: (served: Served, client: Exporter) => Promise<void>,
  options: { interceptors?: grpc.ServerInterceptor[]; channel?: grpc.ChannelOptions } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "jmp-lean-" });
  const path = `${dir}/grpc.sock`;
  const server = createServer(options.interceptors ? { interceptors: options.interceptors } : {});
  const lean: boolean[] = [];
  server.addService(
    serviceDefinition(ExporterService),
    leanUnary(implement(
      ExporterService,
      {
        driverCall: (request, call) => {
          lean.push(!("metadata" in call));
          if (request.method === "fail") {
            return Promise.reject(Object.assign(new Error("no such thing"), { code: 5 }));
          }
          return Promise.resolve({
            uuid: request.uuid,
            result: { kind: { case: "stringValue", value: request.method } },
          });
        },
      } as Parameters<typeof implement<typeof ExporterService.method>>[1],
      {
        toStatus: (error) => ({
          code: (error as { code?: number }).code ?? grpc.status.UNKNOWN,
          details: (error as Error).message,
        }),
      },
    )),
  );
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(
      `unix:${path}`,
      grpc.ServerCredentials.createInsecure(),
      (error) => error ? reject(error) : resolve(),
    )
  );
  const channel = new grpc.Client(
    `unix:${path}`,
    grpc.credentials.createInsecure(),
    options.channel ?? {},
  );
  try {
    await check({ path, server, lean }, createClient(ExporterService, channel));
  } finally {
    channel.close();
    server.forceShutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

/** One call over a raw HTTP/2 stream: the grpc-status, grpc-message and body it got. */
async function rawCall(
  path: string,
  body: Uint8Array,
  headers: Record<string, string> = {},
): Promise<{ status: string | undefined; message: string | undefined; body: Buffer }> {
  const session = http2.connect("http://localhost", { createConnection: () => net.connect(path) });
  try {
    const stream = session.request({
      ":method": "POST",
      ":path": "/jumpstarter.v1.ExporterService/DriverCall",
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    const chunks: Buffer[] = [];
    let status: string | undefined;
    let message: string | undefined;
    const note = (h: http2.IncomingHttpHeaders) => {
      status ??= h["grpc-status"] as string | undefined;
      message ??= h["grpc-message"] as string | undefined;
    };
    stream.on("response", note);
    stream.on("trailers", note);
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise<void>((resolve, reject) => {
      stream.on("close", resolve);
      stream.on("error", reject);
    });
    stream.end(body);
    await ended;
    return { status, message, body: Buffer.concat(chunks) };
  } finally {
    session.destroy();
  }
}

function framed(message: Uint8Array, flag = 0): Uint8Array {
  const out = Buffer.alloc(5 + message.byteLength);
  out[0] = flag;
  out.writeUInt32BE(message.byteLength, 1);
  out.set(message, 5);
  return out;
}

const REQUEST = toBinary(
  DriverCallRequestSchema,
  create(DriverCallRequestSchema, { uuid: "u-1", method: "on" }),
);

Deno.test("lean unary: a grpc-js client gets the reply, and errors keep their status", async () => {
  await withServer(async ({ lean }, client) => {
    const reply = await client.driverCall({ uuid: "u-1", method: "on" });
    assert.equal(reply.uuid, "u-1");
    assert.deepEqual(reply.result?.kind, { case: "stringValue", value: "on" });
    await assert.rejects(client.driverCall({ uuid: "u-1", method: "fail" }), (error) => {
      assert.equal((error as grpc.ServiceError).code, grpc.status.NOT_FOUND);
      assert.equal((error as grpc.ServiceError).details, "no such thing");
      return true;
    });
    assert.deepEqual(lean, [true, true], "both calls took the lean path");
  });
});

Deno.test("lean unary: deadlines, compression and interceptors stay with grpc-js", async () => {
  await withServer(async ({ lean }, client) => {
    const reply = await client.driverCall({ uuid: "u-2", method: "on" }, {
      deadline: new Date(Date.now() + 10_000),
    });
    assert.equal(reply.uuid, "u-2");
    assert.deepEqual(lean, [false], "a call with a deadline went to grpc-js");
  });
  await withServer(async ({ lean }, client) => {
    assert.equal((await client.driverCall({ uuid: "u-3", method: "on" })).uuid, "u-3");
    assert.deepEqual(lean, [false], "a compressed call went to grpc-js");
  }, { channel: { "grpc.default_compression_algorithm": 2 } });
  let intercepted = 0;
  const count: grpc.ServerInterceptor = (_method, call) => {
    intercepted++;
    return new grpc.ServerInterceptingCall(call);
  };
  await withServer(async ({ lean }, client) => {
    assert.equal((await client.driverCall({ uuid: "u-4", method: "on" })).uuid, "u-4");
    assert.deepEqual(lean, [false], "a server with interceptors keeps grpc-js");
    assert.equal(intercepted, 1);
  }, { interceptors: [count] });
});

Deno.test("lean unary: a raw HTTP/2 peer gets grpc-js's framing and statuses", async () => {
  await withServer(async ({ path, lean }) => {
    const ok = await rawCall(path, framed(REQUEST));
    assert.equal(ok.status, "0");
    assert.equal(ok.body[0], 0, "uncompressed reply message");
    assert.equal(ok.body.readUInt32BE(1), ok.body.byteLength - 5, "one whole message");

    const malformed = await rawCall(path, framed(new Uint8Array([0xff, 0xff, 0xff])));
    assert.equal(malformed.status, String(grpc.status.INVALID_ARGUMENT));
    assert.match(decodeURI(malformed.message ?? ""), /Malformed jumpstarter.v1.DriverCallRequest/);

    const none = await rawCall(path, new Uint8Array());
    assert.equal(none.status, String(grpc.status.UNIMPLEMENTED));
    const two = await rawCall(path, Buffer.concat([framed(REQUEST), framed(REQUEST)]));
    assert.equal(two.status, String(grpc.status.UNIMPLEMENTED));
    const truncated = await rawCall(path, framed(REQUEST).subarray(0, 8));
    assert.equal(truncated.status, String(grpc.status.UNIMPLEMENTED));
    const compressed = await rawCall(path, framed(REQUEST, 1));
    assert.equal(compressed.status, String(grpc.status.INTERNAL));
    assert.deepEqual(lean, [true], "only the well-formed call reached the handler");
  });
});

Deno.test("lean unary: a request over 4 MiB is refused with RESOURCE_EXHAUSTED", async () => {
  await withServer(async ({ path, lean }) => {
    const big = await rawCall(path, framed(new Uint8Array(4 * 1024 * 1024 + 1)));
    assert.equal(big.status, String(grpc.status.RESOURCE_EXHAUSTED));
    assert.deepEqual(lean, []);
  });
});
