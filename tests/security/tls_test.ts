/**
 * Issue 10 items 8 and 9 (and item 7's passphrase sources): TLS to an IP-literal endpoint works
 * and each failure says what went wrong; unusable TLS files are refused at start, naming the
 * file; a plaintext client against a TLS listener is told so. Certificates come from openssl.
 */
import assert from "node:assert/strict";
import { clientRegistryOf, openExporter } from "@jumpstarter/lib/client";
import {
  assertExit,
  assertNoStackTrace,
  describe,
  jmp,
  type RunResult,
  spawnJmp,
  tempDir,
  VIRTUAL_LAB,
  withTimeout,
} from "../_helpers.ts";
import { directExporter, makeCertificates } from "./_tls.ts";
import {
  exporterStatus,
  freePort,
  makeClient,
  makeExporter,
  startController,
  until,
} from "../_distributed.ts";

function shell(address: string, flags: string[], env: Record<string, string> = {}) {
  return jmp(["shell", "--tls-grpc", address, ...flags, "--", "j", "power", "on"], {
    env,
    timeoutMs: 30_000,
  });
}

function assertFailed(result: RunResult, pattern: RegExp): void {
  assertExit(result, 1);
  assert.match(result.stderr, pattern, describe(result));
  assert.doesNotMatch(result.stderr, /servername|Resolution note/, describe(result));
  assertNoStackTrace(result);
}

Deno.test("security item 8: TLS to an IP literal works, and each failure tells its cause", async () => {
  await withTimeout(
    (async () => {
      await using dir = await tempDir();
      const certs = await makeCertificates(dir.path);
      await Deno.writeTextFile(`${dir.path}/passphrase`, "open sesame\n");
      const { exporter, address } = await directExporter(certs, [
        "--passphrase-file",
        `${dir.path}/passphrase`,
      ]);
      await using _ = exporter;
      assert.match(address, /^127\.0\.0\.1:\d+$/);
      const ca = ["--tls-grpc-ca", certs.cert];
      assertExit(await shell(address, [...ca, "--passphrase", "open sesame"]), 0);
      // the passphrase from the environment (kept off the command line) works as well
      assertExit(await shell(address, ca, { JMP_GRPC_PASSPHRASE: "open sesame" }), 0);
      assertFailed(
        await shell(address, [...ca, "--passphrase", "wrong"]),
        /^Error: .*invalid or missing passphrase/m,
      );
      const untrusted = await shell(address, [
        "--tls-grpc-ca",
        certs.otherCert,
        "--passphrase",
        "x",
      ]);
      assertFailed(untrusted, /^Error: .*certificate/m);
      assert.doesNotMatch(untrusted.stderr, /passphrase/, describe(untrusted));
    })(),
    100_000,
    "TLS over IP literals",
  );
});

Deno.test("security item 8: a controller at an IP literal: registration, lease and router over TLS", async () => {
  await withTimeout(
    (async () => {
      await using dir = await tempDir();
      const port = freePort();
      const controller = await startController(`${dir.path}/controller`, {
        listen: `127.0.0.1:${port}`,
        advertise: `127.0.0.1:${port}`,
      });
      try {
        const exporterConfig = await makeExporter(controller.adminConfig, dir.path, "bench1", [
          "board=ip",
        ]);
        const alice = await makeClient(controller.adminConfig, dir.path, "alice");
        assert.match(
          await Deno.readTextFile(alice),
          new RegExp(`^endpoint: 127\\.0\\.0\\.1:${port}$`, "m"),
        );
        await using exporter = spawnJmp(["run", "--exporter-config", exporterConfig], {
          timeoutMs: 90_000,
        });
        await until(
          "the exporter to register over TLS at 127.0.0.1",
          async () => (await exporterStatus(alice, "bench1")) === "AVAILABLE",
        );
        const leased = await jmp(
          ["shell", "--client-config", alice, "-l", "board=ip", "--", "j", "power", "on"],
          { timeoutMs: 60_000 },
        );
        assertExit(leased, 0);
        await exporter.stop("SIGTERM");
      } finally {
        await controller.stop();
      }
      // a dead endpoint says why, without grpc-js's dangling note
      const text = await Deno.readTextFile(controller.adminConfig);
      await Deno.writeTextFile(`${dir.path}/dead.yaml`, text.replace(`:${port}`, `:${freePort()}`));
      assertFailed(
        await jmp(["admin", "get", "client", "--admin-config", `${dir.path}/dead.yaml`]),
        /^Error: .*ECONNREFUSED/m,
      );
    })(),
    100_000,
    "a distributed lab at an IP-literal endpoint",
  );
});

