/**
 * The descriptor of `@jumpstarter/driver-serial`: the PySerial and NVDemuxSerial driver types,
 * `PySerialClient` (the client of both) and its `j` commands. Apart from `mod.ts` because it
 * loads the exporter-side drivers (tty access through libc, the demuxer process).
 *
 * @module
 */
import { definePackage, type DriverPackage } from "@jumpstarter/lib/driver";
import { pyserialType } from "./driver.ts";
import { nvdemuxSerialType } from "./nvdemux.ts";
import { PySerialClient } from "./client.ts";
import { pyserialCli } from "./cli.ts";
import { pyserialInterface } from "./interface.ts";

/** `@jumpstarter/driver-serial`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-serial",
  driverTypes: [pyserialType, nvdemuxSerialType],
  clients: [{ classPaths: [pyserialInterface.client], client: PySerialClient, cli: pyserialCli }],
});
