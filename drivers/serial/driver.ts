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
import {
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import type { ByteStream } from "@jumpstarter/lib/streams";
import { ConnectionError, DriverError } from "@jumpstarter/lib/wire";
import { DEFAULT_LOG_MAX_BYTES, pyserialConfigSchema, type PySerialOptions } from "./config.ts";
import { addressName, parseAddress, type PortAddress } from "./address.ts";
import { Attachment } from "./attachment.ts";
import { ConsoleLog, defaultLogDir } from "./console_log.ts";
import { pyserialInterface } from "./interface.ts";
import { openPort } from "./open_port.ts";
import { type ModemLine, type Port, PortClosedError, PortGoneError } from "./port.ts";
import { writeThrottled } from "./throttle.ts";
import { TtyPort } from "./tty_port.ts";

const RETRY_MS = 1000;
/** How long `connect` waits for a departing client to let go (its goodbye may still be on the way). */
const HANDOVER_MS = 1000;

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
  readonly cps: number | undefined;
  readonly disableHupcl: boolean;
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
    this.cps = options.cps !== undefined && options.cps > 0 ? options.cps : undefined;
    this.disableHupcl = options.disableHupcl ?? false;
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
      port = await openPort(this.address, this.baudrate, { disableHupcl: this.disableHupcl });
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

  /**
   * Waits a moment for the attached client to leave; fails if it stays. A client that has ended
   * its input is only listening: the newcomer takes over and its stream ends.
   */
  async #handover(): Promise<void> {
    const current = this.#attached;
    if (!current) return;
    if (current.inputClosed) {
      this.logger.info(
        `Serial port ${this.url}: a new client takes over from one that only listened`,
      );
      current.end();
      return;
    }
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
      if (this.cps === undefined) await port.write(chunk);
      else await writeThrottled(port, chunk, this.cps);
    } catch (error) {
      if (error instanceof PortClosedError) {
        throw new ConnectionError(`Serial port ${this.url} was closed`);
      }
      throw new ConnectionError(`Serial port ${this.url} disconnected: ${reasonOf(error)}`, {
        cause: error,
      });
    }
  }

  /**
   * Ends the attached client's stream (it reads the end of output), as upstream's `close`; a
   * no-op when nobody is attached. The port stays open for the console log.
   */
  closeConnection(): void {
    if (!this.#attached) {
      this.logger.debug(`close() on ${this.url}: no client is connected`);
      return;
    }
    this.logger.info(`Closing the client connection to ${this.url}`);
    this.#attached.end();
  }

  /**
   * Raises (`true`) or drops a modem control line of the device; on `socket://` and `loop://`
   * there is none and this does nothing, as in pyserial.
   */
  async setModemLine(line: ModemLine, on: boolean): Promise<void> {
    if (!this.#active) throw new DriverError(`Serial port ${this.url} has no open session`);
    await this.#ensurePort();
    const port = this.#port;
    if (!port) throw new ConnectionError(`Serial port ${this.url} is disconnected`);
    if (!port.setModemLine) {
      this.logger.debug(`set_${line}(${on}) on ${this.url}: no modem lines here, ignored`);
      return;
    }
    try {
      port.setModemLine(line, on);
    } catch (error) {
      throw new DriverError(
        `Cannot set ${line.toUpperCase()} on serial port ${this.url}: ${reasonOf(error)}`,
        { cause: error },
      );
    }
  }

  /** Raises (`true`) or drops the DTR line (see {@linkcode setModemLine}). */
  setDtr(on: boolean): Promise<void> {
    return this.setModemLine("dtr", on);
  }

  /** Raises (`true`) or drops the RTS line (see {@linkcode setModemLine}). */
  setRts(on: boolean): Promise<void> {
    return this.setModemLine("rts", on);
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
    yield* this.#requireLog().text(follow, this.#followers.signal);
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    const exported = exportMethods(pyserialInterface, this);
    // the wire's `close` (upstream's) ends the attached client; Driver.close() ends the session
    exported.set("close", {
      descriptor: pyserialInterface.methods.close,
      call: () => this.closeConnection(),
    });
    return exported;
  }
}

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
      disableHupcl: config.disable_hupcl,
      ...(config.cps == null ? {} : { cps: config.cps }),
      ...(config.log_dir === undefined ? {} : { logDir: config.log_dir }),
      ...(config.log_name === undefined ? {} : { logName: config.log_name }),
    }, options),
});

export { DEFAULT_LOG_MAX_BYTES, pyserialConfigSchema, type PySerialOptions } from "./config.ts";
// the same upstream package's demultiplexed serial registers with it
export { NVDemuxSerial, nvdemuxSerialType } from "./nvdemux.ts";
export { ConsoleLog, consoleLogGrants, defaultLogDir } from "./console_log.ts";
export { Attachment } from "./attachment.ts";
