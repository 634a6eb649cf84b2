/**
 * The package descriptor alone (explicit registries, no global one) builds `HttpServer` from
 * upstream's class path and gives it `HttpServerClient` and the HTTP `j` commands.
 */
import assert from "node:assert/strict";
import { cliBuilderOf, driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { driverPackage } from "./package.ts";
import { HttpServerClient } from "./client.ts";
import { httpCli } from "./cli.ts";

Deno.test("driverPackage serves HttpServer from its upstream class path with HttpServerClient and its CLI", async () => {
  await using dir = await Deno.makeTempDir().then((path) => ({
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  }));
  const config = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  http:
    type: jumpstarter_driver_http.driver.HttpServer
    config: { root_dir: ${JSON.stringify(dir.path)}, host: 127.0.0.1, port: 0 }
`;
  const packages = [driverPackage];
  const root = await buildDriverTree(parseExporterConfig(config, "lab.yaml"), {
    registry: driverRegistryOf(packages),
  });
  const clients = clientRegistryOf(packages);
  await using served = await serve(root, undefined, { registry: clients });
  const http = served.client.child("http", HttpServerClient);
  await http.putFile("hello.txt", new TextEncoder().encode("hi"), { timeoutMs: 10_000 });
  assert.deepEqual(await http.listFiles(), ["hello.txt"]);
  assert.equal(await Deno.readTextFile(`${dir.path}/hello.txt`), "hi");
  assert.equal(cliBuilderOf(packages, http), httpCli);
});
