/**
 * Direct-mode (TLS) targets of the stream bench: a session served the way `jmp run
 * --tls-grpc-listener` serves it (plaintext gRPC on a Unix socket behind our TLS front), reached
 * by our client over TCP+TLS, and a raw TLS socket copy through an identical front, so the
 * session's share is measured next to the transport's.
 */
import { once } from "node:events";
import tls from "node:tls";
import selfsigned from "selfsigned";
import type { Driver } from "@jumpstarter/lib/driver";
import { openExporter, UNSAFE_POLICY } from "@jumpstarter/lib/client";
import { privateSocketPath, serveSession, Session } from "@jumpstarter/lib/exporter";
import { serveTlsFront } from "@jumpstarter/lib/tunnel";
import { clientRegistry } from "../cli/driver_packages.ts";

/** Moves `bytes` once. */
export type Runner = (bytes: number) => Promise<void>;

/** A bench target: run, then close once. */
export interface Target {
  run: Runner;
  close(): Promise<void>;
}

interface Identity {
  cert: string;
  key: string;
}

/** A self-signed identity for `localhost` (Deno's TLS client refuses IP addresses as names). */
export async function localhostIdentity(): Promise<Identity> {
  const pems = await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    curve: "P-256",
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }] },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** Our client to `driver`'s `connect` byte stream, through a TLS front on localhost. */
export async function sessionOverTls(
  driver: Driver,
  identity: Identity,
  chunkBytes: number,
): Promise<Target> {
  const session = new Session(driver);
  await session.open();
  const { path, dir } = await privateSocketPath();
  const server = await serveSession(session, path);
  const front = await serveTlsFront({ hostname: "127.0.0.1", port: 0, ...identity, target: path });
  const handle = await openExporter(`localhost:${front.port}`, {
    ca: identity.cert,
    policy: UNSAFE_POLICY,
    registry: clientRegistry,
  });
  const chunk = new Uint8Array(chunkBytes);
  return {
    run: async (bytes) => {
      const stream = await handle.root.stream("connect");
      const draining = stream.readable.pipeTo(new WritableStream());
      const writer = stream.writable.getWriter();
      for (let sent = 0; sent < bytes; sent += chunkBytes) await writer.write(chunk);
      await writer.close();
      await draining;
    },
    close: async () => {
      handle.close();
      await front.close();
      await server.close();
      await session.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** A raw TLS connection through the same kind of front to a discarding Unix socket. */
export async function rawOverTls(
  dir: string,
  identity: Identity,
  chunkBytes: number,
): Promise<Target> {
  const path = `${dir}/raw-tls.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const accepting = (async () => {
    for await (const conn of listener) {
      (async () => {
        for await (const _ of conn.readable) { /* discard */ }
      })().catch(() => {});
    }
  })().catch(() => {});
  const front = await serveTlsFront({ hostname: "127.0.0.1", port: 0, ...identity, target: path });
  const chunk = new Uint8Array(chunkBytes);
  return {
    run: async (bytes) => {
      // node:tls, as grpc-js uses (Deno.connectTls refuses a CA certificate as the server's)
      const socket = tls.connect({ host: "localhost", port: front.port, ca: identity.cert });
      await once(socket, "secureConnect");
      for (let sent = 0; sent < bytes; sent += chunkBytes) {
        if (!socket.write(chunk)) await once(socket, "drain");
      }
      await new Promise<void>((resolve) => socket.end(resolve));
      socket.destroy();
    },
    close: async () => {
      await front.close();
      listener.close();
      await accepting;
    },
  };
}
