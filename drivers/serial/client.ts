import { type CallOptions, DriverClient } from "@jumpstarter/lib/client";
import type { ByteStream } from "@jumpstarter/lib/streams";
import { Expect, type ExpectOptions } from "@jumpstarter/lib/streams";
import { pyserialInterface } from "./interface.ts";

/** Options of {@linkcode PySerialClient.readLog}; `signal` ends the stream, `timeoutMs` bounds it. */
export interface ReadLogOptions extends CallOptions {
  /** Keep yielding new output until the session ends or the loop is left. */
  follow?: boolean;
}

const methods = pyserialInterface.methods;

/** Client of a PySerial driver: the port as a byte stream, expect sessions, the console log. */
export class PySerialClient extends DriverClient {
  /**
   * Attaches to the port (one client at a time): device output in, keystrokes out.
   * `options.signal` detaches; past `options.timeoutMs` the stream fails with `DriverTimeoutError`.
   */
  connect(options: CallOptions = {}): Promise<ByteStream> {
    return this.stream(methods.connect.name, options);
  }

  /** Attaches to the port and wraps it in an expect session (upstream's `pexpect()`). */
  async expect(options: ExpectOptions = {}): Promise<Expect> {
    return new Expect(await this.connect(), options);
  }

  /** Ends the stream of whichever client is connected (upstream's `close`). */
  async closeConnection(options: CallOptions = {}): Promise<void> {
    await this.invoke(methods.close, [], options);
  }

  /** Raises (true) or drops (false) the DTR line. */
  async setDtr(value: boolean, options: CallOptions = {}): Promise<void> {
    await this.invoke(methods.set_dtr, [value], options);
  }

  /** Raises (true) or drops (false) the RTS line. */
  async setRts(value: boolean, options: CallOptions = {}): Promise<void> {
    await this.invoke(methods.set_rts, [value], options);
  }

  /** Path of this session's console log on the exporter's machine. */
  async logPath(options: CallOptions = {}): Promise<string> {
    const path = await this.invoke(methods.log_path, [], options);
    if (typeof path !== "string") throw new TypeError(`log_path returned ${JSON.stringify(path)}`);
    return path;
  }

  /** The session's console output so far as text; with `follow`, also what comes next. */
  async *readLog(options: ReadLogOptions = {}): AsyncGenerator<string> {
    const { follow = false, ...callOptions } = options;
    for await (const chunk of this.invokeStreaming(methods.read_log, [follow], callOptions)) {
      if (typeof chunk !== "string") {
        throw new TypeError(`read_log yielded ${JSON.stringify(chunk)}, expected text`);
      }
      // empty chunks are the exporter's keep-alive while following an idle console
      if (chunk) yield chunk;
    }
  }
}
