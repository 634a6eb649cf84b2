/**
 * python-can's `virtual` interface: buses opened on the same channel name in this process hear
 * each other's frames (not their own).
 */
import { type CanFrame } from "./message.ts";
import { QueuedBus } from "./bus.ts";

const channels = new Map<string, Set<VirtualBus>>();

export class VirtualBus extends QueuedBus {
  readonly channel: string;
  readonly channelInfo: string;

  constructor(channel: string | number | null, fd = false) {
    super(fd);
    this.channel = String(channel ?? "channel-0");
    this.channelInfo = `Virtual bus channel ${this.channel}`;
    const peers = channels.get(this.channel) ?? new Set();
    peers.add(this);
    channels.set(this.channel, peers);
  }

  protected transmit(frame: CanFrame): Promise<void> {
    for (const peer of channels.get(this.channel) ?? []) {
      if (peer !== this) peer.deliver({ ...frame, isRx: true, timestamp: Date.now() / 1000 });
    }
    return Promise.resolve();
  }

  protected release(): void {
    const peers = channels.get(this.channel);
    peers?.delete(this);
    if (peers?.size === 0) channels.delete(this.channel);
  }
}
