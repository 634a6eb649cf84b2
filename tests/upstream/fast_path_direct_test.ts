/**
 * The fast path is ours only: upstream's client library, which never asks for it, still drives
 * our direct-mode exporter (whose fast-path port is open) over plain gRPC, byte streams included,
 * and our own client still works on the same exporter.
 */
import { fileDeadline } from "@jumpstarter/lib/testing";
import { freePort } from "../_distributed.ts";
import { assertExit, assertOutput, jmp, run, spawnJmp } from "../_helpers.ts";
import { peerEnv } from "./_lab.ts";
import { UPSTREAM_PEER_SOURCE, upstreamPeer } from "./_peer.ts";

fileDeadline(import.meta.url, 120_000);

const UPSTREAM_CONFIG = `${UPSTREAM_PEER_SOURCE}exporter-local.yaml`;
const CLIENT_DEMO = `${UPSTREAM_PEER_SOURCE}client_demo.py`;
const COMMAND_MS = 60_000;
const STOP_MS = 15_000;

for (const version of ["head", "0.7.0"] as const) {
  Deno.test(`fast path: upstream ${version}'s client streams through our direct exporter, which ours still drives`, async () => {
    const peer = upstreamPeer(version);
    const ours = spawnJmp([
      "run",
      "--exporter-config",
      UPSTREAM_CONFIG,
      "--tls-grpc-listener",
      `127.0.0.1:${freePort()}`,
      "--tls-grpc-insecure",
    ]);
    try {
      const address = await ours.firstLine;
      const demo = await run(peer.python, [CLIENT_DEMO, "--grpc", address], {
        ...peerEnv(peer),
        timeoutMs: COMMAND_MS,
      });
      assertExit(demo, 0);
      assertOutput(demo, "stdout", "echo.stream() send/receive -> b'hello jumpstarter'");
      assertOutput(demo, "stdout", "serial.stream() send/receive -> b'hello jumpstarter'");
      // our client on the same exporter, which it shares with the upstream one
      const shell = await jmp(
        ["shell", "--tls-grpc", address, "--tls-grpc-insecure", "--", "j", "shell", "hello"],
        { timeoutMs: COMMAND_MS },
      );
      assertExit(shell, 0);
      assertOutput(shell, "stdout", "hello from the upstream shell driver");
    } finally {
      await ours.stop("SIGTERM", STOP_MS);
    }
  });
}
