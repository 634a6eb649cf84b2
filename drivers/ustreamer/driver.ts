/**
 * Upstream's `UStreamer` (`jumpstarter_driver_ustreamer.driver.UStreamer`): runs the µStreamer
 * daemon on a Unix socket in its runtime directory (the exporter's, when it serves confined; else
 * a temporary one) and exports its state, snapshots and HTTP server (MJPEG at `/stream`).
 */
import { z } from "zod";
import {
  type ByteStream,
  claimRuntimeDir,
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
  type RuntimeDir,
} from "@jumpstarter/lib/driver";
import { ConnectionError, DriverError } from "@jumpstarter/lib/wire";
import { closeQuietly, toBase64, trackedConnection } from "@jumpstarter/driver-video/common";
import { findExecutable } from "./executable.ts";
import { ustreamerInterface } from "./interface.ts";
import { UStreamerProcess } from "./process.ts";
import { type UStreamerState, ustreamerState } from "./state.ts";
import { getUnix } from "./unix_http.ts";

/** The config keys of upstream's `UStreamer`. */
export const ustreamerConfigSchema = z.object({
  /** Name or path of the ustreamer executable (default: `ustreamer` from `PATH`). */
  executable: z.string().optional(),
  /** Extra arguments, each `key: value` passed as `--key value` (device, resolution...). */
  args: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
}).strict();

/** The validated config of {@linkcode UStreamer}. */
export type UStreamerConfig = z.output<typeof ustreamerConfigSchema>;

/** The Unix socket ustreamer serves on, in the driver's runtime directory `dir`. */
export function ustreamerSocket(dir: string): string {
  return `${dir}/socket`;
}

/** A uStreamer daemon exported as a video source. */
export class UStreamer extends Driver {
  readonly interface = ustreamerInterface;
  readonly executable: string;
  readonly #runtimeDir: RuntimeDir;
  readonly #process: UStreamerProcess;
  readonly #open = new Set<Deno.Conn>();

  /** Starts ustreamer. @throws {Error} when the executable cannot be found. */
  constructor(config: UStreamerConfig = {}, options: DriverOptions = {}) {
    super(options);
    this.executable = findExecutable(config.executable ?? "ustreamer");
    const args = Object.fromEntries(
      Object.entries(config.args ?? {}).map(([key, value]) => [key, String(value)]),
    );
    this.#runtimeDir = claimRuntimeDir(options.runtimeDir, "jumpstarter-ustreamer-");
    try {
      this.#process = new UStreamerProcess(
        this.executable,
        args,
        ustreamerSocket(this.#runtimeDir.path),
        this.logger,
      );
    } catch (error) {
      void this.#runtimeDir.remove();
      throw error;
    }
  }

  /** The Unix socket ustreamer serves HTTP on. */
  get socket(): string {
    return this.#process.socket;
  }

  /** ustreamer's process id. */
  get pid(): number {
    return this.#process.pid;
  }

  async #running(): Promise<void> {
    const exit = this.#process.exit;
    if (exit !== undefined) throw new DriverError(exit);
    await this.#process.ready();
  }

  async #get(path: string): Promise<Response> {
    await this.#running();
    try {
      return await getUnix(this.socket, path);
    } catch (error) {
      // a request cut short by ustreamer's exit says why it exited
      const exit = this.#process.exit;
      if (exit !== undefined) throw new DriverError(exit, { cause: error });
      throw error;
    }
  }

  /** ustreamer's `/state`, with the common video fields. */
  async state(): Promise<UStreamerState> {
    const document = await (await this.#get("/state")).json();
    this.logger.debug(`state: ${JSON.stringify(document)}`);
    try {
      return ustreamerState(document);
    } catch (error) {
      throw new DriverError(
        `ustreamer /state is not a state document: ${(error as Error).message}`,
      );
    }
  }

  /** One JPEG frame from `/snapshot`, base64 encoded. */
  async snapshot(): Promise<string> {
    const data = new Uint8Array(await (await this.#get("/snapshot")).arrayBuffer());
    this.logger.debug(`snapshot: ${data.length} bytes`);
    return toBase64(data);
  }

  /** ustreamer serves MJPEG at `/stream`. */
  streamPath(): string {
    return "/stream";
  }

  /** A raw connection to ustreamer's HTTP server. */
  async connect(): Promise<ByteStream> {
    await this.#running();
    this.logger.debug("streaming video");
    try {
      const conn = await Deno.connect({ transport: "unix", path: this.socket });
      return trackedConnection(conn, this.#open);
    } catch (error) {
      throw new ConnectionError(`Cannot connect to ustreamer on ${this.socket}: ${error}`, {
        cause: error,
      });
    }
  }

  /** Stops ustreamer and removes its runtime directory. */
  override async close(): Promise<void> {
    for (const conn of this.#open) closeQuietly(conn);
    this.#open.clear();
    await this.#process.terminate();
    await this.#runtimeDir.remove();
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(ustreamerInterface, this);
  }
}

export const ustreamerType = defineDriverType({
  name: "UStreamer",
  aliases: ["jumpstarter_driver_ustreamer.driver.UStreamer"],
  config: ustreamerConfigSchema,
  create: (config, options) => new UStreamer(config, options),
});
