/**
 * The descriptor of `@jumpstarter/driver-serial`: the PySerial and NVDemuxSerial driver types,
 * `PySerialClient` (the client of both) and its `j` commands. Apart from `mod.ts` because it
 * loads the exporter-side drivers (tty access through libc, the demuxer process).
 *
 * @module
 */
import { definePackage, type DriverPackage, type Grants } from "@jumpstarter/lib/driver";
import { parseAddress } from "./address.ts";
import { defaultLogDir } from "./console_log.ts";
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
    return {
      read: [address.path, ...log],
      write: [address.path, ...log],
      run: ["stty"],
      ffi: true,
      env,
    };
  }
  const net = address.kind === "socket" ? [`${address.hostname}:${address.port}`] : [];
  return { read: log, write: log, net, env };
}
