import { type CallOptions, CompositeClient } from "@jumpstarter/lib/client";
import { httpServerInterface, type PutResult, putResultSchema } from "./interface.ts";

/**
 * Options of {@linkcode HttpServerClient.putFile}: aborting `signal` stops the upload (the
 * exporter then keeps nothing of it); `timeoutMs` bounds the whole transfer.
 */
export type PutOptions = CallOptions;

const { methods } = httpServerInterface;

function streamOf(source: ReadableStream<Uint8Array> | Uint8Array): ReadableStream<Uint8Array> {
  return source instanceof Uint8Array ? ReadableStream.from([source]) : source;
}

/** Client of an `HttpServer`: start/stop it, manage the files it serves, build URLs. */
export class HttpServerClient extends CompositeClient {
  async start(options?: CallOptions): Promise<void> {
    await this.invoke(methods.start, [], options);
  }

  async stop(options?: CallOptions): Promise<void> {
    await this.invoke(methods.stop, [], options);
  }

  /** Base URL, e.g. `http://192.0.2.10:8080`. */
  async getUrl(options?: CallOptions): Promise<string> {
    return String(await this.invoke(methods.get_url, [], options));
  }

  async getHost(options?: CallOptions): Promise<string> {
    return String(await this.invoke(methods.get_host, [], options));
  }

  async getPort(options?: CallOptions): Promise<number> {
    return Number(await this.invoke(methods.get_port, [], options));
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
      const result = await this.invoke(methods.put_file, [name, resource.handle], options).catch(
        async (error) => {
          // the exporter may have refused without reading: stop sending
          abort.abort(error);
          await resource.done.catch(() => {});
          throw error;
        },
      );
      await resource.done;
      return putResultSchema.parse(result);
    } catch (error) {
      abort.abort(error);
      throw error;
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
  }

  async deleteFile(name: string, options?: CallOptions): Promise<void> {
    await this.invoke(methods.delete_file, [name], options);
  }

  /** Relative names of the served files, sorted. */
  async listFiles(options?: CallOptions): Promise<string[]> {
    const names = await this.invoke(methods.list_files, [], options);
    if (!Array.isArray(names)) throw new TypeError("list_files did not answer a list");
    return names.map(String);
  }
}
