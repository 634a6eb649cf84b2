/**
 * The descriptor of `@jumpstarter/driver-serial`: the PySerial and NVDemuxSerial driver types,
 * `PySerialClient` (the client of both) and its `j` commands. Apart from `mod.ts` because it
 * loads the exporter-side drivers (tty access through libc, the demuxer process).
 *
 * @module
 */
import {
  definePackage,
  type DriverPackage,
  type Grants,
  mergeGrants,
} from "@jumpstarter/lib/driver";
import { parseAddress } from "./address.ts";
import { consoleLogGrants } from "./console_log.ts";
import type { PySerialConfig } from "./config.ts";
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
  grants: { PySerial: pyserialGrants },
});

/** The port (a device through libc and `stty`, or a TCP server) and the console log directory. */
function pyserialGrants(config: PySerialConfig): Grants {
  const address = parseAddress(config.url);
  const port: Grants = address.kind === "device"
    ? { read: [address.path], write: [address.path], run: ["stty"], ffi: true }
    : { net: address.kind === "socket" ? [`${address.hostname}:${address.port}`] : [] };
  return mergeGrants([port, consoleLogGrants(config.log_dir)]);
}
