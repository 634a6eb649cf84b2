/** Upstream's `VideoClient`: snapshots, state and the MJPEG stream of any video driver. */
import { type CallOptions, DriverClient, type DriverStream } from "@jumpstarter/lib/client";
import { fromBase64 } from "./base64.ts";
import { getOverStream, type StreamedResponse } from "./http_response.ts";
import { videoInterface } from "./interface.ts";
import { multipartBoundary, MultipartReader, type Part } from "./multipart.ts";
import { type VideoState, videoStateSchema } from "./state.ts";

/** The source's MJPEG stream read through the exporter: its response and a frame reader. */
export interface VideoStream extends AsyncDisposable {
  /** The source's HTTP response to `GET stream_path` (its body is the raw multipart stream). */
  response: StreamedResponse;
  /** The next frame (one multipart part) of the stream. */
  nextFrame(): Promise<Part>;
  /** Drops the connection. */
  close(): Promise<void>;
}

/** Client of every video driver (HttpVideo, UStreamer). */
export class VideoClient extends DriverClient {
  /** A single frame as JPEG bytes (upstream's `snapshot_bytes`). */
  async snapshotBytes(options: CallOptions = {}): Promise<Uint8Array<ArrayBuffer>> {
    return fromBase64(
      await this.invoke(videoInterface.methods.snapshot, [], options),
      `${this.name}.snapshot()`,
    );
  }

  /** A single frame as JPEG bytes (upstream returns a PIL image; decode with imagehash's). */
  snapshot(options: CallOptions = {}): Promise<Uint8Array<ArrayBuffer>> {
    return this.snapshotBytes(options);
  }

  /** Whether the source is online, its resolution and frame rate when known. */
  async state(options: CallOptions = {}): Promise<VideoState> {
    return videoStateSchema.parse(await this.invoke(videoInterface.methods.state, [], options));
  }

  /** The HTTP path serving MJPEG on the `connect` stream. */
  async streamPath(options: CallOptions = {}): Promise<string> {
    const path = await this.invoke(videoInterface.methods.stream_path, [], options);
    if (typeof path !== "string") {
      throw new TypeError(`stream_path returned ${JSON.stringify(path)}`);
    }
    return path;
  }

  /** A raw connection to the source's HTTP server, through the exporter. */
  connect(options: CallOptions = {}): Promise<DriverStream> {
    return this.stream(videoInterface.methods.connect.name, options);
  }

  /**
   * Opens the MJPEG stream at `stream_path` through `connect`.
   *
   * @throws {Error} naming the driver when the source answers with an error status.
   */
  async openStream(options: CallOptions = {}): Promise<VideoStream> {
    const path = await this.streamPath(options);
    const connection = await this.connect(options);
    let response: StreamedResponse;
    try {
      response = await getOverStream(connection, path, `${this.name} ${path}`);
    } catch (error) {
      connection.abort();
      throw error;
    }
    let frames: MultipartReader | undefined;
    const close = async () => {
      await (frames?.cancel() ?? response.body.cancel()).catch(() => {});
      connection.abort();
    };
    if (response.status !== 200) {
      await close();
      throw new Error(`${this.name} ${path} answered HTTP ${response.status}`);
    }
    return {
      response,
      nextFrame: () => {
        frames ??= new MultipartReader(
          response.body,
          multipartBoundary(response.headers.get("content-type")),
        );
        return frames.next();
      },
      close,
      [Symbol.asyncDispose]: close,
    };
  }
}
