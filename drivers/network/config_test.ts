import assert from "node:assert/strict";
import { ConfigError, parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { EchoNetwork, TcpNetwork, UdpNetwork, UnixNetwork } from "./driver.ts";
import { driverPackage } from "./package.ts";
import { driverRegistryOf } from "@jumpstarter/lib/driver";

const PACKAGES = [driverPackage];
const driverRegistry = driverRegistryOf(PACKAGES);

function exporterConfig(exports: string) {
  return parseExporterConfig(
    `apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\n${exports}`,
    "lab.yaml",
  );
}

Deno.test("The README's exporter config builds one driver of each kind", async () => {
  const readme = await Deno.readTextFile(new URL("./README.md", import.meta.url));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(yaml, "the README has a yaml block");
  const root = await buildDriverTree(exporterConfig(yaml), { registry: driverRegistry });
  const web = root.children.get("web");
  assert.ok(web instanceof TcpNetwork);
  assert.equal(`${web.host}:${web.port}`, "192.168.1.20:80");
  assert.ok(root.children.get("dns") instanceof UdpNetwork);
  assert.equal((root.children.get("console") as UnixNetwork).path, "/run/board/console.sock");
  assert.ok(root.children.get("echo") instanceof EchoNetwork);
});

Deno.test("A bad network config names the field", async () => {
  await assert.rejects(
    buildDriverTree(
      exporterConfig(`export:
  web:
    type: jumpstarter_driver_network.driver.TcpNetwork
    config:
      host: 10.0.0.1
      port: 99999
`),
      { registry: driverRegistry },
    ),
    (error) => error instanceof ConfigError && /port/.test(error.message),
  );
  await assert.rejects(
    buildDriverTree(
      exporterConfig(`export:
  web:
    type: jumpstarter_driver_network.driver.UdpNetwork
    config:
      host: 10.0.0.1
`),
      { registry: driverRegistry },
    ),
    (error) => error instanceof ConfigError && /port/.test(error.message),
  );
});
