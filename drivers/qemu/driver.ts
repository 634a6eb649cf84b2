/**
 * Exporter side: the Qemu composite (upstream `jumpstarter_driver_qemu.driver.Qemu`), a virtual
 * DUT with children `power`, `console`, `flasher`, `vnc` and one network child per `hostfwd`
 * entry.
 */
import {
  claimRuntimeDir,
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { TcpNetwork, UdpNetwork, UnixNetwork } from "@jumpstarter/driver-network/driver";
import { InvalidArgumentError } from "@jumpstarter/lib/wire";
import {
  forwardedEndpoint,
  IGNORED_KEYS,
  isSize,
  type QemuConfig,
  qemuConfigSchema,
} from "./config.ts";
import { QemuConsole } from "./console.ts";
import { QemuFlasher } from "./flasher.ts";
import { qemuInterface } from "./interface.ts";
import { QemuMachine } from "./machine.ts";
import { QemuPower } from "./power.ts";

export class Qemu extends Driver {
  readonly interface = qemuInterface;
  readonly config: QemuConfig;
  readonly machine: QemuMachine;
  readonly power: QemuPower;
  readonly console: QemuConsole;
  readonly flasher: QemuFlasher;

  constructor(config: QemuConfig, options: DriverOptions = {}) {
    super(options);
    this.config = config;
    this.console = new QemuConsole();
    const dir = claimRuntimeDir(options.runtimeDir, "jumpstarter-qemu-");
    this.machine = new QemuMachine(config, { console: this.console, logger: this.logger, dir });
    this.power = new QemuPower(this.machine);
    this.flasher = new QemuFlasher(this.machine);
    this.addChild("power", this.power);
    this.addChild("console", this.console);
    this.addChild("flasher", this.flasher);
    this.addChild("vnc", new UnixNetwork({ path: this.machine.paths.vnc }));
    for (const [name, rule] of Object.entries(config.hostfwd)) {
      const endpoint = forwardedEndpoint(rule);
      this.addChild(
        name,
        rule.protocol === "udp" ? new UdpNetwork(endpoint) : new TcpNetwork(endpoint),
      );
    }
  }

  /** Stops QEMU and removes its runtime directory. */
  override async close(): Promise<void> {
    await this.machine.close();
  }

  /** Hostname given to the guest by cloud-init. */
  getHostname(): string {
    return this.config.hostname;
  }

  /** User created in the guest by cloud-init. */
  getUsername(): string {
    return this.config.username;
  }

  /** That user's password. */
  getPassword(): string {
    return this.config.password;
  }

  /** The root disk is grown to `size` (e.g. `20G`) at the next power on, as upstream. */
  setDiskSize(size: string): void {
    this.machine.config.disk_size = checkedSize(size);
    this.logger.info(`Disk will be resized to ${size} on next power on`);
  }

  /** The guest gets `size` of memory (e.g. `2G`) from the next power on, as upstream. */
  setMemorySize(size: string): void {
    this.machine.config.mem = checkedSize(size);
    this.logger.info(`Memory will be set to ${size} on next power on`);
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(qemuInterface, this);
  }
}

/** `size` trimmed, or upstream's error (its ValueError, hence INVALID_ARGUMENT). */
function checkedSize(size: string): string {
  if (!isSize(size)) {
    throw new InvalidArgumentError(`Invalid size: '${size}'. Use e.g. '20G', '512M', '2T'`);
  }
  return size.trim();
}

export const qemuType = defineDriverType({
  name: "Qemu",
  aliases: ["jumpstarter_driver_qemu.driver.Qemu"],
  config: qemuConfigSchema,
  create: (config, options) => {
    for (const [key, reason] of Object.entries(IGNORED_KEYS)) {
      if ((config as Record<string, unknown>)[key] != null) options.ignoreConfigKey?.(key, reason);
    }
    return new Qemu(config, options);
  },
});
