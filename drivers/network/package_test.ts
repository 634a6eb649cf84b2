/**
 * The package descriptor alone (explicit registries, no global one) builds the four network
 * drivers from upstream's class paths and gives them `NetworkClient` and its `j` commands; the
 * client's typed `address()` takes per-call options.
 */
import assert from "node:assert/strict";
import { cliBuilderOf, driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { driverPackage } from "./package.ts";
import { EchoNetwork, TcpNetwork, UdpNetwork, UnixNetwork } from "./driver.ts";
import { NetworkClient } from "./client.ts";
import { networkCli } from "./cli.ts";
import { freePort, startSocat } from "./_testing/peers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Writes `text` to a fresh connection of `client`, ends it, and returns all it read back. */
async function roundTrip(client: NetworkClient, text: string): Promise<string> {
  const stream = await client.connect();
  const writer = stream.writable.getWriter();
  await writer.write(encoder.encode(text));
  await writer.close();
  let received = "";
  for await (const chunk of stream.readable) received += decoder.decode(chunk, { stream: true });
  return received;
}

Deno.test("driverPackage serves every network type from upstream's class paths to NetworkClient", async () => {
  const port = freePort();
  await using _socat = await startSocat(
    `TCP4-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`,
    "PIPE",
  );
  const config = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  echo: { type: jumpstarter_driver_network.driver.EchoNetwork }
  tcp:
    type: jumpstarter_driver_network.driver.TcpNetwork
    config: { host: 127.0.0.1, port: ${port} }
  udp:
    type: jumpstarter_driver_network.driver.UdpNetwork
    config: { host: 127.0.0.1, port: 9 }
  unix:
    type: jumpstarter_driver_network.driver.UnixNetwork
    config: { path: /nonexistent/socket }
`;
  const registry = driverRegistryOf([driverPackage]);
  const root = await buildDriverTree(parseExporterConfig(config, "lab.yaml"), { registry });
  const kinds = [...root.children.values()].map((driver) => driver.constructor);
  assert.deepEqual(kinds, [EchoNetwork, TcpNetwork, UdpNetwork, UnixNetwork]);
  await using served = await serve(root, undefined, {
    registry: clientRegistryOf([driverPackage]),
  });
  const client = (name: string) => served.client.child(name, NetworkClient);

  assert.equal(cliBuilderOf([driverPackage], client("echo")), networkCli);
  assert.equal(await roundTrip(client("echo"), "hello"), "hello");
  assert.equal(await roundTrip(client("tcp"), "over tcp"), "over tcp");
  assert.equal(
    await client("tcp").address({ timeoutMs: 5000 }),
    `tcp://127.0.0.1:${port}`,
  );
  assert.equal(await client("udp").address(), "udp://127.0.0.1:9");
});

Deno.test("NetworkClient.address() with an aborted signal rejects with its reason", async () => {
  await using served = await serve(new TcpNetwork({ host: "127.0.0.1", port: 1 }), undefined, {
    registry: clientRegistryOf([driverPackage]),
  });
  const reason = new Error("no longer needed");
  const client = served.client as NetworkClient;
  await assert.rejects(
    client.address({ signal: AbortSignal.abort(reason) }),
    (error) => error === reason,
  );
  assert.equal(await client.address(), "tcp://127.0.0.1:1");
});
