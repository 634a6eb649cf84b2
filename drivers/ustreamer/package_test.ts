/** The package descriptor alone: upstream's class path builds UStreamer; the client and CLI are found. */
import assert from "node:assert/strict";
import { cliBuilderOf, clientEntriesOf, driverRegistryOf } from "@jumpstarter/lib/driver";
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
