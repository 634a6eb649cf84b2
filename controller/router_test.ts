import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { z } from "zod";
import {
  Composite,
  defineInterface,
  Driver,
  type ExportedMethod,
  exportMethods,
  unary,
} from "@jumpstarter/lib/driver";
import { clientRegistryOf, openExporter, UNSAFE_POLICY } from "@jumpstarter/lib/client";
import { privateSocketPath, serveSession, Session } from "@jumpstarter/lib/exporter";
import { listenForLease, RouterChannels, serveTicket } from "@jumpstarter/lib/tunnel";
import { Authority, generateKeyMaterial } from "./auth.ts";
import { Router, routerServiceDefinition } from "./router.ts";

const adderInterface = defineInterface({
  client: "tests.Adder",
  methods: { add: unary([z.number(), z.number()]) },
});

class Adder extends Driver {
  readonly interface = adderInterface;
  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(adderInterface, { add: (a, b) => a + b });
  }
}

async function startRouter(authority: Authority, options?: { parkTimeoutMs: number }) {
  const router = new Router(authority, options);
  const server = new grpc.Server();
  server.addService(routerServiceDefinition, router.implementation());
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (error, port) => error ? reject(error) : resolve(port),
    )
  );
  return { router, endpoint: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

Deno.test("a client's gRPC connection reaches the exporter's session through the router", async () => {
  const authority = await Authority.create(await generateKeyMaterial("test"));
  const router = await startRouter(authority);
  const root = new Composite();
  root.addChild("adder", new Adder());
  const session = new Session(root);
  const socket = await privateSocketPath();
  const server = await serveSession(session, socket.path);
  const routers = new RouterChannels({ plaintext: true });
  const exporterSide: Promise<void>[] = [];
  const listener = listenForLease({
    path: `${socket.dir}/client.sock`,
    routers,
    dial: async () => {
      const ticket = {
        routerEndpoint: router.endpoint,
        routerToken: await authority.routerToken(),
      };
      // what the controller's Listen stream does: hand the same ticket to the exporter
      exporterSide.push(serveTicket(socket.path, ticket, routers));
      return ticket;
    },
  });
  try {
    const handle = await openExporter(listener.path, {
      policy: UNSAFE_POLICY,
      registry: clientRegistryOf([]),
    });
    const adder = handle.root.children.get("adder")!;
    assert.equal(await adder.call("add", 20, 22), 42);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => adder.call("add", i, i)),
    );
    assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => 2 * i));
    assert.equal(router.router.paired, 1);
    handle.close();
  } finally {
    await listener.close();
    await Promise.allSettled(exporterSide);
    routers.close();
    await server.close();
    await session.close();
    router.close();
    await Deno.remove(socket.dir, { recursive: true });
  }
});

Deno.test("the router refuses streams without a valid router token", async () => {
  const authority = await Authority.create(await generateKeyMaterial("test"));
  const other = await Authority.create(await generateKeyMaterial("test"));
  const router = await startRouter(authority);
  const routers = new RouterChannels({ plaintext: true });
  try {
    for (const token of ["", "not-a-jwt", await other.routerToken()]) {
      const stream = await routers.open(router.endpoint, token);
      await assert.rejects(
        stream.readable.getReader().read(),
        (error: Error) => /token/.test(error.message),
      );
    }
    assert.equal(router.router.parked, 0);
  } finally {
    routers.close();
    router.close();
  }
});

Deno.test("a tunnel end whose peer never arrives is ended with a clear error, not kept forever", async () => {
  const authority = await Authority.create(await generateKeyMaterial("test"));
  const router = await startRouter(authority, { parkTimeoutMs: 300 });
  const routers = new RouterChannels({ plaintext: true });
  try {
    // a client's end, Dialled just as the lease ended: the exporter never takes the ticket
    const stream = await routers.open(router.endpoint, await authority.routerToken());
    const started = Date.now();
    await assert.rejects(
      stream.readable.getReader().read(),
      (error: Error) => /did not arrive within 0\.3 s/.test(error.message),
    );
    assert.ok(Date.now() - started < 20_000, "ended by the park timeout");
    assert.equal(router.router.parked, 0);
  } finally {
    routers.close();
    router.close();
  }
});
