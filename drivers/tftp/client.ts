import { type CallOptions, DriverClient } from "@jumpstarter/lib/client";
import { type Progress, progressStream } from "@jumpstarter/lib/streams";
import { tftpInterface } from "./interface.ts";

const { methods } = tftpInterface;

/** Options of {@linkcode TftpClient.putLocalFile}; `signal` and `timeoutMs` bound the upload. */
export interface PutLocalFileOptions extends CallOptions {
  /** Name in the TFTP root (default: the file's base name). */
  name?: string;
  onProgress?: (progress: Progress) => void;
}

function baseName(path: string): string {
  return path.split("/").filter((part) => part !== "").at(-1) ?? path;
}

/** Client of a Tftp driver (upstream `TftpServerClient`). */
export class TftpClient extends DriverClient {
  async start(options?: CallOptions): Promise<void> {
    await this.invoke(methods.start, [], options);
  }

  async stop(options?: CallOptions): Promise<void> {
    await this.invoke(methods.stop, [], options);
  }

  /** Address the server is bound to (what a DUT puts in `serverip`). */
  async getHost(options?: CallOptions): Promise<string> {
    return String(await this.invoke(methods.get_host, [], options));
  }

  async getPort(options?: CallOptions): Promise<number> {
    return Number(await this.invoke(methods.get_port, [], options));
  }

  /** Files in the TFTP root, as relative paths. */
  async listFiles(options?: CallOptions): Promise<string[]> {
    const files = await this.invoke(methods.list_files, [], options);
    return Array.isArray(files) ? files.map(String) : [];
  }

  /**
   * Uploads a stream into the root as `filename` (through the exporter, not TFTP). Aborting
   * `options.signal` stops the upload; the root then keeps its previous content.
   */
  async putFile(
    filename: string,
    source: ReadableStream<Uint8Array>,
    options: CallOptions = {},
  ): Promise<string> {
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const upload = source.pipeThrough(new TransformStream(), { signal });
    try {
      const resource = await this.resource({ source: upload });
      const stored = await this.invoke(methods.put_file, [filename, resource.handle], options);
      await resource.done;
      return String(stored);
    } catch (error) {
      // the exporter refused or the caller gave up: stop sending (the file is then not stored)
      stop.abort(error);
      throw error;
    }
  }

  /** Uploads a local file into the root; returns the name it got. */
  async putLocalFile(path: string, options: PutLocalFileOptions = {}): Promise<string> {
    const file = await Deno.open(path, { read: true });
    let source: ReadableStream<Uint8Array> = file.readable;
    if (options.onProgress) {
      const { size } = await file.stat();
      source = source.pipeThrough(progressStream({ total: size, onProgress: options.onProgress }));
    }
    return await this.putFile(options.name ?? baseName(path), source, options);
  }

  async deleteFile(filename: string, options?: CallOptions): Promise<string> {
    return String(await this.invoke(methods.delete_file, [filename], options));
  }
}
