/**
 * One exporter process per credentials (issue 10 item 10), the case where the first process
 * loses: its connection to the controller breaks, another process registers with the same
 * credentials meanwhile, and when the first reconnects its Status stream is refused. It must stop
 * with that error instead of retrying forever beside the process that now serves the exporter.
 * In-process controller and exporter; the first exporter reaches the controller through a TCP
 * relay the test can cut.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { connectController, controllerCall } from "@jumpstarter/lib/controller_api";
import { Exporter } from "@jumpstarter/lib/exporter";
import { eventually, waitingFor, withDeadline } from "@jumpstarter/lib/testing";
import { startLab, testRegistry } from "./test_lab.ts";

/** A TCP relay to `port` that refuses new connections while closed and can cut the open ones. */
async function relay(port: number) {
  const sockets = new Set<net.Socket>();
  let open = true;
  const server = net.createServer((client) => {
    if (!open) return void client.destroy();
    const upstream = net.connect(port, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    reopen() {
      open = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

Deno.test(
  "an exporter whose credentials another process took over while it was cut off stops with that error",
  withDeadline(60_000, async () => {
    await using lab = await startLab();
    const config = await lab.exporter("lab", "bench", { board: "takeover" });
    const port = Number(config.endpoint!.slice(config.endpoint!.lastIndexOf(":") + 1));
    const cutter = await relay(port);
    const logged: string[] = [];
    const first = new Exporter(
      { ...config, endpoint: `127.0.0.1:${cutter.port}` },
      { registry: testRegistry, retryMs: 100, log: (line) => logged.push(line) },
    );
    const abort = new AbortController();
    const running = first.run(abort.signal);
    const outcome = running.then(() => "stopped", (error: Error) => error);
    const hub = lab.controller.core.hub;
    const saw = () => `exporter log:\n${logged.join("\n")}`;
    try {
      await eventually("the first exporter's Status stream", () => hub.connected("lab", "bench"), {
        timeoutMs: 20_000,
        intervalMs: 50,
      });
      cutter.cut();
      await eventually(
        "the controller to see the stream gone",
        () => !hub.connected("lab", "bench"),
        {
          timeoutMs: 20_000,
          intervalMs: 50,
        },
      );
      // a second process registers with the same credentials while the first is cut off
      using second = await connectController({
        endpoint: config.endpoint!,
        token: config.token!,
        namespace: "lab",
        name: "bench",
        kind: "Exporter",
        tls: config.tls,
        instance: "second-process",
      });
      await controllerCall(() =>
        second.controller.register({ labels: {}, reports: [{ uuid: "u", labels: {} }] })
      );
      cutter.reopen();
      const stopped = await waitingFor("the first exporter to stop", outcome, saw);
      assert.ok(stopped instanceof Error, `the first exporter went on: ${saw()}`);
      assert.match(stopped.message, /already connected from another process with the same/);
      assert.doesNotMatch(stopped.message, /FAILED_PRECONDITION|Resolution note/);
      // it did not unregister the exporter it no longer holds
      const record = lab.controller.core.store.exporters.get("lab", "bench");
      assert.notEqual(record?.devices.length, 0, "the second process's registration stands");
    } finally {
      abort.abort();
      await outcome;
      await cutter.close();
    }
  }),
);
