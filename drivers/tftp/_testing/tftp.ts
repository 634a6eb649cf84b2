/**
 * Test helpers: temporary roots, a raw TFTP client that speaks packet by packet, and running the
 * real Debian clients (tftp-hpa `tftp`, `atftp`, `curl`).
 */
import { Inbox } from "../inbox.ts";
import { decodePacket, encodeAck, encodeRequest, Opcode, type Packet } from "../packet.ts";
import { TftpServer, type TftpServerOptions } from "../server.ts";
import { bindUdp, type Peer, type UdpSocket } from "../udp.ts";

/** A temporary directory removed on dispose. */
export interface TempDir extends AsyncDisposable {
  readonly path: string;
}

export async function tempDir(prefix = "jmp-tftp-"): Promise<TempDir> {
  const path = await Deno.realPath(await Deno.makeTempDir({ prefix }));
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }).catch(() => {}),
  };
}

/** Deterministic pseudo-random bytes (xorshift), so failures are reproducible. */
export function patternBytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A TftpServer on 127.0.0.1 and a free port, closed on dispose. */
export async function startServer(
  root: string,
  options: Partial<TftpServerOptions> = {},
): Promise<TftpServer & AsyncDisposable> {
  const server = await TftpServer.start({ root, hostname: "127.0.0.1", port: 0, ...options });
  return Object.assign(server, { [Symbol.asyncDispose]: () => server.close() });
}

/** A packet and where it came from. */
export interface Received {
  packet: Packet;
  from: Peer;
}

/** A client socket driven packet by packet. */
export class RawClient implements AsyncDisposable {
  readonly #inbox = new Inbox<Received>();
  #socket!: UdpSocket;

  static async open(): Promise<RawClient> {
    const client = new RawClient();
    client.#socket = await bindUdp({
      hostname: "127.0.0.1",
      port: 0,
      backend: "node",
      onMessage: (data, from) => client.#inbox.push({ packet: decodePacket(data), from }),
    });
    return client;
  }

  get port(): number {
    return this.#socket.local.port;
  }

  send(data: Uint8Array, to: Peer): Promise<void> {
    return this.#socket.send(data, to);
  }

  /** Sends a read request to the server's port. */
  read(
    server: Peer,
    filename: string,
    options: Record<string, string | number> = {},
    mode = "octet",
  ) {
    return this.send(encodeRequest(Opcode.RRQ, filename, mode, options), server);
  }

  ack(block: number, to: Peer): Promise<void> {
    return this.send(encodeAck(block), to);
  }

  /** The next packet; fails the test when none comes within `timeoutMs`. */
  async next(timeoutMs = 3000): Promise<Received> {
    const item = await this.#inbox.next(performance.now() + timeoutMs);
    if (item === "timeout" || item === "aborted") {
      throw new Error(`no packet within ${timeoutMs} ms`);
    }
    return item;
  }

  /** Resolves to "timeout" when nothing arrives within `ms`, else to the packet. */
  async quiet(ms: number): Promise<Received | "timeout"> {
    const item = await this.#inbox.next(performance.now() + ms);
    return item === "aborted" ? "timeout" : item;
  }

  /** Reads a whole file lock-step or by windows, acking the last block of each window. */
  async fetch(
    server: Peer,
    filename: string,
    options: Record<string, string | number> = {},
    mode = "octet",
  ): Promise<{ data: Uint8Array; oack: Map<string, string> | undefined; tid: Peer }> {
    await this.read(server, filename, options, mode);
    let first = await this.next();
    let oack: Map<string, string> | undefined;
    if (first.packet.opcode === Opcode.OACK) {
      oack = first.packet.options;
      await this.ack(0, first.from);
      first = await this.next();
    }
    const tid = first.from;
    const blockSize = Number(oack?.get("blksize") ?? 512);
    const window = Number(oack?.get("windowsize") ?? 1);
    const chunks: Uint8Array[] = [];
    let expected = 1;
    let item = first;
    let inWindow = 0;
    for (;;) {
      const { packet } = item;
      if (packet.opcode !== Opcode.DATA) {
        throw new Error(`expected DATA ${expected}, got ${JSON.stringify(packet)}`);
      }
      if (packet.block !== (expected & 0xffff)) throw new Error(`got block ${packet.block}`);
      chunks.push(packet.data.slice());
      const final = packet.data.length < blockSize;
      if (++inWindow === window || final) {
        await this.ack(expected, tid);
        inWindow = 0;
      }
      if (final) break;
      expected++;
      item = await this.next();
    }
    const size = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const data = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      data.set(chunk, at);
      at += chunk.length;
    }
    return { data, oack, tid };
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.#inbox.abort();
    this.#socket.close();
    return Promise.resolve();
  }
}

/** Output of a finished command. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (killed after `timeoutMs`). */
export async function run(command: string, args: string[], timeoutMs = 120_000): Promise<Ran> {
  const child = new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    const output = await child.output();
    const text = new TextDecoder();
    return {
      code: output.code,
      stdout: text.decode(output.stdout),
      stderr: text.decode(output.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Whether two files hold the same bytes (compared with `cmp`, as a user would). */
export async function sameFile(a: string, b: string): Promise<boolean> {
  return (await run("cmp", ["--silent", a, b])).code === 0;
}

/** tftp-hpa: `tftp -v -m binary 127.0.0.1 PORT -c get REMOTE LOCAL`. */
export function tftpHpaGet(port: number, remote: string, local: string): Promise<Ran> {
  return run("tftp", ["-v", "-m", "binary", "127.0.0.1", String(port), "-c", "get", remote, local]);
}

/** atftp with options such as `blksize 1428` (each becomes an `--option`). */
export function atftpGet(
  port: number,
  remote: string,
  local: string,
  options: string[] = [],
  extra: string[] = [],
): Promise<Ran> {
  return run("atftp", [
    ...options.flatMap((option) => ["--option", option]),
    ...extra,
    "--get",
    "-r",
    remote,
    "-l",
    local,
    "127.0.0.1",
    String(port),
  ]);
}

/** curl `tftp://`, optionally with `--tftp-blksize`. */
export function curlGet(
  port: number,
  remote: string,
  local: string,
  blksize?: number,
): Promise<Ran> {
  return run("curl", [
    "--silent",
    "--show-error",
    ...(blksize ? ["--tftp-blksize", String(blksize)] : []),
    "-o",
    local,
    `tftp://127.0.0.1:${port}/${remote}`,
  ]);
}

/** Collects server log lines and lets a test await one. */
export class LogWatch {
  readonly lines: string[] = [];
  readonly #waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  readonly debug = (message: string) => this.#add(message);
  readonly info = (message: string) => this.#add(message);
  readonly warning = (message: string) => this.#add(message);

  #add(line: string): void {
    this.lines.push(line);
    for (const waiter of [...this.#waiters]) {
      if (!waiter.pattern.test(line)) continue;
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  }

  /** The first line (past or future) matching `pattern`. */
  waitFor(pattern: RegExp): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ pattern, resolve }));
  }
}

/** Names in a directory. */
export async function entries(path: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(path))).map((entry) => entry.name);
}
