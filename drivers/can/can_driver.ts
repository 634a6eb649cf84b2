/** `Can`: a python-can bus on the exporter, exported as upstream's BusABC methods. */
import { z } from "zod";
import {
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { InvalidArgumentError, MethodNotImplementedError } from "@jumpstarter/lib/wire";
import type { CanBus } from "./bus.ts";
import { type CanFilter, canInterface } from "./interface.ts";
import { type CanFrame, type CanMessage, fromMessage, toMessage } from "./message.ts";
import { openBus } from "./open_bus.ts";
import { matchesFilters } from "./filters.ts";

export const busConfigSchema = z.object({
  channel: z.union([z.string(), z.number().int()]).nullable().default(null),
  interface: z.string().nullable().default(null),
});

export const canConfigSchema = busConfigSchema.strict();
export type CanConfig = z.output<typeof canConfigSchema>;

/** python-can's BusState.ACTIVE: these backends have no error states. */
const ACTIVE = 1;
const CAN_20 = 1;
const CAN_FD = 2;

interface PeriodicTask {
  frames: CanFrame[];
  period: number;
  duration: number | null;
  timer: ReturnType<typeof setInterval> | undefined;
  stopAt: ReturnType<typeof setTimeout> | undefined;
}

export class Can extends Driver {
  readonly interface = canInterface;
  readonly config: CanConfig;
  /** The bus, opened at start and again after a session's end closed it. */
  #opening: Promise<CanBus> | undefined;
  #filters: CanFilter[] | null = null;
  readonly #tasks = new Map<string, PeriodicTask>();

  constructor(config: z.input<typeof canConfigSchema>, options: DriverOptions = {}) {
    super(options);
    this.config = canConfigSchema.parse(config);
    void this.#bus;
  }

  get #bus(): Promise<CanBus> {
    if (this.#opening === undefined) {
      this.#opening = openBus(this.config.interface, this.config.channel);
      this.#opening.catch((error) => this.logger.warning((error as Error).message));
    }
    return this.#opening;
  }

  /** The open bus (its backend's error when it could not open). */
  bus(): Promise<CanBus> {
    return this.#bus;
  }

  /** The next frame passing the filters, within `timeout` seconds (null: no limit). */
  async recvInternal(timeout: number | null): Promise<[CanMessage | null, boolean]> {
    const bus = await this.#bus;
    const deadline = timeout === null ? Infinity : Date.now() + timeout * 1000;
    for (;;) {
      const left = deadline - Date.now();
      const frame = await bus.recv(left === Infinity ? null : Math.max(0, left));
      if (frame === undefined) return [null, true];
      if (matchesFilters(frame, this.#filters)) return [toMessage(frame), true];
    }
  }

  async send(message: CanMessage, _timeout?: number | null): Promise<void> {
    await (await this.#bus).send({ ...fromMessage(message), isRx: false });
  }

  async sendPeriodicInternal(
    messages: CanMessage | CanMessage[],
    period: number,
    duration: number | null = null,
    autostart = true,
  ): Promise<string> {
    await this.#bus;
    const frames = (Array.isArray(messages) ? messages : [messages]).map(fromMessage);
    const id = crypto.randomUUID();
    this.#tasks.set(id, { frames, period, duration, timer: undefined, stopAt: undefined });
    if (autostart) this.startTask(id);
    return id;
  }

  startTask(id: string): void {
    const task = this.#task(id);
    if (task.timer !== undefined) return;
    let next = 0;
    const tick = () => {
      const frame = task.frames[next++ % task.frames.length]!;
      this.#bus.then((bus) => bus.send({ ...frame, timestamp: Date.now() / 1000 })).catch(
        (error) => {
          this.logger.warning(`Periodic task ${id} stopped: ${(error as Error).message}`);
          this.stopTask(id);
        },
      );
    };
    tick();
    task.timer = setInterval(tick, task.period * 1000);
    if (task.duration !== null) {
      task.stopAt = setTimeout(() => this.stopTask(id), task.duration * 1000);
    }
  }

  stopTask(id: string): void {
    const task = this.#task(id);
    clearInterval(task.timer);
    clearTimeout(task.stopAt);
    task.timer = undefined;
  }

  #task(id: string): PeriodicTask {
    const task = this.#tasks.get(id);
    if (task === undefined) throw new InvalidArgumentError(`No periodic task ${id}`);
    return task;
  }

  async state(value: number | null = null): Promise<number | null> {
    await this.#bus;
    if (value !== null) {
      throw new MethodNotImplementedError(
        `${(await this.#bus).channelInfo} cannot change its state`,
      );
    }
    return ACTIVE;
  }

  async protocol(): Promise<number> {
    return (await this.#bus).fd ? CAN_FD : CAN_20;
  }

  async channelInfo(): Promise<string> {
    return (await this.#bus).channelInfo;
  }

  applyFilters(filters: CanFilter[] | null): void {
    this.#filters = filters;
  }

  /** Frames are handed to the backend as they are sent: nothing waits in a buffer. */
  async flushTxBuffer(): Promise<void> {
    await this.#bus;
  }

  async shutdown(): Promise<void> {
    for (const id of this.#tasks.keys()) this.stopTask(id);
    this.#tasks.clear();
    (await this.#bus).close();
  }

  /** Session start: the bus is open (again), so frames sent from now on are heard. */
  override async reset(): Promise<void> {
    await this.#bus.catch(() => {});
  }

  /** Session end: stops the periodic tasks and closes the bus; the next session reopens it. */
  override async close(): Promise<void> {
    const opening = this.#opening;
    this.#opening = undefined;
    for (const id of this.#tasks.keys()) this.stopTask(id);
    this.#tasks.clear();
    this.#filters = null;
    (await opening?.catch(() => undefined))?.close();
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(canInterface, {
      "_recv_internal": (timeout: number | null) => this.recvInternal(timeout),
      send: (message: CanMessage, timeout?: number | null) => this.send(message, timeout),
      "_send_periodic_internal": (
        messages: CanMessage | CanMessage[],
        period: number,
        duration?: number | null,
        autostart?: boolean,
      ) => this.sendPeriodicInternal(messages, period, duration ?? null, autostart ?? true),
      "_start_task": (id: string) => this.startTask(id),
      "_stop_task": (id: string) => this.stopTask(id),
      state: (value?: number | null) => this.state(value ?? null),
      protocol: () => this.protocol(),
      "channel_info": () => this.channelInfo(),
      "_apply_filters": (filters: CanFilter[] | null) => this.applyFilters(filters),
      "flush_tx_buffer": () => this.flushTxBuffer(),
      shutdown: () => this.shutdown(),
    });
  }
}

export const canType = defineDriverType({
  name: "Can",
  aliases: ["jumpstarter_driver_can.driver.Can"],
  config: canConfigSchema,
  create: (config, options) => new Can(config, options),
});
