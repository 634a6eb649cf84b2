import { defaultClientRegistry, DriverClient } from "@jumpstarter/lib/client";
import type { ByteStream } from "@jumpstarter/lib/streams";
import { Expect, type ExpectOptions } from "@jumpstarter/lib/streams";
import { pyserialInterface } from "./interface.ts";

/** Options of {@linkcode PySerialClient.readLog}. */
export interface ReadLogOptions {
  /** Keep yielding new output until the session ends or the loop is left. */
  follow?: boolean;
}

/** Client of a PySerial driver: the port as a byte stream, expect sessions, the console log. */
export class PySerialClient extends DriverClient {
  /** Attaches to the port (one client at a time): device output in, keystrokes out. */
  connect(): Promise<ByteStream> {
    return this.stream("connect");
  }

  /** Attaches to the port and wraps it in an expect session (upstream's `pexpect()`). */
  async expect(options: ExpectOptions = {}): Promise<Expect> {
    return new Expect(await this.connect(), options);
  }

  /** Ends the stream of whichever client is connected (upstream's `close`). */
  async closeConnection(): Promise<void> {
    await this.call("close");
  }

  /** Raises (true) or drops (false) the DTR line. */
  async setDtr(value: boolean): Promise<void> {
    await this.call("set_dtr", value);
  }

  /** Raises (true) or drops (false) the RTS line. */
  async setRts(value: boolean): Promise<void> {
    await this.call("set_rts", value);
  }

  /** Path of this session's console log on the exporter's machine. */
  async logPath(): Promise<string> {
    const path = await this.call("log_path");
    if (typeof path !== "string") throw new TypeError(`log_path returned ${JSON.stringify(path)}`);
    return path;
  }

  /** The session's console output so far as text; with `follow`, also what comes next. */
  async *readLog(options: ReadLogOptions = {}): AsyncGenerator<string> {
    for await (const chunk of this.streamingCall("read_log", options.follow ?? false)) {
      if (typeof chunk !== "string") {
        throw new TypeError(`read_log yielded ${JSON.stringify(chunk)}, expected text`);
      }
      // empty chunks are the exporter's keep-alive while following an idle console
      if (chunk) yield chunk;
    }
  }
}

defaultClientRegistry.register(PySerialClient, pyserialInterface.client);
