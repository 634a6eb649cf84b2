/**
 * The `console` child: the guest's serial port as a byte stream. Like a serial cable it outlives
 * power cycles: clients may attach while the VM is off and keep their stream across restarts.
 * The driver reads the guest all the time, into the session's console log (bounded, in memory)
 * and to every attached client (with backpressure); keystrokes from any client go to the guest,
 * and are dropped while it is off.
 */
import {
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import type { ByteStream } from "@jumpstarter/lib/streams";
import { DriverError } from "@jumpstarter/lib/wire";
import { Attachment, ConsoleLog, defaultLogDir } from "@jumpstarter/driver-serial/driver";
import { consoleInterface } from "./interface.ts";

/** Default bound of the console log: the newest 16 MiB. */
export const DEFAULT_LOG_BYTES = 16 * 1024 * 1024;

export class QemuConsole extends Driver {
  readonly interface = consoleInterface;
  readonly #logBytes: number;
  readonly #logDir: string | undefined;
  // the session's output, on disk so it can be read after the session (and the exporter) ended
  #log: Promise<ConsoleLog> | undefined;
  readonly #attachments = new Set<Attachment>();
  #device: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #closed = false;
  #followers = new AbortController();

  /** Keeps at most `logBytes` of output in `logDir` (default: the state directory's console/). */
  constructor(options: DriverOptions = {}, logBytes = DEFAULT_LOG_BYTES, logDir?: string) {
    super(options);
    this.#logBytes = logBytes;
    this.#logDir = logDir;
  }

  /** How many clients are attached. */
  get attachments(): number {
    return this.#attachments.size;
  }

  /** Whether a running guest is connected. */
  get connected(): boolean {
    return this.#device !== undefined;
  }

  /** The session's console output so far, as text (for tests and diagnostics). */
  async logText(): Promise<string> {
    const log = await this.#sessionLog();
    const { bytes } = await log.read(log.start, log.end - log.start);
    return new TextDecoder().decode(bytes);
  }

  /**
   * Feeds a running guest's console in. Resolves once its output has ended (the guest is gone)
   * and every byte of it went to the log and the attached clients.
   */
  async attachDevice(device: ByteStream): Promise<void> {
    const writer = device.writable.getWriter();
    this.#device = writer;
    try {
      for await (const chunk of device.readable) {
        await (await this.#sessionLog()).append(chunk);
        await Promise.all([...this.#attachments].map((client) => client.deliver(chunk)));
      }
    } catch {
      // the socket broke with the process: what was read has been delivered
    } finally {
      if (this.#device === writer) this.#device = undefined;
      writer.releaseLock();
    }
  }

  /** The log file, created on first use (the driver's constructor cannot wait for it). */
  #sessionLog(): Promise<ConsoleLog> {
    this.#log ??= ConsoleLog.create(this.#logDir ?? defaultLogDir(), "qemu-console", this.#logBytes)
      .then(
        (log) => {
          this.logger.info(`Console log: ${log.path}`);
          return log;
        },
      );
    return this.#log;
  }

  async #toGuest(chunk: Uint8Array): Promise<void> {
    const device = this.#device;
    if (!device) return;
    await device.write(chunk).catch(() => {
      // the guest went away mid-write; like a serial line, keystrokes are simply lost
    });
  }

  /** Attaches a client: guest output from now on, and a way to type into the guest. */
  connect(): ByteStream {
    if (this.#closed) throw new DriverError("The QEMU console is closed: the session has ended");
    const attachment = new Attachment({
      write: (chunk) => this.#toGuest(chunk),
      ended: (ended) => this.#attachments.delete(ended),
    });
    this.#attachments.add(attachment);
    return { readable: attachment.readable, writable: attachment.writable };
  }

  /** Path of the session's console log on the exporter. */
  async logPath(): Promise<string> {
    return (await this.#sessionLog()).path;
  }

  /**
   * The session's console output as text from the oldest byte kept; with `follow`, keeps
   * yielding new output until the session ends. An idle follower yields "" every few seconds so
   * that a caller that went away is noticed.
   */
  async *readLog(follow = false): AsyncGenerator<string> {
    yield* (await this.#sessionLog()).text(follow, this.#followers.signal);
  }

  /** Ends every client's stream and the log followers; the log stays readable. */
  override async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const attachment of this.#attachments) attachment.end();
    this.#followers.abort();
    await (await this.#log)?.close();
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(consoleInterface, this);
  }
}
