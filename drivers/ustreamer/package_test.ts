/**
 * The package descriptor alone: upstream's class path builds UStreamer; the client and CLI are
 * found; its grants name the executable as the driver finds it and the socket in its runtime
 * directory.
 */
import assert from "node:assert/strict";
import { cliBuilderOf, clientEntriesOf, driverRegistryOf } from "@jumpstarter/lib/driver";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { configGrants } from "@jumpstarter/lib/exporter";
import { findExecutable } from "./executable.ts";
import { VideoClient } from "@jumpstarter/driver-video";
import { driverPackage } from "./package.ts";
import { UStreamerClient } from "./client.ts";
import { ustreamerCli } from "./cli.ts";

Deno.test("driverPackage builds UStreamer from upstream's class path with UStreamerClient and its CLI", () => {
  const type = driverRegistryOf([driverPackage])
    .get("jumpstarter_driver_ustreamer.driver.UStreamer");
  assert.equal(type?.name, "UStreamer");
  const entry = clientEntriesOf([driverPackage])
    .get("jumpstarter_driver_ustreamer.client.UStreamerClient");
  assert.equal(entry?.client, UStreamerClient);
  assert.ok(Object.create(UStreamerClient.prototype) instanceof VideoClient);
  assert.equal(
    cliBuilderOf([driverPackage], Object.create(UStreamerClient.prototype)),
    ustreamerCli,
  );
});

Deno.test("driverPackage's UStreamer grants: the executable it finds, its runtime directory and socket", () => {
  const config = parseExporterConfig(
    `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  found: { type: UStreamer }
  named: { type: UStreamer, config: { executable: /opt/lab/bin/ustreamer } }
`,
    "lab.yaml",
  );
  const [found, named] = configGrants(config, [driverPackage], "/run/jmp").drivers
    .map((row) => row.grants);
  const executable = findExecutable("ustreamer");
  assert.deepEqual(found, {
    read: ["/run/jmp/drivers/found", executable],
    write: ["/run/jmp/drivers/found"],
    run: [executable],
    env: ["PATH"],
    net: ["unix:/run/jmp/drivers/found/socket", "ustreamer.invalid:80"],
  });
  // not there: started by the name it is given (and refused when the driver starts)
  assert.deepEqual(named, {
    read: ["/run/jmp/drivers/named"],
    write: ["/run/jmp/drivers/named"],
    run: ["/opt/lab/bin/ustreamer"],
    net: ["unix:/run/jmp/drivers/named/socket", "ustreamer.invalid:80"],
  });
});
