/**
 * Issue 10 item 9, the plaintext half: a client speaking plaintext to one of our TLS listeners
 * (the controller's port, which also serves the router, and a direct-mode exporter) is told in
 * its own protocol that TLS is required, at once, and the listener logs the refusal in one line.
 * Clients: grpc-js in plaintext, our exporter's controller connection made plaintext, curl over
 * http://, raw bytes, and upstream HEAD's `jmp shell --tls-grpc-insecure`.
 */
import assert from "node:assert/strict";
import net from "node:net";
import * as grpc from "@grpc/grpc-js";
import { clientV1, createClient } from "@jumpstarter/protos";
import { connectController, controllerCall } from "@jumpstarter/lib/controller_api";
import { describe, run, tempDir, withTimeout } from "../_helpers.ts";
import { makeExporter, readCredentials, rejection, startController } from "../_distributed.ts";
import { report, stopwatch } from "../_faults.ts";
import { upstreamPeer } from "../upstream/_peer.ts";
import { directExporter, makeCertificates } from "./_tls.ts";

const TLS_REQUIRED = /this endpoint requires TLS/;

/** Resolves once the server closes a raw connection that sent `bytes` (its answer, if any). */
function closedAfter(port: number, bytes: Uint8Array): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = "";
    const socket = net.connect(port, "127.0.0.1", () => socket.write(bytes));
    socket.on("data", (chunk) => answer += chunk.toString("latin1"));
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
  });
}

Deno.test("security item 9: a plaintext client of the controller's TLS port is told TLS is required", async () => {
  await withTimeout(
    (async () => {
      await using dir = await tempDir();
      const controller = await startController(`${dir.path}/controller`);
      try {
        const port = Number(controller.endpoint.slice(controller.endpoint.lastIndexOf(":") + 1));
        const channel = new grpc.Client(
          `127.0.0.1:${port}`,
          grpc.credentials.createInsecure(),
        );
        try {
          const watch = stopwatch();
          const clients = createClient(clientV1.ClientService, channel);
          const listed = await rejection(
            "ListLeases in plaintext",
            clients.listLeases({ parent: "namespaces/default" }),
          );
          report("plaintext gRPC call to the controller to a clear error", watch.lap());
          assert.equal(listed.code, grpc.status.FAILED_PRECONDITION, listed.details);
          assert.match(listed.details, TLS_REQUIRED);
        } finally {
          channel.close();
        }
        // our exporter's controller connection, made plaintext: its Register is told the same
        const credentials = await readCredentials(
          await makeExporter(controller.adminConfig, dir.path, "bench1", []),
        );
        using connection = await connectController({
          ...credentials,
          endpoint: `127.0.0.1:${port}`,
          kind: "Exporter",
          plaintext: true,
        });
        const registered = await controllerCall(() =>
          connection.controller.register({ labels: {}, reports: [{ uuid: "u", labels: {} }] })
        ).then(() => assert.fail("Register in plaintext succeeded"), (error: Error) => error);
        assert.match(registered.message, TLS_REQUIRED);

        const curl = await run("curl", ["-s", "-i", `http://127.0.0.1:${port}/`], {
          timeoutMs: 15_000,
        });
        assert.match(curl.stdout, /^HTTP\/1\.1 400 /, describe(curl));
        assert.match(curl.stdout, TLS_REQUIRED, describe(curl));

        // bytes that are neither TLS nor HTTP: the connection is closed, nothing answered
        assert.equal(await closedAfter(port, new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8])), "");
        // and TLS still works on the same port (the peek hands the bytes on untouched)
        const tls = await run("curl", [
          "-s",
          "-k",
          "-o",
          "/dev/null",
          "-w",
          "%{http_version}",
          `https://127.0.0.1:${port}/`,
        ], { timeoutMs: 15_000 });
        assert.equal(tls.stdout, "2", describe(tls));
      } finally {
        await controller.stop();
      }
      const logged = controller.stderr().split("\n").filter((line) =>
        /Refused a plaintext/.test(line)
      );
      assert.ok(
        logged.some((line) =>
          /^Refused a plaintext h2 connection from 127\.0\.0\.1:\d+: this endpoint requires TLS$/
            .test(line)
        ),
        `the controller logs each refusal in one line:\n${controller.stderr()}`,
      );
      assert.ok(
        logged.some((line) => /plaintext http1 connection/.test(line)),
        controller.stderr(),
      );
    })(),
    90_000,
    "plaintext clients of the controller",
  );
});

Deno.test("security item 9: upstream HEAD's client in plaintext against our TLS exporter is told TLS is required", async () => {
  await withTimeout(
    (async () => {
      await using dir = await tempDir();
      const certs = await makeCertificates(dir.path);
      const { exporter, address } = await directExporter(certs, []);
      await using _ = exporter;
      const head = upstreamPeer("head");
      const watch = stopwatch();
      const shell = await run(
        head.jmp,
        ["shell", "--tls-grpc", address, "--tls-grpc-insecure", "--", "j", "power", "on"],
        { env: { ...head.env, NO_COLOR: "1" }, timeoutMs: 60_000 },
      );
      report("upstream HEAD plaintext shell against a TLS exporter to a clear error", watch.lap());
      assert.notEqual(shell.code, 0, describe(shell));
      const errors = (shell.stdout + shell.stderr).split("\n").filter((line) =>
        line.startsWith("Error:")
      );
      assert.equal(errors.length, 1, describe(shell));
      assert.match(errors[0]!, TLS_REQUIRED, describe(shell));
      assert.doesNotMatch(shell.stderr, /Traceback/, describe(shell));
    })(),
    90_000,
    "upstream plaintext against TLS",
  );
});
