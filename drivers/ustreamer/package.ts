/**
 * The uStreamer package's descriptor: the UStreamer driver type, `UStreamerClient` and its `j`
 * commands. Apart from `mod.ts` because it loads the exporter-side driver.
 *
 * @module
 */
import {
  definePackage,
  type DriverPackage,
  type Grants,
  type GrantsContext,
  mergeGrants,
  unixSocketGrants,
} from "@jumpstarter/lib/driver";
import { type UStreamerConfig, ustreamerSocket, ustreamerType } from "./driver.ts";
import { findExecutable } from "./executable.ts";
import { UNIX_HTTP_HOST } from "./unix_http.ts";
import { UStreamerClient } from "./client.ts";
import { ustreamerCli } from "./cli.ts";
import { ustreamerInterface } from "./interface.ts";

/** `@jumpstarter/driver-ustreamer`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-ustreamer",
  driverTypes: [ustreamerType],
  clients: [{
    classPaths: [ustreamerInterface.client],
    client: UStreamerClient,
    cli: ustreamerCli,
  }],
  grants: { UStreamer: ustreamerGrants },
});

/**
 * The executable as the driver finds it (on `PATH` when named bare), started and read (the driver
 * checks that it is an executable file), its runtime directory with ustreamer's socket, and the
 * reserved host name its requests through that socket carry. What ustreamer itself opens (the
 * capture device) needs nothing: Deno's grants bind this process, not its children.
 */
function ustreamerGrants(config: UStreamerConfig, { runtimeDir }: GrantsContext): Grants {
  const name = config.executable ?? "ustreamer";
  let found: string | undefined;
  try {
    found = findExecutable(name);
  } catch {
    // not installed here: the driver says so when it starts
  }
  return mergeGrants([
    {
      read: [runtimeDir, ...(found === undefined ? [] : [found])],
      write: [runtimeDir],
      run: [found ?? name],
      ...(name.includes("/") ? {} : { env: ["PATH"] }),
    },
    unixSocketGrants(ustreamerSocket(runtimeDir)),
    // the requests' URL, checked by fetch although they go through the socket
    { net: [`${UNIX_HTTP_HOST}:80`] },
  ]);
}
