/**
 * The `power` child: on starts QEMU, off stops it (QMP first, signals last), off(destroy) also
 * discards the flashed partitions.
 */
import {
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { virtualPowerInterface } from "@jumpstarter/driver-power";
import { MethodNotImplementedError } from "@jumpstarter/lib/wire";
import type { QemuMachine } from "./machine.ts";

export class QemuPower extends Driver {
  readonly interface = virtualPowerInterface;
  readonly #machine: QemuMachine;

  constructor(machine: QemuMachine, options: DriverOptions = {}) {
    super(options);
    this.#machine = machine;
  }

  on(): Promise<void> {
    return this.#machine.on();
  }

  off(destroy = false): Promise<void> {
    return this.#machine.off(destroy);
  }

  // deno-lint-ignore require-yield
  async *read(): AsyncGenerator<never> {
    throw new MethodNotImplementedError("QEMU has no power readings");
  }

  /** The session is over: nothing may keep running. */
  override async close(): Promise<void> {
    await this.#machine.off();
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(virtualPowerInterface, this);
  }
}
