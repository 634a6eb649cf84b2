/**
 * One read transfer (server to client) on its own ephemeral UDP port, the transfer ID of RFC 1350:
 * optional OACK handshake, then DATA blocks in windows of `windowSize` (RFC 7440; 1 is classic
 * lock-step), retransmission on timeout with a retry limit, and block numbers that wrap at 65536.
 *
 * Duplicate ACKs never trigger a resend (RFC 1123 4.2.3.1, the Sorcerer's Apprentice bug): only
 * an ACK that moves the window forward, or a timeout, makes the server send again.
 */
import { BlockReader } from "./blocks.ts";
import { Inbox } from "./inbox.ts";
import type { TransferSettings } from "./options.ts";
import {
  decodePacket,
  encodeError,
  encodeOack,
  ErrorCode,
  errorCodeName,
  MalformedPacketError,
  Opcode,
  type Packet,
} from "./packet.ts";
import { bindUdp, type Peer, type UdpBackend, type UdpSocket } from "./udp.ts";

/** What a finished transfer did. */
export interface TransferStats {
  /** Payload bytes delivered (each block counted once). */
  bytes: number;
  /** DATA blocks delivered. */
  blocks: number;
  /** DATA or OACK packets sent again after a timeout or a client's go-back. */
  retransmissions: number;
  durationMs: number;
}

/** A transfer that did not complete; `peerError` is set when the client sent an ERROR. */
export class TransferFailedError extends Error {
  readonly peerError: { code: number; message: string } | undefined;

  constructor(message: string, peerError?: { code: number; message: string }) {
    super(message);
    this.name = "TransferFailedError";
    this.peerError = peerError;
  }
}

/** Everything a transfer needs. */
export interface ReadTransferInit {
  /** The client's address and port (its transfer ID). */
  peer: Peer;
  /** Address to bind the transfer's socket to (the server's address). */
  hostname: string;
  /** The bytes to send, already converted for the transfer mode. */
  source: ReadableStream<Uint8Array>;
  settings: TransferSettings;
  /** Options to acknowledge with an OACK first; none means DATA 1 is sent at once. */
  oack?: ReadonlyMap<string, string>;
  /** Consecutive timeouts tolerated for one window before giving up. */
  retries: number;
  backend?: UdpBackend;
  signal?: AbortSignal;
}

/** Runs one read transfer to completion. */
export class ReadTransfer {
  readonly #init: ReadTransferInit;
  readonly #inbox = new Inbox<Packet>();
  readonly #reader: BlockReader;
  #socket: UdpSocket | undefined;
  /** Sent but not yet acknowledged DATA packets, by absolute block number. */
  readonly #inFlight = new Map<number, Uint8Array>();
  /** Highest block acknowledged (absolute; 0 before any). */
  #acked = 0;
  /** Next block to send (absolute). */
  #next = 1;
  /** Absolute number of the final (short) block, once read. */
  #last: number | undefined;
  #highestRead = 0;
  #bytes = 0;
  #retransmissions = 0;
  #started = false;

  constructor(init: ReadTransferInit) {
    this.#init = init;
    this.#reader = new BlockReader(init.source);
  }

  /** Whether the client has acknowledged anything yet (the OACK or a block). */
  get started(): boolean {
    return this.#started;
  }

  /** The transfer's own port, once bound. */
  get port(): number | undefined {
    return this.#socket?.local.port;
  }

