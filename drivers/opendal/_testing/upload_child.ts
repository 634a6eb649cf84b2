/**
 * A client process for the disconnect test: connects to the exporter socket given as the first
 * argument, starts an endless upload, prints "sent" once 8 MiB left, and waits to be killed.
 */
import { clientRegistryOf, openExporter, UNSAFE_POLICY } from "@jumpstarter/lib/client";
import { driverPackage } from "../package.ts";
import { StorageMuxClient } from "../storage_mux_client.ts";

const socket = Deno.args[0];
if (!socket) throw new TypeError("usage: upload_child.ts SOCKET");
const handle = await openExporter(socket, {
  policy: UNSAFE_POLICY,
  registry: clientRegistryOf([driverPackage]),
});
const client = handle.root;
if (!(client instanceof StorageMuxClient)) throw new TypeError(`not a mux: ${client.clientClass}`);
const chunk = new Uint8Array(1024 * 1024).fill(0x5a);
let sent = 0;
const endless = new ReadableStream<Uint8Array>({
  pull(controller) {
    controller.enqueue(chunk);
    sent += chunk.byteLength;
    if (sent === 8 * chunk.byteLength) {
      Deno.stdout.writeSync(new TextEncoder().encode("sent\n"));
    }
  },
}, { highWaterMark: 0 });
await client.write(endless, { encoding: null });
