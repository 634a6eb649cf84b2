/**
 * Exporter side: the PySerial driver (upstream `jumpstarter_driver_pyserial.driver.PySerial`).
 *
 * While a session is open the driver keeps the port open and reads it all the time, teeing the
 * output into the session's console log; the one attached client (`connect`) gets the same
 * bytes, and while it is behind the driver stops reading the device (backpressure). When the
 * device goes away the client's stream fails with a message naming the port, the session keeps
 * serving, and the port is reopened when the device returns (on the next `connect`, or by a
 * retry every second so the log misses as little as possible).
 */
import { z } from "zod";
import {
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { defaultDriverRegistry, defineDriverType } from "@jumpstarter/lib/exporter";
import type { ByteStream } from "@jumpstarter/lib/streams";
import { ConnectionError, DriverError } from "@jumpstarter/lib/wire";
import { addressName, parseAddress, type PortAddress } from "./address.ts";
import { Attachment } from "./attachment.ts";
import { ConsoleLog, defaultLogDir } from "./console_log.ts";
import { pyserialInterface } from "./interface.ts";
import { openPort } from "./open_port.ts";
import { type Port, PortClosedError, PortGoneError } from "./port.ts";
import { TtyPort } from "./tty_port.ts";

/** Default `log_max_bytes`: 16 MiB. */
export const DEFAULT_LOG_MAX_BYTES = 16 * 1024 * 1024;
const RETRY_MS = 1000;
const HEARTBEAT_MS = 10_000;
/** How long `connect` waits for a departing client to let go (its goodbye may still be on the way). */
const HANDOVER_MS = 1000;

/** Options of {@linkcode PySerial} (the config keys, camel-cased). */
export interface PySerialOptions {
  /** Device path (`/dev/ttyUSB0`, a pty), `socket://HOST:PORT` or `loop://`. */
  url: string;
  /** Line speed of a tty (default 115200; harmless on a pty). */
  baudrate?: number;
  /** Open the device once when the driver is created and fail if that is not possible. */
  checkPresent?: boolean;
  /** Directory of the console logs (default {@linkcode defaultLogDir}). */
  logDir?: string;
  /** Largest size of one log file; the newest bytes are kept (default 16 MiB). */
  logMaxBytes?: number;
  /** First part of the log file names (default: the device's base name). */
  logName?: string;
}

function reasonOf(error: unknown): string {
  if (error instanceof PortGoneError) return error.reason;
  const message = error instanceof Error ? error.message : String(error);
  // libc's errors read "open: No such file or directory"; the call name adds nothing here
  return message.replace(/^(open|read|write): /, "");
}

/** A serial port with a per-session console log. */
export class PySerial extends Driver {
  readonly interface = pyserialInterface;
  readonly url: string;
  readonly address: PortAddress;
  readonly baudrate: number;
  readonly #logDir: string | undefined;
  readonly #logMaxBytes: number;
  readonly #logName: string;
  #active = false;
  #port: Port | undefined;
  #pump: Promise<void> | undefined;
  #opening: Promise<void> | undefined;
  #attached: Attachment | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #log: ConsoleLog | undefined;
  #logError: string | undefined;
  #followers = new AbortController();

  /**
   * @throws {TypeError} for an unsupported URL; {Error} naming the URL when `checkPresent` is
   *   set and the device cannot be opened.
   */
  constructor(options: PySerialOptions, driverOptions: DriverOptions = {}) {
    super(driverOptions);
    this.url = options.url;
    this.address = parseAddress(options.url);
    this.baudrate = options.baudrate ?? 115200;
    this.#logDir = options.logDir;
    this.#logMaxBytes = options.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES;
    this.#logName = options.logName ?? addressName(this.address);
    if ((options.checkPresent ?? true) && this.address.kind === "device") {
      try {
        TtyPort.probe(this.address.path);
      } catch (error) {
        throw new Error(`Cannot open serial port ${this.url}: ${reasonOf(error)}`, {
          cause: error,
        });
      }
    }
  }

  /** Whether a client is attached through `connect`. */
  get attached(): boolean {
    return this.#attached !== undefined;
  }

  /** Whether the port is open right now. */
  get open(): boolean {
    return this.#port !== undefined;
  }

  /** Starts the session: opens its console log and the port (retrying if the device is away). */
  override async reset(): Promise<void> {
    if (this.#active) return;
    this.#active = true;
    this.#followers = new AbortController();
    try {
      const dir = this.#logDir ?? defaultLogDir();
      this.#log = await ConsoleLog.create(dir, this.#logName, this.#logMaxBytes);
      this.#logError = undefined;
      this.logger.info(`Console log of ${this.url}: ${this.#log.path}`);
    } catch (error) {
      this.#logError = `cannot create the console log: ${reasonOf(error)}`;
      this.logger.warning(`Serial port ${this.url}: ${this.#logError}`);
    }
    try {
      await this.#ensurePort();
    } catch (error) {
      this.logger.warning(`${(error as Error).message}; retrying until it appears`);
      this.#scheduleRetry();
    }
  }

  /** Ends the session: detaches the client, closes the port and the log (which stays on disk). */
  override async close(): Promise<void> {
    if (!this.#active) return;
    this.#active = false;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#followers.abort();
    this.#attached?.fail(new ConnectionError(`Serial port ${this.url} closed: the session ended`));
    await this.#opening?.catch(() => {});
    const port = this.#port;
    this.#port = undefined;
    await port?.close();
    await this.#pump;
    await this.#log?.close();
  }

  #ensurePort(): Promise<void> {
    if (this.#port) return Promise.resolve();
    return this.#opening ??= this.#openPort().finally(() => this.#opening = undefined);
  }

  async #openPort(): Promise<void> {
    let port: Port;
    try {
      port = await openPort(this.address, this.baudrate);
    } catch (error) {
      throw new ConnectionError(`Cannot open serial port ${this.url}: ${reasonOf(error)}`, {
        cause: error,
      });
    }
    if (!this.#active) {
      await port.close();
      throw new ConnectionError(`Cannot open serial port ${this.url}: the session ended`);
    }
    this.#port = port;
    this.#pump = this.#runPump(port);
  }

  /** Reads the device for the whole session: into the log, and to the attached client. */
  async #runPump(port: Port): Promise<void> {
    try {
      for (;;) {
        const chunk = await port.read();
        if (chunk === null) return;
        await this.#log?.append(chunk).catch((error) => this.#logFailed(error));
        await this.#attached?.deliver(chunk);
      }
    } catch (error) {
      await this.#lost(port, error);
    }
  }

  #logFailed(error: unknown): void {
    if (this.#logError) return;
    this.#logError = `writing the console log failed: ${reasonOf(error)}`;
    this.logger.warning(`Serial port ${this.url}: ${this.#logError}`);
  }

  async #lost(port: Port, error: unknown): Promise<void> {
    const message = `Serial port ${this.url} disconnected: ${reasonOf(error)}`;
    if (this.#port === port) this.#port = undefined;
    this.logger.warning(message);
    this.#attached?.fail(new ConnectionError(message));
    await port.close();
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (!this.#active || this.#retry !== undefined) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (!this.#active || this.#port) return;
      this.#ensurePort().then(
        () => this.logger.info(`Serial port ${this.url} is back`),
        () => this.#scheduleRetry(),
      );
    }, RETRY_MS);
  }

  #busy(): ConnectionError {
    return new ConnectionError(
      `Serial port ${this.url} is busy: another client is connected to it (read_log shows its output)`,
    );
  }

  /** Waits a moment for the attached client to leave; fails if it stays. */
  async #handover(): Promise<void> {
    const current = this.#attached;
    if (!current) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      current.ended,
      new Promise((resolve) => timer = setTimeout(resolve, HANDOVER_MS)),
    ]);
    clearTimeout(timer);
    if (this.#attached) throw this.#busy();
  }

  /** Attaches a client to the port: one at a time. */
  async connect(): Promise<ByteStream> {
    if (!this.#active) throw new DriverError(`Serial port ${this.url} has no open session`);
    await this.#handover();
    await this.#ensurePort();
    if (this.#attached) throw this.#busy();
    const attachment = new Attachment({
      write: (chunk) => this.#write(chunk),
      ended: (ended) => {
        if (this.#attached === ended) this.#attached = undefined;
      },
    });
    this.#attached = attachment;
    return { readable: attachment.readable, writable: attachment.writable };
  }

  async #write(chunk: Uint8Array): Promise<void> {
    const port = this.#port;
    if (!port) throw new ConnectionError(`Serial port ${this.url} is disconnected`);
    try {
      await port.write(chunk);
    } catch (error) {
      if (error instanceof PortClosedError) {
        throw new ConnectionError(`Serial port ${this.url} was closed`);
      }
      throw new ConnectionError(`Serial port ${this.url} disconnected: ${reasonOf(error)}`, {
        cause: error,
      });
    }
  }

  #requireLog(): ConsoleLog {
    if (this.#log) return this.#log;
    throw new DriverError(
      `Serial port ${this.url} has no console log: ${this.#logError ?? "no session is open"}`,
    );
  }

  /** Path of this session's console log on the exporter. */
  logPath(): string {
    return this.#requireLog().path;
  }

  /**
   * The session's console output as text (invalid UTF-8 becomes U+FFFD), from the oldest byte
   * kept; with `follow`, keeps yielding new output until the session ends. An idle follower
   * yields "" every few seconds so that a caller that went away is noticed.
   */
  async *readLog(follow = false): AsyncGenerator<string> {
    const log = this.#requireLog();
    const signal = this.#followers.signal;
    const decoder = new TextDecoder();
    let offset = log.start;
    for (;;) {
      const { offset: from, bytes } = await log.read(offset);
      if (bytes.byteLength > 0) {
        offset = from + bytes.byteLength;
        const text = decoder.decode(bytes, { stream: true });
        if (text) yield text;
        continue;
      }
      offset = from;
      if (!follow || log.closed || signal.aborted) break;
      if (log.end > offset) continue;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const idle = await Promise.race([
        log.changed(signal).then(() => false),
        new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), HEARTBEAT_MS)),
      ]);
      clearTimeout(timer);
      if (idle) yield "";
    }
    const rest = decoder.decode();
    if (rest) yield rest;
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(pyserialInterface, {
      connect: () => this.connect(),
      "log_path": () => this.logPath(),
      "read_log": (follow) => this.readLog(follow ?? false),
    });
  }
}

