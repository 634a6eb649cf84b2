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
import { defaultLogDir } from "./console_log.ts";
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

/**
 * A tty opened through libc (`dlopen("libc.so.6")`: Deno resolves a scoped `--allow-ffi` against
 * the working directory, so a library named without a path needs the bare flag) and set up with
 * `stty`. Deno does not see libc's `open`, so a tty found at run time needs no read or write
 * grant (measured: NVDemuxSerial's ptys and DUT Link's console open without); a configured one
 * is named all the same, to show what the driver opens.
 */
export function ttyGrants(path?: string): Grants {
  const paths = path === undefined ? {} : { read: [path], write: [path] };
  return { ...paths, run: ["stty"], ffi: true };
}

/**
 * The demuxer, where it is looked for (the device pattern's directory) and the ptys it announces
 * (`/dev/pts/N`, known only once it runs).
 */
function nvdemuxGrants(config: NVDemuxConfig): Grants {
  return mergeGrants([
    { read: [globBase(config.device)], run: [config.demuxer_path] },
    ttyGrants(),
  ]);
}

/** The port (a device through libc and `stty`, or a TCP server) and the console log directory. */
function pyserialGrants(config: PySerialConfig): Grants {
  const address = parseAddress(config.url);
  let logDir = config.log_dir;
  let env: string[] = [];
  if (logDir === undefined) {
    env = ["XDG_STATE_HOME", "HOME"];
    try {
      logDir = defaultLogDir();
    } catch {
      // no HOME here: the driver says so when it starts
    }
  }
  const log = logDir === undefined ? [] : [logDir];
  if (address.kind === "device") {
    return mergeGrants([ttyGrants(address.path), { read: log, write: log, env }]);
  }
  const net = address.kind === "socket" ? [`${address.hostname}:${address.port}`] : [];
  return { read: log, write: log, net, env };
}
