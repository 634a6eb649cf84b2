/**
 * What the driver needs of an open port, whatever is behind it (a tty device, a TCP socket, the
 * in-memory loopback): read, write, close.
 */

/** An open port. `read` and `write` may each have one call in flight at a time. */
export interface Port {
  /**
   * The next bytes the device sent; `null` once the port was closed locally.
   *
   * @throws {PortGoneError} when the device went away (unplugged, peer closed, I/O error).
   */
  read(): Promise<Uint8Array | null>;
  /**
   * Writes all of `data`, waiting while the device's buffer is full.
   *
   * @throws {PortGoneError} when the device went away.
   */
  write(data: Uint8Array): Promise<void>;
  /**
   * Raises or drops a modem control line. Absent on ports without such lines (`socket://`,
   * `loop://`), where setting one is a no-op, as in pyserial.
   *
   * @throws {Error} naming the reason when the device refuses (a pty has no modem lines).
   */
  setModemLine?(line: ModemLine, on: boolean): void;
  /** Stops pending reads and writes and releases the device; idempotent. */
  close(): Promise<void>;
}

/** A modem control line the exporter drives. */
export type ModemLine = "dtr" | "rts";

/** The device behind an open port went away; `reason` says how. */
export class PortGoneError extends Error {
  readonly reason: string;

  constructor(reason: string, options?: ErrorOptions) {
    super(reason, options);
    this.name = "PortGoneError";
    this.reason = reason;
  }
}

/** A port that was closed locally refuses writes with this. */
export class PortClosedError extends Error {
  constructor() {
    super("the port is closed");
    this.name = "PortClosedError";
  }
}
