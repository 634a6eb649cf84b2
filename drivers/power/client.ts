import { type CallOptions, DriverClient } from "@jumpstarter/lib/client";
import { powerInterface, rescuePowerInterface, virtualPowerInterface } from "./interface.ts";
import { type PowerReading, powerReadingSchema } from "./types.ts";

/**
 * Options of {@linkcode PowerClient.cycle}: `signal` aborts the whole cycle (the wait included),
 * `timeoutMs` bounds each of its two calls.
 */
export interface CycleOptions extends CallOptions {
  /** Seconds between off and on (default 2). */
  wait?: number;
}

/** A client that switches something on and off (a power client, a GPIO output...). */
export interface Switchable {
  on(options?: CallOptions): Promise<void>;
  off(options?: CallOptions): Promise<void>;
}

/** Switches `target` off, waits, switches it on: a power cycle, done client-side as upstream. */
export async function powerCycle(target: Switchable, options: CycleOptions = {}): Promise<void> {
  const { wait: seconds = 2, ...callOptions } = options;
  await target.off(callOptions);
  // an abort while off was in flight must not be missed (the listener below comes too late)
  options.signal?.throwIfAborted();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, seconds * 1000);
    options.signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(options.signal?.reason);
    }, { once: true });
  });
  await target.on(callOptions);
}

/** Client of any PowerInterface driver. */
export class PowerClient extends DriverClient {
  async on(options: CallOptions = {}): Promise<void> {
    await this.invoke(powerInterface.methods.on, [], options);
  }

  async off(options: CallOptions = {}): Promise<void> {
    await this.invoke(powerInterface.methods.off, [], options);
  }

  /** Puts the device in rescue mode (only drivers that have one export it: DUT Link's power). */
  async rescue(options: CallOptions = {}): Promise<void> {
    await this.invoke(rescuePowerInterface.methods.rescue, [], options);
  }

  /** Switches off, waits, switches on (done client-side, as upstream). */
  cycle(options: CycleOptions = {}): Promise<void> {
    return powerCycle(this, options);
  }

  /** Streams readings, validated. */
  async *read(options: CallOptions = {}): AsyncGenerator<PowerReading> {
    const items = this.invokeStreaming(powerInterface.methods.read, [], options);
    for await (const item of items) yield powerReadingSchema.parse(item);
  }
}

/** Client of a virtual power driver; `off({destroy})` may discard the target's state. */
export class VirtualPowerClient extends PowerClient {
  override async off(options: { destroy?: boolean } & CallOptions = {}): Promise<void> {
    const { destroy = false, ...callOptions } = options;
    await this.invoke(virtualPowerInterface.methods.off, [destroy], callOptions);
  }
}
