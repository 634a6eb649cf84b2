/**
 * The TFTP server: answers read requests on its well-known port and runs each transfer on a new
 * ephemeral port. Read-only, as upstream: write requests are answered with an error.
 */
import { netasciiEncoder } from "./blocks.ts";
import { negotiate } from "./options.ts";
import {
  decodePacket,
  encodeError,
  ErrorCode,
  errorCodeName,
  MalformedPacketError,
  Opcode,
  type Request,
} from "./packet.ts";
import { openServable, PathRefusedError } from "./paths.ts";
import { ReadTransfer, TransferFailedError } from "./transfer.ts";
import { bindUdp, type Peer, type UdpBackend, type UdpSocket } from "./udp.ts";

/** Where the server's log lines go (the driver passes its logger). */
export interface ServerLog {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
}

/** Options of {@linkcode TftpServer.start}. */
export interface TftpServerOptions {
  /** Directory served; the only place files are read from. */
  root: string;
  hostname: string;
  /** 0 picks a free port. */
  port: number;
  /** Retransmission timeout when the client negotiates none (default 5000 ms, as upstream). */
  timeoutMs?: number;
  /** Consecutive timeouts tolerated per window before a transfer is abandoned (default 5). */
  retries?: number;
  backend?: UdpBackend;
  log?: ServerLog;
}

/** A request being served: from whom, its transfer once started, and its end. */
interface Running {
  key: string;
  transfer?: ReadTransfer;
  done?: Promise<void>;
}

const silent: ServerLog = { debug() {}, info() {}, warning() {} };

function describe(peer: Peer): string {
  return peer.address.includes(":")
    ? `[${peer.address}]:${peer.port}`
    : `${peer.address}:${peer.port}`;
}

function rate(bytes: number, ms: number): string {
  return `${(bytes / 1048576 / Math.max(ms / 1000, 1e-3)).toFixed(1)} MiB/s`;
}

/** A running TFTP server. */
export class TftpServer {
  readonly #options: TftpServerOptions;
  readonly #root: string;
  readonly #log: ServerLog;
  readonly #socket: UdpSocket;
  readonly #stop = new AbortController();
  readonly #transfers = new Set<Running>();

  private constructor(options: TftpServerOptions, root: string, socket: UdpSocket) {
    this.#options = options;
    this.#root = root;
    this.#log = options.log ?? silent;
    this.#socket = socket;
  }

  /**
   * Binds the server's port and starts answering.
   *
   * @throws when the root does not exist or the port cannot be bound.
   */
  static async start(options: TftpServerOptions): Promise<TftpServer> {
    const root = await Deno.realPath(options.root);
    // datagrams arriving before the server object exists are dropped (clients retransmit)
    let deliver = (_data: Uint8Array, _from: Peer): void => {};
    const socket = await bindUdp({
      hostname: options.hostname,
      port: options.port,
      ...(options.backend ? { backend: options.backend } : {}),
      onMessage: (data, from) => deliver(data, from),
    });
    const server = new TftpServer(options, root, socket);
    deliver = (data, from) => server.#receive(data, from);
    return server;
  }

  /** The bound address (the real port when started on port 0). */
  get address(): Peer {
    return this.#socket.local;
  }

  /** How many transfers are running. */
  get activeTransfers(): number {
    return this.#transfers.size;
  }

