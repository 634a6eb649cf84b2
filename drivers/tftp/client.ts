import { defaultClientRegistry, DriverClient } from "@jumpstarter/lib/client";
import { type Progress, progressStream } from "@jumpstarter/lib/streams";
import { tftpInterface } from "./interface.ts";

/** Options of {@linkcode TftpClient.putLocalFile}. */
export interface PutLocalFileOptions {
  /** Name in the TFTP root (default: the file's base name). */
  name?: string;
  onProgress?: (progress: Progress) => void;
}

function baseName(path: string): string {
  return path.split("/").filter((part) => part !== "").at(-1) ?? path;
}

/** Client of a Tftp driver (upstream `TftpServerClient`). */
export class TftpClient extends DriverClient {
  async start(): Promise<void> {
    await this.call("start");
  }

  async stop(): Promise<void> {
    await this.call("stop");
  }

  /** Address the server is bound to (what a DUT puts in `serverip`). */
  async getHost(): Promise<string> {
    return String(await this.call("get_host"));
  }

  async getPort(): Promise<number> {
    return Number(await this.call("get_port"));
  }

  /** Files in the TFTP root, as relative paths. */
  async listFiles(): Promise<string[]> {
    const files = await this.call("list_files");
    return Array.isArray(files) ? files.map(String) : [];
  }

  /** Uploads a stream into the root as `filename` (through the exporter, not TFTP). */
  async putFile(filename: string, source: ReadableStream<Uint8Array>): Promise<string> {
    const resource = await this.resource({ source });
    const stored = await this.call("put_file", filename, resource.handle);
    await resource.done;
    return String(stored);
  }

  /** Uploads a local file into the root; returns the name it got. */
  async putLocalFile(path: string, options: PutLocalFileOptions = {}): Promise<string> {
    const file = await Deno.open(path, { read: true });
    let source: ReadableStream<Uint8Array> = file.readable;
    if (options.onProgress) {
      const { size } = await file.stat();
      source = source.pipeThrough(progressStream({ total: size, onProgress: options.onProgress }));
    }
    return await this.putFile(options.name ?? baseName(path), source);
  }

  async deleteFile(filename: string): Promise<string> {
    return String(await this.call("delete_file", filename));
  }
}

defaultClientRegistry.register(TftpClient, tftpInterface.client);
