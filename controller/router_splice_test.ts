/**
 * The fast path in distributed mode: our client behind a lease socket and our exporter meet at
 * our router's splice port, both authorised by a router token and the stream's single-use token,
 * and the router copies the stream's bytes between two raw connections (TLS, as the router is).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import tls from "node:tls";
import { z } from "zod";
import {
  clientRegistryOf,
  connectController,
  createLease,
  type ExporterHandle,
  openExporter,
  openLeaseSocket,
  releaseLease,
  UNSAFE_POLICY,
  waitForLease,
} from "@jumpstarter/lib/client";
import { compositeType, defineDriverType, DriverRegistry } from "@jumpstarter/lib/driver";
import { Exporter } from "@jumpstarter/lib/exporter";
import { encodeSpliceHello, setFastPathDisabled } from "@jumpstarter/lib/streams";
import {
  concat,
  LabDriver,
  offerFor,
  pattern,
  roundTrip,
  withDeadline,
} from "../lib/streams/_testing/fast_path_lab.ts";
import { holdingClient } from "../lib/streams/_testing/killed_peers.ts";
import { startLab, type TestLab } from "./test_lab.ts";

/** The lab's driver types; every lease's tree is kept in `created`. */
function labRegistry(created: LabDriver[]): DriverRegistry {
  return new DriverRegistry().register(
    compositeType,
    defineDriverType({
      name: "FastLab",
      aliases: [],
      config: z.object({}).strict(),
      create: (_config, options) => {
        const driver = new LabDriver(options);
        created.push(driver);
        return driver;
      },
    }),
  );
}

interface Distributed extends AsyncDisposable {
  lab: TestLab;
  handle: ExporterHandle;
  /** The lab driver's client. */
  client: ExporterHandle["root"];
  /** The lab driver of this lease. */
  driver(): LabDriver;
  leaseSocket: string;
}

