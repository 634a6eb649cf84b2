/**
 * Peers in processes of their own, for tests that kill them mid-stream: an exporter whose one
 * driver floods a byte stream (local mode on a Unix socket, or direct mode on TCP), with the check
 * that the client's readable then fails instead of ending cleanly; and a client that writes to a
 * lab driver's `hold` stream until it is killed.
 */
import assert from "node:assert/strict";
import { withDeadline } from "./fast_path_lab.ts";

const REPO = new URL("../../..", import.meta.url).pathname;

/** SIGKILLs `child` unless it is gone already. */
function killNow(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch { /* already gone */ }
}

/** How the flooding exporter serves: a Unix socket at this path, or TCP on loopback. */
export type FloodListen = { socket: string } | "tcp";

/** A flooding exporter process: where it listens, and its kill. */
export interface FloodExporter extends AsyncDisposable {
  /** The Unix socket path or `127.0.0.1:PORT` it serves on. */
  readonly address: string;
  kill(): void;
}

function program(listen: FloodListen): string {
  const serve = listen === "tcp"
    ? `const server = await serveSessionTcp(session, "127.0.0.1:0");
       console.log(server.fastPath?.port ? server.address : "no fast path");`
    : `const server = await serveSession(session, ${JSON.stringify(listen.socket)});
       console.log(server.fastPath ? ${JSON.stringify(listen.socket)} : "no fast path");`;
  return `
    import { byteStream, defineInterface, Driver, exportMethods } from "@jumpstarter/lib/driver";
    import { serveSession, serveSessionTcp, Session } from "@jumpstarter/lib/exporter";
    const flood = defineInterface({ client: "tests.Flood", methods: { flood: byteStream() } });
    class Flood extends Driver {
      interface = flood;
      exportedMethods() {
        return exportMethods(flood, {
          flood: () => ({
            readable: new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(65536)) }),
            writable: new WritableStream(),
          }),
        });
      }
    }
    const session = new Session(new Flood());
    await session.open();
    ${serve}
  `;
}

/** Starts a flooding exporter and waits until it serves with a fast path. */
export async function floodExporter(listen: FloodListen): Promise<FloodExporter> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", program(listen)],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const kill = () => killNow(child);
  const dispose = async () => {
    kill();
    await child.status;
    await child.stderr.cancel().catch(() => {});
  };
  try {
    const line = await withDeadline(
      "the flooding exporter to start",
      child.stdout.pipeThrough(new TextDecoderStream()).getReader().read(),
    );
    const address = line.value?.trim() ?? "";
    if (address === "" || address === "no fast path") {
      kill();
      const stderr = await new Response(child.stderr).text();
      assert.fail(`the exporter did not start with a fast path: ${address || stderr}`);
    }
    return { address, kill, [Symbol.asyncDispose]: dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** Reads 4 MiB from `reader`, kills the exporter, and asserts the readable then fails. */
export async function assertFailsWhenKilled(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  exporter: FloodExporter,
): Promise<void> {
  let received = 0;
  while (received < 4 * 1024 * 1024) {
    received += (await withDeadline("flood bytes", reader.read())).value!.byteLength;
  }
  exporter.kill();
  await withDeadline(
    "the readable to fail",
    (async () => {
      for (;;) {
        if ((await reader.read()).done) {
          throw new Error("the readable ended cleanly after the exporter was killed");
        }
      }
    })().then(() => assert.fail("unreachable"), (error: Error) => {
      assert.doesNotMatch(error.message, /ended cleanly/);
    }),
  );
}

/** Where a {@linkcode holdingClient} connects, and how. */
export interface HoldingTarget {
  /** What `openExporter` is given: a Unix socket path or `HOST:PORT`. */
  address: string;
  /** The CA to trust (TLS), else a plaintext connection to a `HOST:PORT`. */
  ca?: string;
  /** The child of the root whose `hold` stream is written, else the root's. */
  child?: string;
}

/** A client process writing to a lab driver's `hold` stream until it is killed. */
export function holdingClient(target: HoldingTarget): AsyncDisposable & { kill(): void } {
  const tcp = !target.address.startsWith("/");
  const connection = target.ca ? `ca: ${JSON.stringify(target.ca)},` : tcp ? "insecure: true," : "";
  const driver = target.child
    ? `handle.root.children.get(${JSON.stringify(target.child)})`
    : "handle.root";
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `
      import { clientRegistryOf, openExporter, UNSAFE_POLICY } from "@jumpstarter/lib/client";
      const handle = await openExporter(${JSON.stringify(target.address)}, {
        policy: UNSAFE_POLICY, registry: clientRegistryOf([]), ${connection}
      });
      const stream = await ${driver}.stream("hold");
      const writer = stream.writable.getWriter();
      for (;;) await writer.write(new Uint8Array(65536));
    `,
    ],
    cwd: REPO,
    stdout: "null",
    stderr: "null",
  }).spawn();
  const kill = () => killNow(child);
  return {
    kill,
    [Symbol.asyncDispose]: async () => {
      kill();
      await child.status;
    },
  };
}
