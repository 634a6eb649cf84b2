/**
 * Exporter side: UbootConsole (upstream `jumpstarter_driver_uboot.driver.UbootConsole`), the
 * U-Boot console of a DUT reached through two children: `serial` (any driver exporting a
 * `connect` byte stream: PySerial, a Qemu console...) and `power` (any power driver). Both are
 * usually `ref:`s to drivers that live elsewhere in the tree.
 *
 * The dialog itself is in `dialog.ts`, shared with the client (which runs it against upstream's
 * exporter, whose UbootConsole exports only `get_prompt`).
 */
import { z } from "zod";
import {
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import type { ByteStream } from "@jumpstarter/lib/streams";
import { DriverError } from "@jumpstarter/lib/wire";
import { DEFAULT_TIMEOUT, UbootDialog } from "./dialog.ts";
import { ubootInterface } from "./interface.ts";
import type { DhcpInfo } from "./types.ts";

export { DEFAULT_TIMEOUT } from "./dialog.ts";

/** Options of {@linkcode UbootConsole} (the config keys, camel-cased). */
export interface UbootConsoleOptions {
  /** The prompt U-Boot prints (default `=>`). */
  prompt?: string;
  /** Seconds between power off and power on in `reboot_to_console` (default 2). */
  powerCycleWait?: number;
}

export class UbootConsole extends Driver {
  readonly interface = ubootInterface;
  readonly prompt: string;
  readonly powerCycleWait: number;
  readonly #dialog: UbootDialog;

  constructor(options: UbootConsoleOptions = {}, driverOptions: DriverOptions = {}) {
    super(driverOptions);
    this.prompt = options.prompt ?? "=>";
    this.powerCycleWait = options.powerCycleWait ?? 2;
    this.#dialog = new UbootDialog({
      prompt: this.prompt,
      powerCycleWait: this.powerCycleWait,
      attach: async () =>
        await this.#child(["serial", "console"], "connect").method("connect")!.call() as ByteStream,
      power: async (action) => {
        await this.#child(["power"], action).method(action)!.call();
      },
      log: this.logger,
    });
  }

  #child(names: string[], method: string): Driver {
    for (const name of names) {
      const child = this.children.get(name);
      if (child) {
        if (!child.method(method)) {
          throw new DriverError(
            `UbootConsole child "${name}" (${child.constructor.name}) does not export ${method}`,
          );
        }
        return child;
      }
    }
    throw new DriverError(
      `UbootConsole needs a child named "${names[0]}" (e.g. ref: to the DUT's ${
        names[0] === "power" ? "power switch" : "serial console"
      })`,
    );
  }

  /** The prompt this driver waits for. */
  getPrompt(): string {
    return this.prompt;
  }

  /** Power cycles the DUT and stops U-Boot's autoboot at its prompt (null: the default wait). */
  rebootToConsole(timeout?: number | null): Promise<void> {
    return this.#dialog.rebootToConsole(timeout ?? DEFAULT_TIMEOUT);
  }

  /** Runs one command at the U-Boot prompt and returns its output. */
  runCommand(command: string, timeout?: number | null): Promise<string> {
    return this.#dialog.runCommand(command, timeout ?? DEFAULT_TIMEOUT);
  }

  /** Runs `command; echo $?`: the output lines; a non-zero status fails unless `check` is false. */
  runCommandChecked(command: string, timeout?: number | null, check = true): Promise<string[]> {
    return this.#dialog.runCommandChecked(command, timeout ?? DEFAULT_TIMEOUT, check);
  }

  /** A variable's value, or null when it is not defined. */
  getEnv(name: string): Promise<string | null> {
    return this.#dialog.getEnv(name);
  }

  /** Sets a variable (null deletes it). */
  setEnv(name: string, value: string | null): Promise<void> {
    return this.#dialog.setEnv(name, value);
  }

  /** Runs `dhcp` with `autoload` off and returns the addresses U-Boot got. */
  setupDhcp(timeout?: number | null): Promise<DhcpInfo> {
    return this.#dialog.setupDhcp(timeout ?? DEFAULT_TIMEOUT);
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(ubootInterface, this);
  }
}

export const ubootConsoleConfigSchema = z.object({
  prompt: z.string().min(1, "prompt must not be empty").default("=>"),
  "power_cycle_wait": z.number().min(0).default(2),
}).strict();

export const ubootConsoleType = defineDriverType({
  name: "UbootConsole",
  aliases: ["jumpstarter_driver_uboot.driver.UbootConsole"],
  config: ubootConsoleConfigSchema,
  create: (config, options) =>
    new UbootConsole({ prompt: config.prompt, powerCycleWait: config.power_cycle_wait }, options),
});
