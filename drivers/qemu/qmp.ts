/**
 * A small QMP client: line-delimited JSON over QEMU's monitor socket. It does the capabilities
 * handshake, runs commands (matched to replies by id) and hands asynchronous events to a callback.
 */
import { ConnectionError, DriverError } from "@jumpstarter/lib/wire";

/** An asynchronous QMP event, e.g. `SHUTDOWN` or `POWERDOWN`. */
export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
}

interface Pending {
  command: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** A QMP session on a connected socket. */
export class QmpClient {
  readonly #conn: Deno.Conn;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #pending = new Map<number, Pending>();
  readonly #where: string;
  #nextId = 1;
  #greeting = Promise.withResolvers<void>();
  #closed = false;
  /** Settles when the socket has ended (QEMU exited or the session was closed). */
  readonly ended: Promise<void>;
  onEvent: (event: QmpEvent) => void = () => {};

  private constructor(conn: Deno.Conn, where: string) {
    this.#conn = conn;
    this.#where = where;
    this.#writer = conn.writable.getWriter();
    this.ended = this.#readLoop();
    this.#greeting.promise.catch(() => {});
  }

  /** Takes over a connected socket: waits for the greeting and negotiates capabilities. */
  static async open(conn: Deno.Conn, where: string): Promise<QmpClient> {
    const client = new QmpClient(conn, where);
    try {
      await client.#greeting.promise;
      await client.execute("qmp_capabilities");
    } catch (error) {
      client.close();
      throw error;
    }
    return client;
  }

  async #readLoop(): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = "";
    let failure: Error = new ConnectionError(`QMP socket ${this.#where} closed`);
    try {
      for await (const chunk of this.#conn.readable) {
        buffered += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) this.#dispatch(line);
        }
      }
    } catch (error) {
      if (!this.#closed) {
        failure = new ConnectionError(
          `QMP socket ${this.#where} failed: ${(error as Error).message}`,
        );
      }
    }
    this.#closed = true;
    this.#greeting.reject(failure);
    for (const pending of this.#pending.values()) pending.reject(failure);
    this.#pending.clear();
  }

  #dispatch(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    if ("QMP" in message) return this.#greeting.resolve();
    if (typeof message.event === "string") {
      return this.onEvent(message as unknown as QmpEvent);
    }
    const id = message.id;
    const pending = typeof id === "number" ? this.#pending.get(id) : undefined;
    if (!pending) return;
    this.#pending.delete(id as number);
    if ("error" in message) {
      const error = message.error as { class?: string; desc?: string };
      pending.reject(
        new DriverError(
          `QMP command ${pending.command} failed: ${error.desc ?? "unknown error"} (${
            error.class ?? "GenericError"
          })`,
        ),
      );
    } else {
      pending.resolve(message.return);
    }
  }

  /** Runs a QMP command and returns its `return` value. */
  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.#closed) throw new ConnectionError(`QMP socket ${this.#where} is closed`);
    const id = this.#nextId++;
    const reply = new Promise<unknown>((resolve, reject) => {
      this.#pending.set(id, { command, resolve, reject });
    });
    const message = { execute: command, id, ...(args ? { arguments: args } : {}) };
    try {
      await this.#writer.write(new TextEncoder().encode(JSON.stringify(message) + "\n"));
    } catch (error) {
      this.#pending.delete(id);
      throw new ConnectionError(
        `Cannot send QMP command ${command} to ${this.#where}: ${(error as Error).message}`,
      );
    }
    return await reply;
  }

  /** Closes the socket; pending commands fail. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed by the peer
    }
  }
}
