/**
 * TFTP server control: the interface, the client and its CLI. The exporter-side driver (Tftp)
 * and the server are in `./driver`; the package descriptor (`driverPackage`) in `./package`.
 *
 * @module
 */
export { tftpInterface } from "./interface.ts";
export { type PutLocalFileOptions, TftpClient } from "./client.ts";
export { tftpCli } from "./cli.ts";
