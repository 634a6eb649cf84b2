import { defaultClientRegistry, DriverClient } from "@jumpstarter/lib/client";
import { powerInterface, virtualPowerInterface } from "./interface.ts";
import { type PowerReading, powerReadingSchema } from "./types.ts";

/** Options of {@linkcode PowerClient.cycle}. */
export interface CycleOptions {
  /** Seconds between off and on (default 2). */
  wait?: number;
  signal?: AbortSignal;
}

/** Client of any PowerInterface driver. */
export class PowerClient extends DriverClient {
  async on(): Promise<void> {
    await this.call("on");
  }

  async off(): Promise<void> {
    await this.call("off");
  }

  /** Switches off, waits, switches on (done client-side, as upstream). */
  async cycle(options: CycleOptions = {}): Promise<void> {
    await this.off();
    // an abort while off was in flight must not be missed (the listener below comes too late)
    options.signal?.throwIfAborted();
    const seconds = options.wait ?? 2;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, seconds * 1000);
      options.signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(options.signal?.reason);
      }, { once: true });
    });
    await this.on();
  }

  /** Recovers a board stuck in a bad power state (only some drivers implement it). */
  async rescue(): Promise<void> {
    await this.call("rescue");
  }

  /** Streams readings, validated. */
  async *read(): AsyncGenerator<PowerReading> {
    for await (const item of this.streamingCall("read")) yield powerReadingSchema.parse(item);
  }
}

/** Client of a virtual power driver; `off({destroy})` may discard the target's state. */
export class VirtualPowerClient extends PowerClient {
  override async off(options: { destroy?: boolean } = {}): Promise<void> {
    await this.call("off", options.destroy ?? false);
  }
}

defaultClientRegistry
  .register(PowerClient, powerInterface.client)
  .register(VirtualPowerClient, virtualPowerInterface.client);
