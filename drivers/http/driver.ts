/**
 * Exporter side of the HTTP file server: `HttpServer` serves a directory to the DUT and stores
 * files clients upload into it.
 */
import { z } from "zod";
import {
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { DriverError } from "@jumpstarter/lib/wire";
import { addFsStorageChild } from "@jumpstarter/driver-opendal/driver";
import { defaultHost, hostPort } from "./host.ts";
import { httpServerInterface, type PutResult } from "./interface.ts";
import { FileRoot } from "./root.ts";
import { type FileServer, startFileServer } from "./server.ts";

/** Why `remove_created_on_close: true` is only warned about. */
const KEEPS_CREATED_FILES = "files a session creates are kept when it ends here";

/** Config of `HttpServer`, as upstream's constructor arguments. */
export const httpServerConfigSchema = z.object({
  "root_dir": z.string().min(1).default("/var/www"),
  host: z.string().min(1).nullable().default(null),
  port: z.number().int().min(0).max(65535).default(8080),
  /** Accepted for compatibility; unused, as upstream. */
  timeout: z.number().positive().default(600),
  /** Upstream removes the files a session created; here they are kept (a warning says so). */
  "remove_created_on_close": z.boolean().optional(),
}).strict();

export type HttpServerConfig = z.input<typeof httpServerConfigSchema>;

/** Serves `root_dir` over HTTP once started; GET/HEAD with ranges, nothing outside the root. */
export class HttpServer extends Driver {
  readonly interface = httpServerInterface;
  readonly root: FileRoot;
  readonly host: string;
  readonly #port: number;
  #server: FileServer | undefined;

  constructor(config: HttpServerConfig = {}, options: DriverOptions = {}) {
    super(options);
    const parsed = httpServerConfigSchema.parse(config);
    this.root = new FileRoot(parsed.root_dir);
    addFsStorageChild(this, this.root.path, options);
    this.#port = parsed.port;
    this.host = parsed.host ?? defaultHost() ?? "0.0.0.0";
  }

  /** Whether the server is listening. */
  get running(): boolean {
    return this.#server !== undefined;
  }

  /** Starts listening; a no-op with a warning when already running. */
  start(): void {
    if (this.#server) {
      this.logger.warning("HTTP server is already running.");
      return;
    }
    try {
      this.#server = startFileServer({
        root: this.root,
        hostname: this.host,
        port: this.#port,
        logger: this.logger,
      });
    } catch (error) {
      throw new DriverError(
        `Cannot start the HTTP server on ${hostPort(this.host, this.#port)}: ${
          error instanceof Error ? error.message : error
        }`,
        { cause: error },
      );
    }
    this.logger.info(`HTTP server started at ${this.getUrl()} serving ${this.root.path}`);
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) {
      this.logger.warning("HTTP server is not running.");
      return;
    }
    this.#server = undefined;
    await server.stop();
    this.logger.info("HTTP server stopped.");
  }

  /** The port in use while running (the configured one otherwise, which may be 0). */
  getPort(): number {
    return this.#server?.port ?? this.#port;
  }

  getHost(): string {
    return this.host;
  }

  getUrl(): string {
    return `http://${hostPort(this.host, this.getPort())}`;
  }

  /** The URL a file name is served at. */
  urlOf(name: string): string {
    return `${this.getUrl()}/${name.split("/").map(encodeURIComponent).join("/")}`;
  }

  /** Stores the bytes of the resource `handle` as `name`, replacing it atomically. */
  async putFile(name: string, handle: unknown): Promise<PutResult> {
    // claimed first, so a refused name still releases the client's stream
    await using resource = this.openResource(handle);
    this.root.segments(name);
    const size = await this.root.write(name, resource.readable);
    this.logger.info(`stored ${name} (${size} bytes)`);
    return { name, size, url: this.urlOf(name) };
  }

  async deleteFile(name: string): Promise<void> {
    await this.root.delete(name);
    this.logger.info(`deleted ${name}`);
  }

  listFiles(): Promise<string[]> {
    return this.root.list();
  }

  override async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    await server?.stop();
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(httpServerInterface, this);
  }
}

export const httpServerType = defineDriverType({
  name: "HttpServer",
  aliases: ["jumpstarter_driver_http.driver.HttpServer"],
  config: httpServerConfigSchema,
  create: (config, options) => {
    if (config.remove_created_on_close) {
      options.ignoreConfigKey?.("remove_created_on_close", KEEPS_CREATED_FILES);
    }
    return new HttpServer(config, options);
  },
});
