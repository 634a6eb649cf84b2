/**
 * Upstream's `HttpVideo` (`jumpstarter_driver_video.driver.HttpVideo`): a camera the exporter
 * reaches over HTTP (an IP camera, a board's own MJPEG server), exported as a video source.
 */
import { z } from "zod";
import {
  type ByteStream,
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { ConnectionError, DriverError } from "@jumpstarter/lib/wire";
import { toBase64 } from "./base64.ts";
import { videoInterface } from "./interface.ts";
import { jpegSize } from "./jpeg_size.ts";
import { multipartBoundary, MultipartReader } from "./multipart.ts";
import type { VideoState } from "./state.ts";
import { closeQuietly, trackedConnection } from "./tracked_connection.ts";

const FETCH_TIMEOUT_MS = 30_000;

/** The config keys of upstream's `HttpVideo`. */
export const httpVideoConfigSchema = z.object({
  /** The MJPEG stream URL. */
  url: z.string(),
  /** A single-JPEG endpoint; without it snapshots are the first frame of the stream. */
  snapshot_url: z.string().nullable().optional(),
}).strict();

/** The validated config of {@linkcode HttpVideo}. */
export type HttpVideoConfig = z.output<typeof httpVideoConfigSchema>;

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Snapshots, state and the MJPEG stream of an HTTP camera. */
export class HttpVideo extends Driver {
  readonly interface = videoInterface;
  readonly url: URL;
  readonly snapshotUrl: string | undefined;
  readonly #open = new Set<Deno.Conn>();

  /** @throws {Error} when `url` is not an http(s) URL with a host. */
  constructor(config: HttpVideoConfig, options: DriverOptions = {}) {
    super(options);
    let url: URL;
    try {
      url = new URL(config.url);
    } catch {
      throw new Error(`invalid stream url: ${config.url}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error(`unsupported scheme in stream url: ${config.url}`);
    }
    if (url.hostname === "") throw new Error(`missing host in stream url: ${config.url}`);
    this.url = url;
    this.snapshotUrl = config.snapshot_url ?? undefined;
  }

  async #get(url: string): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    } catch (error) {
      throw new ConnectionError(`Cannot reach ${url}: ${reasonOf(error)}`, { cause: error });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new DriverError(`GET ${url} answered ${response.status} ${response.statusText}`);
    }
    return response;
  }

  /** One JPEG frame: the snapshot URL's, or the first part of the MJPEG stream. */
  async fetchFrame(): Promise<Uint8Array> {
    if (this.snapshotUrl !== undefined) {
      return new Uint8Array(await (await this.#get(this.snapshotUrl)).arrayBuffer());
    }
    const response = await this.#get(this.url.href);
    const parts = new MultipartReader(
      response.body!,
      multipartBoundary(response.headers.get("content-type")),
    );
    try {
      return (await parts.next()).body;
    } catch (error) {
      throw new DriverError(`No frame received from ${this.url.href}: ${reasonOf(error)}`);
    } finally {
      await parts.cancel();
    }
  }

  /** A single JPEG frame, base64 encoded. */
  async snapshot(): Promise<string> {
    const data = await this.fetchFrame();
    this.logger.debug(`snapshot: ${data.length} bytes`);
    return toBase64(data);
  }

  /**
   * Online when a frame can be fetched; the resolution is the frame's. A plain HTTP camera
   * reports no frame rate.
   */
  async state(): Promise<VideoState> {
    let data: Uint8Array;
    try {
      data = await this.fetchFrame();
    } catch (error) {
      this.logger.debug(`state: source unreachable: ${reasonOf(error)}`);
      return { online: false, width: null, height: null, fps: null };
    }
    const size = jpegSize(data);
    return { online: true, width: size?.width ?? null, height: size?.height ?? null, fps: null };
  }

  /** The stream URL's path and query, served on `connect`. */
  streamPath(): string {
    return `${this.url.pathname || "/"}${this.url.search}`;
  }

  /** A TCP (TLS for https) connection to the camera's HTTP server. */
  async connect(): Promise<ByteStream> {
    const tls = this.url.protocol === "https:";
    const hostname = this.url.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = Number(this.url.port || (tls ? 443 : 80));
    this.logger.debug(`streaming video from ${hostname}:${port}${tls ? " (tls)" : ""}`);
    let conn: Deno.Conn;
    try {
      conn = tls
        ? await Deno.connectTls({ hostname, port })
        : await Deno.connect({ hostname, port });
    } catch (error) {
      throw new ConnectionError(`Cannot connect to ${hostname}:${port}: ${reasonOf(error)}`, {
        cause: error,
      });
    }
    return trackedConnection(conn, this.#open);
  }

  /** Drops the stream connections still open when the session ends. */
  override close(): void {
    for (const conn of this.#open) closeQuietly(conn);
    this.#open.clear();
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(videoInterface, this);
  }
}

export const httpVideoType = defineDriverType({
  name: "HttpVideo",
  aliases: ["jumpstarter_driver_video.driver.HttpVideo"],
  config: httpVideoConfigSchema,
  create: (config, options) => new HttpVideo(config, options),
});
