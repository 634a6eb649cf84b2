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
  openedByDeno,
  throughLibc,
} from "@jumpstarter/lib/driver";
import { parseAddress } from "./address.ts";
import { consoleLogGrants } from "./console_log.ts";
import type { PySerialConfig } from "./config.ts";
import { pyserialType } from "./driver.ts";
import { type NVDemuxConfig, nvdemuxSerialType } from "./nvdemux.ts";
import { globBase } from "./demuxer.ts";
import { PySerialClient } from "./client.ts";
import { pyserialCli } from "./cli.ts";
import { pyserialInterface } from "./interface.ts";

/** `@jumpstarter/driver-serial`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-serial",
  driverTypes: [pyserialType, nvdemuxSerialType],
  clients: [{ classPaths: [pyserialInterface.client], client: PySerialClient, cli: pyserialCli }],
  grants: { PySerial: pyserialGrants, NVDemuxSerial: nvdemuxGrants },
});

/** A tty opened through libc (see `throughLibc`) and set up with `stty`. */
export function ttyGrants(path?: string): Grants {
  return mergeGrants([throughLibc(path), { run: ["stty"] }]);
}

/**
 * The demuxer, where it is looked for (the device pattern's directory: Deno lists and stats
 * `/dev` only with `-A`, and the default pattern is below `/dev/serial/by-id`) and the ptys it
 * announces (`/dev/pts/N`, known only once it runs, opened through libc).
 */
function nvdemuxGrants(config: NVDemuxConfig): Grants {
  return mergeGrants([
    openedByDeno([globBase(config.device)]),
    { run: [config.demuxer_path] },
    ttyGrants(),
  ]);
}

/** The port (a device through libc and `stty`, or a TCP server) and the console log directory. */
export function pyserialGrants(config: Pick<PySerialConfig, "url" | "log_dir">): Grants {
  const address = parseAddress(config.url);
  const port = address.kind === "device"
    ? ttyGrants(address.path)
    : address.kind === "socket"
    ? { net: [`${address.hostname}:${address.port}`] }
    : {};
  return mergeGrants([port, consoleLogGrants(config.log_dir)]);
}