  /**
   * Binds the transfer socket and sends the file.
   *
   * @throws {TransferFailedError} when the client gave up, sent an ERROR, stopped answering, or
   * the server stopped.
   */
  async run(): Promise<TransferStats> {
    const started = performance.now();
    const { signal } = this.#init;
    const onAbort = () => this.#inbox.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      if (signal?.aborted) throw new TransferFailedError("server stopped");
      this.#socket = await bindUdp({
        hostname: this.#init.hostname,
        port: 0,
        ...(this.#init.backend ? { backend: this.#init.backend } : {}),
        onMessage: (data, from) => this.#receive(data, from),
      });
      if (this.#init.oack && this.#init.oack.size > 0) await this.#negotiate(this.#init.oack);
      await this.#sendData();
      return {
        bytes: this.#bytes,
        blocks: this.#acked,
        retransmissions: this.#retransmissions,
        durationMs: performance.now() - started,
      };
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.#inbox.abort();
      await this.#reader.cancel();
      this.#socket?.close();
    }
  }

  #receive(data: Uint8Array, from: Peer): void {
    const { peer } = this.#init;
    if (from.port !== peer.port || from.address !== peer.address) {
      // RFC 1350: a packet from a foreign TID gets an error, and the transfer goes on
      void this.#sendTo(encodeError(ErrorCode.UNKNOWN_TID, "Unknown transfer ID"), from);
      return;
    }
    try {
      this.#inbox.push(decodePacket(data));
    } catch (error) {
      if (!(error instanceof MalformedPacketError)) throw error;
      // ignored: a retransmission or a timeout will sort it out
    }
  }

  async #sendTo(packet: Uint8Array, to: Peer): Promise<void> {
    try {
      await this.#socket?.send(packet, to);
    } catch {
      // a lost datagram is what retransmission is for
    }
  }

  #send(packet: Uint8Array): Promise<void> {
    return this.#sendTo(packet, this.#init.peer);
  }

  /** Gives up: tells the client why (unless it is the one who ended it) and throws. */
  async #fail(message: string, code: number = ErrorCode.NOT_DEFINED): Promise<never> {
    await this.#send(encodeError(code, message));
    throw new TransferFailedError(message);
  }

  /** Handles a packet that is not an ACK; returns only for packets to ignore. */
  async #unexpected(packet: Packet): Promise<void> {
    if (packet.opcode === Opcode.ERROR) {
      throw new TransferFailedError(
        `client sent ERROR ${packet.code} (${errorCodeName(packet.code)}): ${packet.message}`,
        { code: packet.code, message: packet.message },
      );
    }
    // a client repeating its request reached the main port; here it is out of place
    if (packet.opcode === Opcode.RRQ) return;
    await this.#fail(`unexpected packet (opcode ${packet.opcode})`, ErrorCode.ILLEGAL_OPERATION);
  }

  async #negotiate(options: ReadonlyMap<string, string>): Promise<void> {
    const oack = encodeOack(options);
    for (let attempt = 0; attempt <= this.#init.retries; attempt++) {
      if (attempt > 0) this.#retransmissions++;
      await this.#send(oack);
      const deadline = performance.now() + this.#init.settings.timeoutMs;
      for (;;) {
        const packet = await this.#inbox.next(deadline);
        if (packet === "aborted") return await this.#fail("server stopped");
        if (packet === "timeout") break;
        if (packet.opcode === Opcode.ACK) {
          if (packet.block !== 0) continue;
          this.#started = true;
          return;
        }
        await this.#unexpected(packet);
      }
    }
    await this.#fail("timed out waiting for the acknowledgement of the OACK");
  }

  /** The DATA packet of absolute block `block`, read from the source when new. */
  async #packet(block: number): Promise<Uint8Array> {
    const sent = this.#inFlight.get(block);
    if (sent) return sent;
    const size = this.#init.settings.blockSize;
    const buffer = new Uint8Array(4 + size);
    let count: number;
    try {
      count = await this.#reader.fill(buffer, 4);
    } catch (error) {
      return await this.#fail(`cannot read the file: ${(error as Error).message ?? error}`);
    }
    buffer[1] = Opcode.DATA;
    buffer[2] = (block >> 8) & 0xff;
    buffer[3] = block & 0xff;
    this.#highestRead = block;
    this.#bytes += count;
    if (count < size) this.#last = block;
    const packet = count < size ? buffer.subarray(0, 4 + count) : buffer;
    this.#inFlight.set(block, packet);
    return packet;
  }

  /** Sends from `#next` to the end of the window (or the final block). */
  async #sendWindow(): Promise<void> {
    const end = this.#acked + this.#init.settings.windowSize;
    while (this.#next <= end && (this.#last === undefined || this.#next <= this.#last)) {
      if (this.#next <= this.#highestRead) this.#retransmissions++;
      await this.#send(await this.#packet(this.#next));
      this.#next++;
    }
  }

  /** The absolute block an ACK's 16-bit number refers to, if it is in the open window. */
  #absolute(wire: number): number | undefined {
    const block = this.#acked + ((wire - (this.#acked & 0xffff)) & 0xffff);
    return block < this.#next ? block : undefined;
  }

  async #sendData(): Promise<void> {
    let timeouts = 0;
    for (;;) {
      await this.#sendWindow();
      const deadline = performance.now() + this.#init.settings.timeoutMs;
      let advanced = false;
      while (!advanced) {
        const packet = await this.#inbox.next(deadline);
        if (packet === "aborted") return await this.#fail("server stopped");
        if (packet === "timeout") {
          if (++timeouts > this.#init.retries) {
            await this.#fail(
              `timed out: no acknowledgement of block ${this.#acked + 1} after ${
                this.#init.retries + 1
              } tries`,
            );
          }
          this.#next = this.#acked + 1;
          break;
        }
        if (packet.opcode !== Opcode.ACK) {
          await this.#unexpected(packet);
          continue;
        }
        const block = this.#absolute(packet.block);
        // a duplicate or stale ACK: ignored, however many arrive (no Sorcerer's Apprentice)
        if (block === undefined || block <= this.#acked) continue;
        for (let done = this.#acked + 1; done <= block; done++) this.#inFlight.delete(done);
        this.#acked = block;
        this.#started = true;
        if (block === this.#last) return;
        // an ACK inside the window means the client missed what followed: send again from there
        if (block < this.#next - 1) this.#next = block + 1;
        timeouts = 0;
        advanced = true;
      }
    }
  }
}
