/** The package descriptor alone: upstream's class path builds HttpVideo; the client and CLI are found. */
import assert from "node:assert/strict";
import { cliBuilderOf, clientEntriesOf, driverRegistryOf } from "@jumpstarter/lib/driver";
import { driverPackage } from "./package.ts";
import { VideoClient } from "./client.ts";
import { videoCli } from "./cli.ts";

Deno.test("driverPackage builds HttpVideo from upstream's class path with VideoClient and its CLI", () => {
  const type = driverRegistryOf([driverPackage]).get("jumpstarter_driver_video.driver.HttpVideo");
  assert.equal(type?.name, "HttpVideo");
  const entry = clientEntriesOf([driverPackage]).get("jumpstarter_driver_video.client.VideoClient");
  assert.equal(entry?.client, VideoClient);
  assert.equal(cliBuilderOf([driverPackage], Object.create(VideoClient.prototype)), videoCli);
});
