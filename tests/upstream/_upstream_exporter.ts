/**
 * Serves an exporter config with the REAL upstream exporter (`serve.py`: upstream's own config
 * loader and Session) on a private Unix socket, and connects our client to it.
 */
import assert from "node:assert/strict";
import {
  clientRegistryOf,
  type ExporterHandle,
  openExporter,
  UNSAFE_POLICY,
} from "@jumpstarter/lib/client";
import type { DriverPackage } from "@jumpstarter/lib/driver";
import type { UpstreamPeer } from "./_peer.ts";

/** A running upstream exporter and our client session on it. */
export interface UpstreamExporter extends AsyncDisposable {
  /** The Unix socket, usable as `JUMPSTARTER_HOST`. */
  readonly socket: string;
  readonly handle: ExporterHandle;
  /** Everything the exporter wrote so far (stdout and stderr). */
  output(): string;
}

const READY_WITHIN_MS = 30_000;
const STOP_WITHIN_MS = 10_000;

/**
 * Starts upstream's exporter on `configYaml` and waits for its `READY` line; our client loads
 * the client classes of `packages` (Composite is always there).
 *
 * @throws {AssertionError} naming the exporter's output when it exits or is not ready in time.
 */
export async function serveWithUpstream(
  peer: UpstreamPeer,
  configYaml: string,
  packages: readonly DriverPackage[],
): Promise<UpstreamExporter> {
  const dir = await Deno.makeTempDir({ prefix: "jmp-upstream-" });
  const config = `${dir}/exporter.yaml`;
  const socket = `${dir}/exporter.sock`;
  await Deno.writeTextFile(config, configYaml);
  const child = new Deno.Command(peer.python, {
    args: [peer.serveScript, "--config", config, "--unix", socket],
    env: { ...peer.env, PYTHONUNBUFFERED: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  let announce: () => void = () => {};
  const ready = new Promise<void>((resolve) => announce = resolve);
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      if (/^READY /m.test(text)) announce();
    }
  };
  const drained = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const signal = (name: Deno.Signal) => {
    try {
      child.kill(name);
    } catch { /* already gone */ }
  };
  const stop = async () => {
    signal("SIGTERM");
    // an exporter stuck in shutdown must not hang the test
    const killer = setTimeout(() => signal("SIGKILL"), STOP_WITHIN_MS);
    await child.status;
    clearTimeout(killer);
    await drained;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    ready.then(() => "ready"),
    child.status.then((status) => `exited with code ${status.code}`),
    new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`not ready within ${READY_WITHIN_MS} ms`), READY_WITHIN_MS);
    }),
  ]);
  clearTimeout(timer);
  if (outcome !== "ready") {
    await stop();
    assert.fail(
      `upstream ${peer.version} exporter ${outcome}, waiting for READY; output:\n${text}`,
    );
  }
  let handle: ExporterHandle;
  try {
    handle = await openExporter(socket, {
      policy: UNSAFE_POLICY,
      registry: clientRegistryOf(packages),
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    socket,
    handle,
    output: () => text,
    async [Symbol.asyncDispose]() {
      handle.close();
      await stop();
    },
  };
}
