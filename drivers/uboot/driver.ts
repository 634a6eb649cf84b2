/**
 * Exporter side: UbootConsole (upstream `jumpstarter_driver_uboot.driver.UbootConsole`), the
 * U-Boot console of a DUT reached through two children: `serial` (any driver exporting a
 * `connect` byte stream: PySerial, a Qemu console...) and `power` (any power driver). Both are
 * usually `ref:`s to drivers that live elsewhere in the tree.
 *
 * Each operation attaches to the console, does its dialog and detaches, so a person can use the
 * console in between. Operations run one at a time.
 */
import { z } from "zod";
import {
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { defaultDriverRegistry, defineDriverType } from "@jumpstarter/lib/exporter";
import type { ByteStream } from "@jumpstarter/lib/streams";
import { DriverError } from "@jumpstarter/lib/wire";
import { checkName, parsePrintenv, setenvCommand } from "./commands.ts";
import { ubootInterface } from "./interface.ts";
import { UbootShell } from "./shell.ts";
import { type DhcpInfo, prefixLength } from "./types.ts";

/** Default seconds for a command, for reaching the prompt after power on, and for DHCP. */
export const DEFAULT_TIMEOUT = 60;
const DHCP_TRIES = 3;
const BOUND = /DHCP client bound to address/;

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
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: UbootConsoleOptions = {}, driverOptions: DriverOptions = {}) {
    super(driverOptions);
    this.prompt = options.prompt ?? "=>";
    this.powerCycleWait = options.powerCycleWait ?? 2;
  }

  /** Runs operations one at a time: they share the console. */
  #exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(operation);
    this.#queue = result.catch(() => {});
    return result;
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

  async #power(action: "on" | "off"): Promise<void> {
    await this.#child(["power"], action).method(action)!.call();
  }

  /** Attaches to the serial child's console. */
  async #shell(): Promise<UbootShell> {
    const serial = this.#child(["serial", "console"], "connect");
    const stream = await serial.method("connect")!.call() as ByteStream;
    return new UbootShell(stream, this.prompt);
  }

  /** Power cycles the DUT and stops U-Boot's autoboot at its prompt. */
  rebootToConsole(timeout = DEFAULT_TIMEOUT): Promise<void> {
    return this.#exclusive(async () => {
      this.logger.info("Power cycling the DUT into the U-Boot console");
      await this.#power("off");
      // attach before power on (the countdown may be over before a late reader sees it) but
      // after power off, so that nothing the DUT printed before it can pass for a prompt
      await using shell = await this.#shell();
      if (this.powerCycleWait > 0) {
        await new Promise((resolve) => setTimeout(resolve, this.powerCycleWait * 1000));
      }
      await this.#power("on");
      await shell.stopAutoboot(timeout);
      this.logger.info("U-Boot console ready");
    });
  }

  /** Runs one command at the U-Boot prompt and returns its output. */
  runCommand(command: string, timeout = DEFAULT_TIMEOUT): Promise<string> {
    return this.#exclusive(() => this.#run(command, timeout));
  }

  async #run(command: string, timeout: number): Promise<string> {
    await using shell = await this.#shell();
    this.logger.debug(`Running U-Boot command: ${command}`);
    return await shell.run(command, timeout);
  }

  /**
   * Runs `command; echo $?` and returns the output lines before the status; with `check`
   * (default), a non-zero status is an error carrying the output.
   */
  runCommandChecked(command: string, timeout = DEFAULT_TIMEOUT, check = true): Promise<string[]> {
    return this.#exclusive(async () => {
      const lines = (await this.#run(`${command}; echo $?`, timeout)).split("\n");
      const status = lines.pop() ?? "";
      if (!/^\d+$/.test(status)) {
        throw new DriverError(
          `Cannot read the status of U-Boot command "${command}": got ${JSON.stringify(status)}`,
        );
      }
      if (check && status !== "0") {
        throw new DriverError(
          `U-Boot command "${command}" failed with status ${status}:\n${lines.join("\n")}`,
        );
      }
      return lines;
    });
  }

  async #getEnv(name: string): Promise<string | null> {
    checkName(name);
    const output = await this.#run(`printenv ${name}`, DEFAULT_TIMEOUT);
    const value = parsePrintenv(name, output);
    if (value === undefined) {
      throw new DriverError(`Unexpected answer to "printenv ${name}": ${JSON.stringify(output)}`);
    }
    return value;
  }

  async #setEnv(name: string, value: string | null): Promise<void> {
    const output = await this.#run(setenvCommand(name, value), DEFAULT_TIMEOUT);
    if (output.trim() !== "") {
      throw new DriverError(`U-Boot refused to set ${name}: ${output.trim()}`);
    }
  }

  /** A variable's value, or null when it is not defined. */
  getEnv(name: string): Promise<string | null> {
    return this.#exclusive(() => this.#getEnv(name));
  }

  /** Sets a variable (null deletes it). Not saved: U-Boot's `saveenv` does that. */
  setEnv(name: string, value: string | null): Promise<void> {
    return this.#exclusive(() => this.#setEnv(name, value));
  }

  /**
   * Runs `dhcp` (up to 3 tries) with `autoload` off so nothing is downloaded, restores
   * `autoload`, and returns the addresses U-Boot got.
   */
  setupDhcp(timeout = DEFAULT_TIMEOUT): Promise<DhcpInfo> {
    return this.#exclusive(async () => {
      const autoload = await this.#getEnv("autoload");
      await this.#setEnv("autoload", "no");
      let output = "";
      try {
        for (let attempt = 1; attempt <= DHCP_TRIES; attempt++) {
          output = await this.#run("dhcp", timeout);
          if (BOUND.test(output)) break;
          this.logger.warning(`U-Boot dhcp attempt ${attempt} failed: ${output.trim()}`);
        }
      } finally {
        await this.#setEnv("autoload", autoload);
      }
      if (!BOUND.test(output)) {
        throw new DriverError(`U-Boot did not get a DHCP lease in ${DHCP_TRIES} tries:\n${output}`);
      }
      const ip = await this.#getEnv("ipaddr");
      if (!ip) throw new DriverError("U-Boot reported a DHCP lease but ipaddr is not set");
      const netmask = await this.#getEnv("netmask") ?? "255.255.255.0";
      return {
        "ip_address": ip,
        gateway: await this.#getEnv("gatewayip") ?? "",
        netmask,
        cidr: prefixLength(netmask),
        "server_ip": await this.#getEnv("serverip") ?? "",
      };
    });
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(ubootInterface, {
      "get_prompt": () => this.prompt,
      "reboot_to_console": (timeout) => this.rebootToConsole(timeout ?? undefined),
      "run_command": (command, timeout) => this.runCommand(command, timeout ?? undefined),
      "run_command_checked": (command, timeout, check) =>
        this.runCommandChecked(command, timeout ?? undefined, check),
      "get_env": (name) => this.getEnv(name),
      "set_env": (name, value) => this.setEnv(name, value),
      "setup_dhcp": (timeout) => this.setupDhcp(timeout ?? undefined),
    });
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

defaultDriverRegistry.register(ubootConsoleType);