/** The `config:` keys of a PySerial entry (upstream's plus the console log settings). */
export const pyserialConfigSchema = z.object({
  url: z.string().min(1).superRefine((url, context) => {
    try {
      parseAddress(url);
    } catch (error) {
      context.addIssue({ code: "custom", message: (error as Error).message });
    }
  }),
  baudrate: z.number().int().positive().default(115200),
  "check_present": z.boolean().default(true),
  "log_dir": z.string().min(1).optional(),
  "log_max_bytes": z.number().int().min(1024).default(DEFAULT_LOG_MAX_BYTES),
  "log_name": z.string().min(1).optional(),
}).strict();

export const pyserialType = defineDriverType({
  name: "PySerial",
  aliases: ["jumpstarter_driver_pyserial.driver.PySerial"],
  config: pyserialConfigSchema,
  create: (config, options) =>
    new PySerial({
      url: config.url,
      baudrate: config.baudrate,
      checkPresent: config.check_present,
      logMaxBytes: config.log_max_bytes,
      ...(config.log_dir === undefined ? {} : { logDir: config.log_dir }),
      ...(config.log_name === undefined ? {} : { logName: config.log_name }),
    }, options),
});

defaultDriverRegistry.register(pyserialType);
export { ConsoleLog, defaultLogDir } from "./console_log.ts";
export { Attachment } from "./attachment.ts";
