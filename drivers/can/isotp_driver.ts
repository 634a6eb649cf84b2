/**
 * `IsoTpPython` (an ISO-TP stack over a python-can bus, here over our bus backends) and
 * `IsoTpSocket` (Linux kernel ISO-TP sockets: not implemented; it says so, with the kernel's
 * reason where the kernel has none).
 */
import { z } from "zod";
import {
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import {
  DriverError,
  InvalidArgumentError,
  MethodNotImplementedError,
} from "@jumpstarter/lib/wire";
import { decodeBase64, encodeBase64 } from "./base64.ts";
import type { CanBus } from "./bus.ts";
import { busConfigSchema } from "./can_driver.ts";
import { isoTpInterface } from "./interface.ts";
import {
  type IsoTpAddress,
  isoTpAddressSchema,
  isoTpParamsSchema,
  normalIds,
} from "./isotp_params.ts";
import { type IsoTpIds, IsoTpStack } from "./isotp_stack.ts";
import { openBus } from "./open_bus.ts";
import { kernelIsoTpUnavailable } from "./socketcan_bus.ts";

export const isoTpPythonConfigSchema = busConfigSchema.extend({
  address: isoTpAddressSchema,
  params: isoTpParamsSchema.default(isoTpParamsSchema.parse({})),
  "read_timeout": z.number().positive().default(0.05),
}).strict();

export const isoTpSocketConfigSchema = z.object({
  channel: z.string().min(1),
  address: isoTpAddressSchema,
  params: isoTpParamsSchema.default(isoTpParamsSchema.parse({})),
}).strict();

type AddressArgument = IsoTpAddress | { "tx_addr": IsoTpAddress; "rx_addr": IsoTpAddress };

function idsOf(address: AddressArgument): IsoTpIds {
  try {
    if ("tx_addr" in address) {
      const tx = normalIds({ ...address.tx_addr, rxid: address.tx_addr.rxid ?? 0 });
      const rx = normalIds({ ...address.rx_addr, txid: address.rx_addr.txid ?? 0 });
      return { txid: tx.txid, rxid: rx.rxid, extended: tx.extended };
    }
    return normalIds(address);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

export class IsoTpPython extends Driver {
  readonly interface = isoTpInterface;
  readonly #config: z.output<typeof isoTpPythonConfigSchema>;
  #ids: IsoTpIds;
  /** Bus and stack, opened at start and again after a session's end closed them. */
  #opening: Promise<{ bus: CanBus; stack: IsoTpStack }> | undefined;

  constructor(config: z.input<typeof isoTpPythonConfigSchema>, options: DriverOptions = {}) {
    super(options);
    this.#config = isoTpPythonConfigSchema.parse(config);
    this.#ids = normalIds(this.#config.address);
    void this.#stack;
  }

  get #stack(): Promise<IsoTpStack> {
    if (this.#opening === undefined) {
      const { interface: name, channel, params } = this.#config;
      this.#opening = openBus(name, channel, params.can_fd).then((bus) => ({
        bus,
        stack: new IsoTpStack(bus, this.#ids, params),
      }));
      this.#opening.catch((error) => this.logger.warning((error as Error).message));
    }
    return this.#opening.then(({ stack }) => stack);
  }

  async start(): Promise<void> {
    (await this.#stack).start();
  }

  async stop(): Promise<void> {
    await (await this.#stack).stop();
  }

  async send(
    message: { data: string | null },
    _targetAddressType?: number | null,
    sendTimeout?: number | null,
  ): Promise<void> {
    const payload = message.data === null ? new Uint8Array() : decodeBase64(message.data);
    await (await this.#stack).send(payload, sendTimeout ?? null);
  }

  async recv(block = false, timeout: number | null = null): Promise<{ data: string | null }> {
    const payload = await (await this.#stack).recv(block, timeout);
    return { data: payload === null ? null : encodeBase64(payload) };
  }

  async available(): Promise<boolean> {
    return (await this.#stack).available();
  }

  async transmitting(): Promise<boolean> {
    return (await this.#stack).transmitting();
  }

  async setAddress(address: AddressArgument): Promise<void> {
    this.#ids = idsOf(address);
    (await this.#stack).setIds(this.#ids);
  }

  async stopSending(): Promise<void> {
    (await this.#stack).stopSending();
  }

  async stopReceiving(): Promise<void> {
    (await this.#stack).stopReceiving();
  }

  /** Session start: the bus is open (again), so frames sent from now on are heard. */
  override async reset(): Promise<void> {
    await this.#stack.catch(() => {});
  }

  /** Session end: stops the stack and closes its bus; the next session reopens them. */
  override async close(): Promise<void> {
    const opened = await this.#opening?.catch(() => undefined);
    this.#opening = undefined;
    await opened?.stack.stop();
    opened?.bus.close();
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(isoTpInterface, this);
  }
}

/** Kernel ISO-TP (CAN_ISOTP sockets): not implemented; `start` fails saying why. */
export class IsoTpSocket extends Driver {
  readonly interface = isoTpInterface;
  readonly channel: string;

  constructor(config: z.input<typeof isoTpSocketConfigSchema>, options: DriverOptions = {}) {
    super(options);
    this.channel = isoTpSocketConfigSchema.parse(config).channel;
  }

  start(): never {
    const why = kernelIsoTpUnavailable() ??
      "kernel ISO-TP sockets are not implemented by this exporter";
    throw new DriverError(
      `Cannot open a kernel ISO-TP socket on ${this.channel}: ${why}; use IsoTpPython`,
    );
  }

  stop(): void {}

  send(): never {
    throw new DriverError("ISO-TP socket is not started");
  }

  recv(): never {
    throw new DriverError("ISO-TP socket is not started");
  }

  available(): never {
    throw new MethodNotImplementedError("IsoTpSocket has no available()");
  }

  transmitting(): never {
    throw new MethodNotImplementedError("IsoTpSocket has no transmitting()");
  }

  setAddress(): never {
    throw new MethodNotImplementedError("IsoTpSocket has no set_address()");
  }

  stopSending(): never {
    throw new MethodNotImplementedError("IsoTpSocket has no stop_sending()");
  }

  stopReceiving(): never {
    throw new MethodNotImplementedError("IsoTpSocket has no stop_receiving()");
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(isoTpInterface, this);
  }
}

export const isoTpPythonType = defineDriverType({
  name: "IsoTpPython",
  aliases: ["jumpstarter_driver_can.driver.IsoTpPython"],
  config: isoTpPythonConfigSchema,
  create: (config, options) => new IsoTpPython(config, options),
});

export const isoTpSocketType = defineDriverType({
  name: "IsoTpSocket",
  aliases: ["jumpstarter_driver_can.driver.IsoTpSocket"],
  config: isoTpSocketConfigSchema,
  create: (config, options) => new IsoTpSocket(config, options),
});
