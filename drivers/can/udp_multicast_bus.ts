/**
 * python-can's `udp_multicast` interface, wire-compatible with it: each frame is one UDP datagram
 * to the multicast group (the channel; python-can's IPv4 default 239.74.163.2, port 43113, TTL 1)
 * holding a msgpack map of the frame's fields, `data` as bin. Like python-can, a bus does not hear
 * its own frames. IPv4 groups only.
 */
import { decode, encode } from "@msgpack/msgpack";
import { ConnectionError } from "@jumpstarter/lib/wire";
import type { CanFrame } from "./message.ts";
import { QueuedBus } from "./bus.ts";

export const DEFAULT_GROUP_IPV4 = "239.74.163.2";
export const DEFAULT_PORT = 43113;

interface PackedFrame {
  timestamp?: number;
  "arbitration_id": number;
  "is_extended_id"?: boolean;
  "is_remote_frame"?: boolean;
  "is_error_frame"?: boolean;
  channel?: string | number | null;
  dlc?: number;
  data?: Uint8Array;
  "is_fd"?: boolean;
  "bitrate_switch"?: boolean;
  "error_state_indicator"?: boolean;
}

/** One frame as python-can's `pack_message` packs it. */
export function packFrame(frame: CanFrame): Uint8Array {
  return encode({
    timestamp: frame.timestamp,
    "arbitration_id": frame.arbitrationId,
    "is_extended_id": frame.isExtendedId,
    "is_remote_frame": frame.isRemoteFrame,
    "is_error_frame": frame.isErrorFrame,
    channel: frame.channel,
    dlc: frame.dlc,
    data: frame.data,
    "is_fd": frame.isFd,
    "bitrate_switch": frame.bitrateSwitch,
    "error_state_indicator": frame.errorStateIndicator,
  }, { forceFloat32: false });
}

/** A datagram from python-can, or undefined when it is not one. */
export function unpackFrame(datagram: Uint8Array): CanFrame | undefined {
  let fields: PackedFrame;
  try {
    fields = decode(datagram) as PackedFrame;
  } catch {
    return undefined;
  }
  if (typeof fields !== "object" || fields === null) return undefined;
  if (typeof fields.arbitration_id !== "number") return undefined;
  const data = fields.data instanceof Uint8Array ? new Uint8Array(fields.data) : new Uint8Array();
  return {
    // python-can replaces the sender's timestamp by the time the datagram arrived
    timestamp: Date.now() / 1000,
    arbitrationId: fields.arbitration_id,
    isExtendedId: fields.is_extended_id ?? true,
    isRemoteFrame: fields.is_remote_frame ?? false,
    isErrorFrame: fields.is_error_frame ?? false,
    channel: fields.channel ?? null,
    dlc: fields.dlc ?? data.length,
    data,
    isFd: fields.is_fd ?? false,
    isRx: true,
    bitrateSwitch: fields.bitrate_switch ?? false,
    errorStateIndicator: fields.error_state_indicator ?? false,
  };
}

export class UdpMulticastBus extends QueuedBus {
  readonly group: string;
  readonly port: number;
  readonly channelInfo: string;
  readonly #socket: Deno.DatagramConn;
  /** Datagrams we sent and have not yet heard back (multicast loopback), to drop them. */
  readonly #echoes = new Map<string, number>();

  private constructor(group: string, port: number, socket: Deno.DatagramConn, fd: boolean) {
    super(fd);
    this.group = group;
    this.port = port;
    this.channelInfo = `UDP multicast group ${group} port ${port}`;
    this.#socket = socket;
    void this.#receive();
  }

  /** Joins `group` on `port`; fails in one line naming them when the host cannot. */
  static async open(
    channel: string | number | null,
    port = DEFAULT_PORT,
    fd = false,
  ): Promise<UdpMulticastBus> {
    const group = channel === null ? DEFAULT_GROUP_IPV4 : String(channel);
    const where = `UDP multicast group ${group} port ${port}`;
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(group)) {
      throw new ConnectionError(`Cannot open ${where}: only IPv4 multicast groups are supported`);
    }
    let socket: Deno.DatagramConn | undefined;
    try {
      socket = Deno.listenDatagram({
        transport: "udp",
        hostname: "0.0.0.0",
        port,
        reuseAddress: true,
      });
      const join = (socket as { joinMulticastV4?: Deno.DatagramConn["joinMulticastV4"] })
        .joinMulticastV4;
      if (join === undefined) {
        throw new Error("multicast needs Deno's unstable net APIs (--unstable-net)");
      }
      const membership = await join.call(socket, group, "0.0.0.0");
      await membership.setLoopback(true);
      await membership.setTTL(1);
    } catch (error) {
      socket?.close();
      throw new ConnectionError(`Cannot open ${where}: ${(error as Error).message}`);
    }
    return new UdpMulticastBus(group, port, socket, fd);
  }

  protected async transmit(frame: CanFrame): Promise<void> {
    const datagram = packFrame(frame);
    const key = hex(datagram);
    this.#echoes.set(key, (this.#echoes.get(key) ?? 0) + 1);
    try {
      await this.#socket.send(datagram, {
        transport: "udp",
        hostname: this.group,
        port: this.port,
      });
    } catch (error) {
      throw new ConnectionError(`Cannot send on ${this.channelInfo}: ${(error as Error).message}`);
    }
  }

  async #receive(): Promise<void> {
    try {
      for (;;) {
        const [datagram] = await this.#socket.receive();
        const key = hex(datagram);
        const echoes = this.#echoes.get(key);
        if (echoes !== undefined) {
          if (echoes <= 1) this.#echoes.delete(key);
          else this.#echoes.set(key, echoes - 1);
          continue;
        }
        const frame = unpackFrame(datagram);
        if (frame !== undefined) this.deliver(frame);
      }
    } catch {
      // the socket was closed: the bus is shut down
      this.close();
    }
  }

  protected release(): void {
    try {
      this.#socket.close();
    } catch { /* already closed */ }
  }
}

function hex(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += byte.toString(16).padStart(2, "0");
  return text;
}
