import { CompositeClient, defaultClientRegistry } from "@jumpstarter/lib/client";
import { httpServerInterface, type PutResult, putResultSchema } from "./interface.ts";

/** Options of {@linkcode HttpServerClient.putFile}. */
export interface PutOptions {
  /** Stops the upload; the exporter then keeps nothing of it. */
  signal?: AbortSignal;
}

function streamOf(source: ReadableStream<Uint8Array> | Uint8Array): ReadableStream<Uint8Array> {
  return source instanceof Uint8Array ? ReadableStream.from([source]) : source;
}

/** Client of an `HttpServer`: start/stop it, manage the files it serves, build URLs. */
export class HttpServerClient extends CompositeClient {
  async start(): Promise<void> {
    await this.call("start");
  }

  async stop(): Promise<void> {
    await this.call("stop");
  }

  /** Base URL, e.g. `http://192.0.2.10:8080`. */
  async getUrl(): Promise<string> {
    return String(await this.call("get_url"));
  }

  async getHost(): Promise<string> {
    return String(await this.call("get_host"));
  }

  async getPort(): Promise<number> {
    return Number(await this.call("get_port"));
  }

  /**
   * Uploads `source` as `name` (a relative path under the served root) and returns where it is
   * served. The file appears only once complete.
   */
  async putFile(
    name: string,
    source: ReadableStream<Uint8Array> | Uint8Array,
    options: PutOptions = {},
  ): Promise<PutResult> {
    const abort = new AbortController();
    const onAbort = () => abort.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    const body = new TransformStream<Uint8Array, Uint8Array>();
    streamOf(source).pipeTo(body.writable, { signal: abort.signal }).catch(() => {});
    try {
      const resource = await this.resource({ source: body.readable });
      const result = await this.call("put_file", name, resource.handle).catch(async (error) => {
        // the exporter may have refused without reading: stop sending
        abort.abort(error);
        await resource.done.catch(() => {});
        throw error;
      });
      await resource.done;
      return putResultSchema.parse(result);
    } catch (error) {
      abort.abort(error);
      throw error;
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
  }

  async deleteFile(name: string): Promise<void> {
    await this.call("delete_file", name);
  }

  /** Relative names of the served files, sorted. */
  async listFiles(): Promise<string[]> {
    const names = await this.call("list_files");
    if (!Array.isArray(names)) throw new TypeError("list_files did not answer a list");
    return names.map(String);
  }
}

defaultClientRegistry.register(HttpServerClient, httpServerInterface.client);
