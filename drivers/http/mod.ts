/**
 * HTTP file server: the interface, `HttpServerClient` and its CLI. The exporter-side driver
 * (`HttpServer`) is in `./driver`; the package descriptor (`driverPackage`) in `./package`.
 *
 * @module
 */
export { httpServerInterface, type PutResult, putResultSchema } from "./interface.ts";
export { HttpServerClient, type PutOptions } from "./client.ts";
export { httpCli, type HttpCliContext } from "./cli.ts";