/** A controller and router, our exporter serving a lab driver, and our client on a lease. */
async function distributed(): Promise<Distributed> {
  const lab = await startLab();
  const created: LabDriver[] = [];
  const identity = await lab.client("lab", "alice");
  const config = await lab.exporter("lab", "fast1", { board: "fast" }, {
    export: { lab: { type: "FastLab" } },
  });
  const abort = new AbortController();
  const exporter = new Exporter(config, { registry: labRegistry(created) });
  const running = exporter.run(abort.signal).catch(() => {});
  const dir = await Deno.makeTempDir({ prefix: "jmp-splice-" });
  const connection = await connectController(identity);
  const lease = await createLease(connection, { selector: "board=fast", durationMs: 120_000 });
  const name = lease.name.split("/").pop()!;
  await waitForLease(connection, name, { pollMs: 100, timeoutMs: 20_000 });
  const socket = openLeaseSocket(connection, name, { path: `${dir}/lease.sock` });
  const handle = await openExporter(socket.path, {
    policy: UNSAFE_POLICY,
    registry: clientRegistryOf([]),
  });
  return {
    lab,
    handle,
    client: handle.root.children.get("lab")!,
    driver: () => created.at(-1)!,
    leaseSocket: socket.path,
    async [Symbol.asyncDispose]() {
      handle.close();
      await releaseLease(connection, name).catch(() => {});
      await socket.close();
      connection.close();
      abort.abort();
      await running;
      await lab[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function spliced(fixture: Distributed): number {
  return fixture.lab.controller.router.splice?.paired ?? 0;
}

Deno.test("splice: a driver stream through our router is byte-exact both ways and ends on half-close", async () => {
  await using fixture = await distributed();
  const chunks = [pattern(1, 1), pattern(300_000, 2), pattern(4 * 1024 * 1024 + 7, 3)];
  const stream = await fixture.client.stream("echo");
  assert.deepEqual(await withDeadline("the echo", roundTrip(stream, chunks)), concat(chunks));
  assert.equal(spliced(fixture), 1, "the stream was not spliced by the router");
});

Deno.test("splice: a slow reader gets every byte, in order; resources are byte-exact", async () => {
  await using fixture = await distributed();
  const chunks = Array.from({ length: 48 }, (_, i) => pattern(256 * 1024, i));
  const stream = await fixture.client.stream("echo");
  const echoed = await withDeadline("the slow reader", roundTrip(stream, chunks, true));
  assert.deepEqual(echoed, concat(chunks));
  const upload = pattern(3 * 1024 * 1024 + 5, 9);
  const sent = await fixture.client.resource({ source: ReadableStream.from([upload]) });
  assert.equal(
    await withDeadline("store", fixture.client.call("store", sent.handle)),
    upload.length,
  );
  await sent.done;
  assert.deepEqual(fixture.driver().stored, upload);
  assert.equal(spliced(fixture), 2);
});

Deno.test("splice: a driver error mid-stream fails the client's readable", async () => {
  await using fixture = await distributed();
  const stream = await fixture.client.stream("unplug");
  const reader = stream.readable.getReader();
  assert.deepEqual((await withDeadline("bytes", reader.read())).value, new Uint8Array([1, 2, 3]));
  await withDeadline("the error", assert.rejects(reader.read(), /device unplugged/));
  assert.equal(spliced(fixture), 1);
});

/** Presents `token` on the lease socket's relay; the acknowledgement byte, or null when refused. */
async function present(path: string, token: string): Promise<number | null> {
  const conn = await Deno.connect({ transport: "unix", path });
  try {
    await conn.write(new TextEncoder().encode(token));
    const ack = new Uint8Array(1);
    const n = await withDeadline("the answer to a token", conn.read(ack));
    return n === null ? null : ack[0]!;
  } catch {
    return null;
  } finally {
    conn.close();
  }
}

/** Sends a splice handshake straight to the router; its answer byte, or null when it hung up. */
async function helloToRouter(
  port: number,
  routerToken: string,
  streamToken: string,
): Promise<number | null> {
  // the router's own self-signed certificate: only the refusal is under test here
  const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false });
  try {
    await withDeadline("the router's TLS", once(socket, "secureConnect"));
    socket.write(encodeSpliceHello({ routerToken, streamToken, side: "client" }));
    return await withDeadline(
      "the router's answer",
      new Promise<number | null>((resolve) => {
        socket.once("data", (bytes: Uint8Array) => resolve(bytes[0]!));
        socket.once("close", () => resolve(null));
        socket.once("error", () => resolve(null));
      }),
    );
  } finally {
    socket.destroy();
  }
}

Deno.test("splice: forged and replayed tokens are refused", async () => {
  await using fixture = await distributed();
  const router = fixture.lab.controller.router.splice!;
  // a router token that is not one: refused by the router at once
  const answer = await helloToRouter(router.port, "not-a-router-token", "a".repeat(64));
  assert.equal(answer, null, "the router accepted a forged router token");
  assert.equal(router.refused, 1);
  const relay = `${fixture.leaseSocket}.fast`;
  const { call, offer } = await offerFor(fixture, "echo");
  assert.equal(offer.splice, true, "the exporter does not splice");
  assert.equal(await present(relay, offer.token), 1, "the issued token was refused");
  assert.equal(await present(relay, offer.token), null, "a replayed token was accepted");
  assert.equal(spliced(fixture), 1);
  assert.ok(router.refused >= 1, "the replay was not refused by the router");
  assert.equal(fixture.driver().opened, 1);
  call.cancel();
  // a stream token nobody issued: the router never pairs it
  assert.equal(await present(relay, "f".repeat(64)), null, "a forged token was accepted");
  assert.equal(spliced(fixture), 1);
});

Deno.test("splice: falls back to gRPC frames when the relay cannot be reached", async () => {
  await using fixture = await distributed();
  await Deno.remove(`${fixture.leaseSocket}.fast`);
  const chunks = [pattern(1_000_000, 4), pattern(17, 5)];
  const stream = await fixture.client.stream("echo");
  assert.deepEqual(await withDeadline("the echo", roundTrip(stream, chunks)), concat(chunks));
  assert.equal(spliced(fixture), 0);
});

Deno.test("splice: switched off, streams stay on gRPC frames through the router", async () => {
  setFastPathDisabled(true);
  try {
    await using fixture = await distributed();
    assert.equal(fixture.lab.controller.router.splice, undefined, "the router listens to splice");
    const chunks = [pattern(2_000_000, 6)];
    const stream = await fixture.client.stream("echo");
    assert.deepEqual(await withDeadline("the echo", roundTrip(stream, chunks)), concat(chunks));
  } finally {
    setFastPathDisabled(undefined);
  }
});

Deno.test("splice: a client killed mid-stream aborts the driver's side", async () => {
  await using fixture = await distributed();
  {
    await using client = holdingClient({ address: fixture.leaseSocket, child: "lab" });
    await withDeadline("the child's first bytes", fixture.driver().firstBytes.promise);
    assert.equal(spliced(fixture), 1);
    client.kill();
  }
  assert.equal(
    await withDeadline("the driver to see the end", fixture.driver().holdEnded.promise),
    "aborted",
  );
});

Deno.test("splice: a raw path cut at the router mid-stream fails both sides, not a clean end", async () => {
  await using fixture = await distributed();
  const stream = await fixture.client.stream("hold");
  const writer = stream.writable.getWriter();
  await writer.write(pattern(65536, 1));
  await withDeadline("the driver's first bytes", fixture.driver().firstBytes.promise);
  assert.equal(spliced(fixture), 1);
  // the router drops every splice (a restart, a network break): the gRPC tunnel stays up
  await fixture.lab.controller.router.splice!.close();
  await withDeadline(
    "the client's readable to fail",
    stream.readable.getReader().read().then(
      ({ done }) => assert.fail(`the readable ${done ? "ended cleanly" : "gave bytes"}`),
      (error: Error) => assert.doesNotMatch(error.message, /readable (ended|gave)/),
    ),
  );
  assert.equal(
    await withDeadline("the driver to see the end", fixture.driver().holdEnded.promise),
    "aborted",
  );
});
