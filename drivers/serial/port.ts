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
  /** Stops pending reads and writes and releases the device; idempotent. */
  close(): Promise<void>;
}

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
