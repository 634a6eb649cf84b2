/**
 * NVDemuxSerial (upstream `jumpstarter_driver_pyserial.nvdemux.driver.NVDemuxSerial`): one
 * demultiplexed UART of an NVIDIA Tegra's combined USB serial (TCU), as a PySerial-compatible
 * `connect` stream. Several drivers (one per target: `CCPLEX: 0`, `BPMP: 1`...) share one
 * demuxer process, which runs while a session is open (upstream: from the driver's creation).
 */
import { z } from "zod";
import {
  byteStream,
  defineDriverType,
  defineInterface,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import type { ByteStream } from "@jumpstarter/lib/streams";
import { ConnectionError, DriverError, DriverTimeoutError } from "@jumpstarter/lib/wire";
import { Demuxer, type DemuxerConfig } from "./demuxer.ts";
import { writeThrottled } from "./throttle.ts";
import { TtyPort } from "./tty_port.ts";

/** Upstream's default: the TCU interface of any Tegra On-Platform Operator. */
export const NV_DEVICE_PATTERN = "/dev/serial/by-id/usb-NVIDIA_Tegra_On-Platform_Operator_*-if01";
const PTS_POLL_MS = 100;

/** Only `connect`, as upstream's NVDemuxSerial; its client is the PySerial client. */
export const nvdemuxInterface = defineInterface({
  client: "jumpstarter_driver_pyserial.client.PySerialClient",
  description: "Serial port",
  methods: {
    connect: byteStream({ description: "Connect to the demultiplexed serial port" }),
  },
});

export const nvdemuxConfigSchema = z.object({
  "demuxer_path": z.string().min(1),
  device: z.string().min(1).default(NV_DEVICE_PATTERN),
  target: z.string().min(1).default("CCPLEX: 0"),
  chip: z.string().min(1).default("T264"),
  baudrate: z.number().int().positive().default(115200),
  cps: z.number().nullable().optional(),
  timeout: z.number().positive().default(10),
  "poll_interval": z.number().positive().default(1),
}).strict();

export type NVDemuxConfig = z.output<typeof nvdemuxConfigSchema>;

/** The demuxer shared by this process's drivers, and which targets use it. */
let shared: { demuxer: Demuxer; targets: Set<string> } | undefined;

function sameConfig(a: DemuxerConfig, b: DemuxerConfig): string | undefined {
  if (a.demuxerPath !== b.demuxerPath) {
    return `demuxer_path ${b.demuxerPath} (in use: ${a.demuxerPath})`;
  }
  if (a.device !== b.device) return `device ${b.device} (in use: ${a.device})`;
  if (a.chip !== b.chip) return `chip ${b.chip} (in use: ${a.chip})`;
  return undefined;
}

export class NVDemuxSerial extends Driver {
  readonly interface = nvdemuxInterface;
  readonly config: NVDemuxConfig;
  #registered = false;

  constructor(config: NVDemuxConfig, options: DriverOptions = {}) {
    super(options);
    this.config = config;
  }

  get #demuxerConfig(): DemuxerConfig {
    return {
      demuxerPath: this.config.demuxer_path,
      device: this.config.device,
      chip: this.config.chip,
      pollInterval: this.config.poll_interval,
    };
  }

  /** Joins (or starts) the shared demuxer. */
  override reset(): void {
    if (this.#registered) return;
    const wanted = this.#demuxerConfig;
    if (shared) {
      const mismatch = sameConfig(shared.demuxer.config, wanted);
      if (mismatch) {
        throw new DriverError(`NVDemuxSerial: all drivers must share one demuxer: ${mismatch}`);
      }
      if (shared.targets.has(this.config.target)) {
        throw new DriverError(
          `NVDemuxSerial: target "${this.config.target}" is already used by another driver`,
        );
      }
    } else {
      shared = { demuxer: new Demuxer(wanted, this.logger), targets: new Set() };
      shared.demuxer.start();
    }
    shared.targets.add(this.config.target);
    this.#registered = true;
  }

  /** Leaves the shared demuxer; the last driver to leave stops it. */
  override async close(): Promise<void> {
    if (!this.#registered || !shared) return;
    this.#registered = false;
    shared.targets.delete(this.config.target);
    if (shared.targets.size > 0) return;
    const { demuxer } = shared;
    shared = undefined;
    await demuxer.stop();
  }

  async #ptsPath(): Promise<string> {
    const deadline = performance.now() + this.config.timeout * 1000;
    for (;;) {
      const path = this.#registered ? shared?.demuxer.ptsPath(this.config.target) : undefined;
      if (path) return path;
      if (performance.now() >= deadline) {
        throw new DriverTimeoutError(
          `Timeout waiting for demuxer to become ready (device pattern: ${this.config.device})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, PTS_POLL_MS));
    }
  }

  /**
   * Opens the target's UART. Closing the client's sending side leaves the output flowing, as on
   * PySerial; cancelling the reading side closes the port.
   */
  async connect(): Promise<ByteStream> {
    const path = await this.#ptsPath();
    this.logger.info(
      `Connecting to ${this.config.target} at ${path}, baudrate: ${this.config.baudrate}`,
    );
    let port: TtyPort;
    try {
      port = await TtyPort.open(path, this.config.baudrate);
    } catch (error) {
      throw new ConnectionError(`Cannot open ${this.config.target} at ${path}: ${error}`, {
        cause: error,
      });
    }
    const cps = this.config.cps != null && this.config.cps > 0 ? this.config.cps : undefined;
    const readable = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const chunk = await port.read();
          if (chunk === null) controller.close();
          else controller.enqueue(chunk);
        } catch (error) {
          controller.error(new ConnectionError(`${this.config.target} at ${path}: ${error}`));
          await port.close();
        }
      },
      cancel: () => port.close(),
    }, { highWaterMark: 0 });
    const writable = new WritableStream<Uint8Array>({
      write: (chunk) => cps === undefined ? port.write(chunk) : writeThrottled(port, chunk, cps),
      abort: () => port.close(),
    });
    return { readable, writable };
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(nvdemuxInterface, this);
  }
}

export const nvdemuxSerialType = defineDriverType({
  name: "NVDemuxSerial",
  aliases: ["jumpstarter_driver_pyserial.nvdemux.driver.NVDemuxSerial"],
  config: nvdemuxConfigSchema,
  create: (config, options) => new NVDemuxSerial(config, options),
});
