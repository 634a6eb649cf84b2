/**
 * The descriptor of `@jumpstarter/driver-http`: the `HttpServer` driver type, its client and
 * the client's `j` commands. Kept apart from `mod.ts` so client-only users do not load the
 * exporter side.
 *
 * @module
 */
import {
  definePackage,
  /** @ignore documented by `@jumpstarter/lib/driver` */
  type DriverPackage,
} from "@jumpstarter/lib/driver";
import { httpCli } from "./cli.ts";
import { HttpServerClient } from "./client.ts";
import { httpServerType } from "./driver.ts";
import { httpServerInterface } from "./interface.ts";

/** The HTTP file server package, for a program's package list. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-http",
  driverTypes: [httpServerType],
  clients: [{ classPaths: [httpServerInterface.client], client: HttpServerClient, cli: httpCli }],
});
