/**
 * The U-Boot operations (reboot to the console, run a command, environment, DHCP) over any
 * console byte stream and power switch. Our exporter runs them next to the serial port; our
 * client runs the same code itself against an exporter that, like upstream's, exports only
 * `get_prompt`.
 *
 * Each operation attaches to the console, does its dialog and detaches, so a person can use the
 * console in between. Operations run one at a time.
 */
import type { ByteStream } from "@jumpstarter/lib/streams";
import { DriverError } from "@jumpstarter/lib/wire";
import { checkName, parsePrintenv, setenvCommand } from "./commands.ts";
import { UbootShell } from "./shell.ts";
import { type DhcpInfo, prefixLength } from "./types.ts";

/** Default seconds for a command, for reaching the prompt after power on, and for DHCP. */
export const DEFAULT_TIMEOUT = 60;
const DHCP_TRIES = 3;
const BOUND = /DHCP client bound to address/;

/** What the dialog drives: the DUT's console and power, and where it reports progress. */
export interface UbootWiring {
  /** The prompt U-Boot prints (a leading line break, as upstream HEAD's default has, is ignored). */
  prompt: string;
  /** Seconds between power off and power on in `rebootToConsole`. */
  powerCycleWait: number;
  /** Attaches to the console. */
  attach(): Promise<ByteStream>;
  power(action: "on" | "off"): Promise<void>;
  log?: {
    info(message: string): void;
    debug(message: string): void;
    warning(message: string): void;
  };
}

export class UbootDialog {
  readonly #wiring: UbootWiring;
  readonly #prompt: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(wiring: UbootWiring) {
    this.#wiring = wiring;
    this.#prompt = wiring.prompt.replace(/^[\r\n]+/, "");
  }

  /** Runs operations one at a time: they share the console. */
  #exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(operation);
    this.#queue = result.catch(() => {});
    return result;
  }

  async #shell(): Promise<UbootShell> {
    return new UbootShell(await this.#wiring.attach(), this.#prompt);
  }

  /** Power cycles the DUT and stops U-Boot's autoboot at its prompt. */
  rebootToConsole(timeout = DEFAULT_TIMEOUT): Promise<void> {
    return this.#exclusive(async () => {
      this.#wiring.log?.info("Power cycling the DUT into the U-Boot console");
      await this.#wiring.power("off");
      // attach before power on (the countdown may be over before a late reader sees it) but
      // after power off, so that nothing the DUT printed before it can pass for a prompt
      await using shell = await this.#shell();
      if (this.#wiring.powerCycleWait > 0) {
        await new Promise((resolve) => setTimeout(resolve, this.#wiring.powerCycleWait * 1000));
      }
      await this.#wiring.power("on");
      await shell.stopAutoboot(timeout);
      this.#wiring.log?.info("U-Boot console ready");
    });
  }

  /** Runs one command at the U-Boot prompt and returns its output. */
  runCommand(command: string, timeout = DEFAULT_TIMEOUT): Promise<string> {
    return this.#exclusive(() => this.#run(command, timeout));
  }

  async #run(command: string, timeout: number): Promise<string> {
    await using shell = await this.#shell();
    this.#wiring.log?.debug(`Running U-Boot command: ${command}`);
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
          this.#wiring.log?.warning(`U-Boot dhcp attempt ${attempt} failed: ${output.trim()}`);
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
}
