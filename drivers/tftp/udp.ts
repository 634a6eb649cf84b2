/**
 * UDP sockets for the TFTP server. `Deno.listenDatagram` is used when the runtime exposes it
 * (it needs `--unstable-net`); otherwise `node:dgram`, which needs no flag. Both deliver
 * datagrams to a callback, so the protocol code is the same on either.
 */
import dgram from "node:dgram";

/** One end of a UDP exchange. */
export interface Peer {
  address: string;
  port: number;
}

/** A bound UDP socket. */
export interface UdpSocket {
  /** The bound address (the real port when bound to port 0). */
  readonly local: Peer;
  send(data: Uint8Array, to: Peer): Promise<void>;
  close(): void;
}

/** Which socket implementation to use. */
export type UdpBackend = "deno" | "node";

/** Options of {@linkcode bindUdp}. */
export interface BindOptions {
  hostname: string;
  port: number;
  /** Called for every datagram; `data` is the caller's to keep. */
  onMessage(data: Uint8Array, from: Peer): void;
  backend?: UdpBackend;
}

type ListenDatagram = (options: {
  transport: "udp";
  hostname: string;
  port: number;
}) => Deno.DatagramConn;

function listenDatagram(): ListenDatagram | undefined {
  const candidate = (Deno as unknown as { listenDatagram?: ListenDatagram }).listenDatagram;
  return typeof candidate === "function" ? candidate : undefined;
}

/** `deno` when `Deno.listenDatagram` is available (`--unstable-net`), else `node`. */
export function defaultBackend(): UdpBackend {
  return listenDatagram() ? "deno" : "node";
}

/** Largest UDP payload; a receive buffer this size never truncates. */
const MAX_DATAGRAM = 65536;

function bindDeno(listen: ListenDatagram, options: BindOptions): UdpSocket {
  const conn = listen({ transport: "udp", hostname: options.hostname, port: options.port });
  const addr = conn.addr as Deno.NetAddr;
  let closed = false;
  (async () => {
    const buffer = new Uint8Array(MAX_DATAGRAM);
    while (!closed) {
      let received: [Uint8Array, Deno.Addr];
      try {
        received = await conn.receive(buffer);
      } catch {
        if (closed) return;
        // a transient error (e.g. an ICMP report): keep serving, without spinning on it
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      const [data, from] = received;
      const peer = from as Deno.NetAddr;
      options.onMessage(data.slice(), { address: peer.hostname, port: peer.port });
    }
  })();
  return {
    local: { address: addr.hostname, port: addr.port },
    async send(data, to) {
      await conn.send(data, { transport: "udp", hostname: to.address, port: to.port });
    },
    close() {
      if (closed) return;
      closed = true;
      conn.close();
    },
  };
}

async function bindNode(options: BindOptions): Promise<UdpSocket> {
  const socket = dgram.createSocket(options.hostname.includes(":") ? "udp6" : "udp4");
  let closed = false;
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind({ address: options.hostname, port: options.port, exclusive: true }, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  // send failures are reported through send()'s callback; errors here must not crash the process
  socket.on("error", () => {});
  socket.on("message", (message, info) => {
    const data = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
    options.onMessage(data, { address: info.address, port: info.port });
  });
  const bound = socket.address();
  return {
    local: { address: bound.address, port: bound.port },
    send(data, to) {
      return new Promise<void>((resolve, reject) => {
        socket.send(data, to.port, to.address, (error) => error ? reject(error) : resolve());
      });
    },
    close() {
      if (closed) return;
      closed = true;
      socket.close();
    },
  };
}

/**
 * Binds a UDP socket.
 *
 * @throws the runtime's error when the address is in use or not permitted (e.g. port 69 as a
 * normal user).
 */
export async function bindUdp(options: BindOptions): Promise<UdpSocket> {
  const backend = options.backend ?? defaultBackend();
  if (backend === "node") return await bindNode(options);
  const listen = listenDatagram();
  if (!listen) {
    throw new TypeError("UDP backend 'deno' needs Deno.listenDatagram: run with --unstable-net");
  }
  return bindDeno(listen, options);
}
