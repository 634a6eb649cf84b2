/**
 * Exporter side: Tftp serves a root directory over TFTP (read-only) to a DUT's bootloader, and
 * lets clients manage the files in that root.
 */
import {
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { DriverError, InvalidArgumentError } from "@jumpstarter/lib/wire";
import { addFsStorageChild } from "@jumpstarter/driver-opendal/driver";
import { type TftpConfig, tftpConfigSchema } from "./config.ts";
import { defaultHostAddress } from "./host.ts";
import { tftpInterface } from "./interface.ts";
import { ErrorCode } from "./packet.ts";
import { deleteFromRoot, listRoot, PathRefusedError, writeIntoRoot } from "./paths.ts";
import { TftpServer } from "./server.ts";
import type { UdpBackend } from "./udp.ts";

export { TftpServer, type TftpServerOptions } from "./server.ts";

/** Extra knobs for tests and embedders; the YAML config has upstream's keys only. */
export interface TftpTuning {
  /** Retransmission timeout when the client negotiates none (default 5000 ms). */
  timeoutMs?: number;
  /** Consecutive timeouts tolerated before a transfer is abandoned (default 5). */
  retries?: number;
  backend?: UdpBackend;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Why binding failed, with the usual causes spelled out. */
function bindFailure(error: unknown): string {
  const message = reason(error);
  if (error instanceof Deno.errors.AddrInUse || /EADDRINUSE/.test(message)) {
    return "the address is in use";
  }
  if (error instanceof Deno.errors.PermissionDenied || /EACCES/.test(message)) {
    return "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
  }
  if (error instanceof Deno.errors.AddrNotAvailable || /EADDRNOTAVAIL/.test(message)) {
    return "no local interface has that address";
  }
  return message;
}

/** A read-only TFTP server over `root_dir`. */
export class Tftp extends Driver {
  readonly interface = tftpInterface;
  readonly config: TftpConfig;
  /** The address served on: `host` from the config, or the default-route address. */
  readonly host: string;
  readonly #tuning: TftpTuning;
  #server: TftpServer | undefined;
  /** Serializes start/stop so concurrent calls see each other's outcome. */
  #lifecycle: Promise<unknown> = Promise.resolve();

  constructor(config: TftpConfig, options: DriverOptions = {}, tuning: TftpTuning = {}) {
    super(options);
    this.config = config;
    this.#tuning = tuning;
    // upstream creates the root when the driver is built
    try {
      Deno.mkdirSync(config.root_dir, { recursive: true });
    } catch (error) {
      throw new DriverError(`Cannot create TFTP root_dir ${config.root_dir}: ${reason(error)}`, {
        cause: error,
      });
    }
    addFsStorageChild(this, config.root_dir, options);
    let host = config.host;
    if (host === "") {
      host = defaultHostAddress() ?? "0.0.0.0";
      if (host === "0.0.0.0") {
        this.logger.warning("Could not find the default-route address; serving on 0.0.0.0");
      }
    }
    this.host = host;
  }

  /** Whether the server is running. */
  get running(): boolean {
    return this.#server !== undefined;
  }

  #serialized<T>(step: () => Promise<T>): Promise<T> {
    const result = this.#lifecycle.then(step);
    this.#lifecycle = result.catch(() => {});
    return result;
  }

  /** Starts serving; a second start only warns. */
  start(): Promise<void> {
    return this.#serialized(async () => {
      if (this.#server) {
        this.logger.warning("TFTP server is already running");
        return;
      }
      const where = `${this.host}:${this.config.port}`;
      try {
        this.#server = await TftpServer.start({
          root: this.config.root_dir,
          hostname: this.host,
          port: this.config.port,
          log: this.logger,
          ...this.#tuning,
        });
      } catch (error) {
        throw new DriverError(`Cannot start TFTP server on ${where}: ${bindFailure(error)}`, {
          cause: error,
        });
      }
      this.logger.info(
        `TFTP server started on ${this.host}:${this.#server.address.port} serving ${this.config.root_dir}`,
      );
    });
  }

  /** Stops serving, ending running transfers; stopping a stopped server only warns. */
  stop(): Promise<void> {
    return this.#serialized(async () => {
      const server = this.#server;
      if (!server) {
        this.logger.warning("stop called - TFTP server is not running");
        return;
      }
      this.#server = undefined;
      await server.close();
      this.logger.info("TFTP server stopped");
    });
  }

  getHost(): string {
    return this.host;
  }

  /** The configured port, or the bound one while running (differs when configured as 0). */
  getPort(): number {
    return this.#server?.address.port ?? this.config.port;
  }

  async #root(): Promise<string> {
    try {
      return await Deno.realPath(this.config.root_dir);
    } catch (error) {
      throw new DriverError(
        `TFTP root ${this.config.root_dir} is not accessible: ${reason(error)}`,
      );
    }
  }

  #refusal(action: string, filename: string, error: unknown): Error {
    if (!(error instanceof PathRefusedError)) return error as Error;
    const message = `Cannot ${action} "${filename}" in ${this.config.root_dir}: ${error.message}`;
    return error.code === ErrorCode.ACCESS_VIOLATION
      ? new InvalidArgumentError(message)
      : new DriverError(message);
  }

  /** Files below the root, as relative paths. */
  async listFiles(): Promise<string[]> {
    return await listRoot(await this.#root());
  }

  /** Stores the bytes of a resource as `filename` (replacing it atomically); returns the name. */
  async putFile(filename: string, handle: unknown): Promise<string> {
    const root = await this.#root();
    await using resource = this.openResource(handle);
    let size: number;
    try {
      size = await writeIntoRoot(root, filename, resource.readable);
    } catch (error) {
      throw this.#refusal("store", filename, error);
    }
    this.logger.info(`Stored "${filename}" (${size} bytes) in ${this.config.root_dir}`);
    return filename;
  }

  /** Deletes `filename` from the root; returns the name. */
  async deleteFile(filename: string): Promise<string> {
    try {
      await deleteFromRoot(await this.#root(), filename);
    } catch (error) {
      throw this.#refusal("delete", filename, error);
    }
    this.logger.info(`Deleted "${filename}" from ${this.config.root_dir}`);
    return filename;
  }

  override async close(): Promise<void> {
    if (this.#server) await this.stop();
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(tftpInterface, this);
  }
}

export const tftpType = defineDriverType({
  name: "Tftp",
  aliases: ["jumpstarter_driver_tftp.driver.Tftp"],
  config: tftpConfigSchema,
  create: (config, options) => {
    if (config.remove_created_on_close) {
      options.ignoreConfigKey?.(
        "remove_created_on_close",
        "files a session creates are kept when it ends here",
      );
    }
    return new Tftp(config, options);
  },
});
