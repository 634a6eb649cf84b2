/**
 * The `flasher` child: images in and out of the VM's partitions (root disk, bios, OVMF code and
 * variables), kept in the instance directory. Flashing is refused while the VM runs.
 */
import {
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { flasherInterface } from "./interface.ts";
import { partitionName, type QemuMachine } from "./machine.ts";

export class QemuFlasher extends Driver {
  readonly interface = flasherInterface;
  readonly #machine: QemuMachine;

  constructor(machine: QemuMachine, options: DriverOptions = {}) {
    super(options);
    this.#machine = machine;
  }

  /** Writes the resource's bytes (decoded) to `target` (`root` when null). */
  async flash(handle: unknown, target: string | null | undefined): Promise<void> {
    partitionName(target);
    await using resource = this.openResource(handle);
    await this.#machine.flash(target, resource.readable);
  }

  /** Sends `target`'s bytes (`root` when null) to the resource. */
  async dump(handle: unknown, target: string | null | undefined): Promise<void> {
    partitionName(target);
    await using resource = this.openResource(handle);
    await this.#machine.dump(target, resource.writable);
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(flasherInterface, this);
  }
}