Deno.test("security item 9: unusable TLS files are refused at start, naming the file", async () => {
  await withTimeout(
    (async () => {
      await using dir = await tempDir();
      const certs = await makeCertificates(dir.path);
      const run = (cert: string, key: string) =>
        jmp([
          "run",
          "--exporter-config",
          VIRTUAL_LAB,
          "--tls-grpc-listener",
          "127.0.0.1:0",
          "--tls-cert",
          cert,
          "--tls-key",
          key,
        ], { timeoutMs: 30_000 });
      const quoted = (path: string) => path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      assertFailed(
        await run(certs.cert, certs.otherKey),
        new RegExp(
          `^Error: ${quoted(certs.otherKey)} is not the private key of .*${quoted(certs.cert)}`,
          "m",
        ),
      );
      assertFailed(
        await run(certs.garbage, certs.key),
        new RegExp(`^Error: ${quoted(certs.garbage)} is not a PEM certificate`, "m"),
      );
      assertFailed(
        await run(certs.cert, certs.garbage),
        new RegExp(`^Error: ${quoted(certs.garbage)} is not a PEM private key`, "m"),
      );
      // a garbage CA is refused before anything is dialled (nothing listens on port 9)
      assertFailed(
        await shell("127.0.0.1:9", ["--tls-grpc-ca", certs.garbage]),
        new RegExp(`^Error: ${quoted(certs.garbage)} is not a PEM certificate`, "m"),
      );
    })(),
    100_000,
    "TLS files checked at start",
  );
});

Deno.test("security item 9: a plaintext client against a TLS listener is told so (and vice versa)", async () => {
  await withTimeout(
    (async () => {
      await using dir = await tempDir();
      const certs = await makeCertificates(dir.path);
      const { exporter, address } = await directExporter(certs, []);
      await using _ = exporter;
      assertFailed(await shell(address, ["--tls-grpc-insecure"]), /^Error: .*expects TLS/m);

      const plaintext = spawnJmp([
        "run",
        "--exporter-config",
        VIRTUAL_LAB,
        "--tls-grpc-listener",
        "127.0.0.1:0",
        "--tls-grpc-insecure",
      ], { timeoutMs: 60_000 });
      await using __ = plaintext;
      const plainAddress = await withTimeout(plaintext.firstLine, 30_000, "plaintext jmp run");
      assertFailed(
        await shell(plainAddress, ["--tls-grpc-ca", certs.cert]),
        /^Error: .*does not speak TLS/m,
      );
    })(),
    90_000,
    "plaintext against TLS",
  );
});

Deno.test("security item 7: wrong passphrases are logged and paced", async () => {
  await withTimeout(
    (async () => {
      await using dir = await tempDir();
      const certs = await makeCertificates(dir.path);
      const { exporter, address } = await directExporter(certs, [], {
        JMP_GRPC_PASSPHRASE: "open sesame",
      });
      await using _ = exporter;
      const ca = await Deno.readTextFile(certs.cert);
      const attempts = 40;
      const started = performance.now();
      const outcomes = await Promise.allSettled(
        Array.from(
          { length: attempts },
          () => openExporter(address, { ca, passphrase: "guess", registry: clientRegistryOf([]) }),
        ),
      );
      const seconds = (performance.now() - started) / 1000;
      for (const outcome of outcomes) {
        assert.equal(outcome.status, "rejected");
        assert.match(String((outcome as PromiseRejectedResult).reason), /passphrase/);
      }
      const rate = attempts / seconds;
      console.log(
        `wrong passphrases refused: ${rate.toFixed(1)}/s (${attempts} in ${seconds.toFixed(2)} s)`,
      );
      assert.ok(rate < 30, `wrong passphrases are refused at ${rate.toFixed(0)}/s: not paced`);
      const stopped = await exporter.stop("SIGTERM");
      assert.match(stopped.stderr, /Authentication failed .*wrong passphrase/, describe(stopped));
    })(),
    90_000,
    "wrong-passphrase pacing",
  );
});