  /** Stops answering, ends running transfers (clients get an ERROR) and waits for them. */
  async close(): Promise<void> {
    if (!this.#stop.signal.aborted) {
      this.#stop.abort();
      this.#socket.close();
    }
    await Promise.all([...this.#transfers].map((running) => running.done));
  }

  #reply(to: Peer, code: number, message: string): void {
    this.#socket.send(encodeError(code, message), to).catch(() => {});
  }

  #receive(data: Uint8Array, from: Peer): void {
    if (this.#stop.signal.aborted) return;
    let packet;
    try {
      packet = decodePacket(data);
    } catch (error) {
      if (!(error instanceof MalformedPacketError)) throw error;
      this.#log.warning(`Malformed packet from ${describe(from)}: ${error.message}`);
      this.#reply(from, ErrorCode.ILLEGAL_OPERATION, `Malformed packet: ${error.message}`);
      return;
    }
    switch (packet.opcode) {
      case Opcode.RRQ:
        this.#startTransfer(packet, from);
        return;
      case Opcode.WRQ:
        this.#log.warning(`Refused write request from ${describe(from)} for "${packet.filename}"`);
        this.#reply(
          from,
          ErrorCode.ILLEGAL_OPERATION,
          "Unsupported operation: this TFTP server is read-only",
        );
        return;
      case Opcode.ERROR:
        // never answer an ERROR with an ERROR
        return;
      default:
        this.#reply(from, ErrorCode.ILLEGAL_OPERATION, "Unsupported operation on the server port");
    }
  }

  #startTransfer(request: Request, from: Peer): void {
    const key = describe(from);
    for (const running of this.#transfers) {
      // a client repeating its request before anything was acknowledged is still waiting for
      // the first reply: the running transfer gives it
      if (running.key === key && !running.transfer?.started) {
        this.#log.debug(`Repeated request from ${key} ignored: its transfer is starting`);
        return;
      }
    }
    const running: Running = { key };
    this.#transfers.add(running);
    running.done = this.#serve(request, from, running).finally(() => {
      this.#transfers.delete(running);
    });
  }

  async #serve(request: Request, from: Peer, running: Running): Promise<void> {
    const who = describe(from);
    const name = request.filename;
    if (request.mode !== "octet" && request.mode !== "netascii") {
      this.#log.warning(`Refused "${name}" to ${who}: unsupported mode "${request.mode}"`);
      this.#transfers.delete(running);
      this.#reply(from, ErrorCode.ILLEGAL_OPERATION, `Unsupported transfer mode "${request.mode}"`);
      return;
    }
    let opened;
    try {
      opened = await openServable(this.#root, name);
    } catch (error) {
      const code = error instanceof PathRefusedError ? error.code : ErrorCode.NOT_DEFINED;
      const reason = error instanceof Error ? error.message : String(error);
      this.#transfers.delete(running);
      this.#log.warning(`Refused "${name}" to ${who}: ${reason}`);
      this.#reply(from, code, `${errorCodeName(code)}: ${reason}`);
      return;
    }
    const { settings, accepted } = negotiate(request.options, {
      mode: request.mode,
      size: opened.size,
      defaultTimeoutMs: this.#options.timeoutMs ?? 5000,
    });
    const source = request.mode === "netascii"
      ? opened.readable().pipeThrough(netasciiEncoder())
      : opened.readable();
    const options = [...accepted].map(([key, value]) => `${key}=${value}`).join(" ");
    this.#log.info(
      `Sending "${name}" (${opened.size} bytes, ${request.mode}) to ${who}` +
        (options ? ` with ${options}` : ""),
    );
    const transfer = new ReadTransfer({
      peer: from,
      hostname: this.#options.hostname,
      source,
      settings,
      oack: accepted,
      retries: this.#options.retries ?? 5,
      signal: this.#stop.signal,
      ...(this.#options.backend ? { backend: this.#options.backend } : {}),
    });
    running.transfer = transfer;
    try {
      const stats = await transfer.run();
      this.#transfers.delete(running);
      this.#log.info(
        `Sent "${name}" to ${who}: ${stats.bytes} bytes in ${stats.blocks} blocks, ` +
          `${(stats.durationMs / 1000).toFixed(2)} s (${rate(stats.bytes, stats.durationMs)}), ` +
          `${stats.retransmissions} retransmissions`,
      );
    } catch (error) {
      const reason = error instanceof TransferFailedError || error instanceof Error
        ? error.message
        : String(error);
      this.#transfers.delete(running);
      this.#log.warning(`Transfer of "${name}" to ${who} failed: ${reason}`);
    }
  }
}
