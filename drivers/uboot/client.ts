import { CompositeClient, defaultClientRegistry } from "@jumpstarter/lib/client";
import { ubootInterface } from "./interface.ts";
import { type DhcpInfo, dhcpInfoSchema } from "./types.ts";

/** Options of the calls that wait for U-Boot. */
export interface TimeoutOptions {
  /** Seconds to wait (default 60). */
  timeout?: number;
}

function timeoutArgs(options: TimeoutOptions): number[] {
  return options.timeout === undefined ? [] : [options.timeout];
}

function expectString(value: unknown, what: string): string {
  if (typeof value !== "string") throw new TypeError(`${what} returned ${JSON.stringify(value)}`);
  return value;
}

/**
 * Client of a UbootConsole: the U-Boot dialog runs on the exporter; `power` and `serial` stay
 * reachable as children.
 */
export class UbootConsoleClient extends CompositeClient {
  /** The prompt the driver waits for. */
  async getPrompt(): Promise<string> {
    return expectString(await this.call("get_prompt"), "get_prompt");
  }

  /** Power cycles the DUT and stops autoboot at the U-Boot prompt. */
  async rebootToConsole(options: TimeoutOptions = {}): Promise<void> {
    await this.call("reboot_to_console", ...timeoutArgs(options));
  }

  /** Runs a command at the U-Boot prompt; its output without the echo and the prompt. */
  async runCommand(command: string, options: TimeoutOptions = {}): Promise<string> {
    return expectString(
      await this.call("run_command", command, ...timeoutArgs(options)),
      "run_command",
    );
  }

  /**
   * Runs a command and returns its output lines; fails on a non-zero status unless `check` is
   * false.
   */
  async runCommandChecked(
    command: string,
    options: TimeoutOptions & { check?: boolean } = {},
  ): Promise<string[]> {
    const result = await this.call(
      "run_command_checked",
      command,
      options.timeout ?? null,
      options.check ?? true,
    );
    if (!Array.isArray(result) || result.some((line) => typeof line !== "string")) {
      throw new TypeError(`run_command_checked returned ${JSON.stringify(result)}`);
    }
    return result as string[];
  }

  /** A variable's value, or null when it is not defined. */
  async getEnv(name: string): Promise<string | null> {
    const value = await this.call("get_env", name);
    return value === null ? null : expectString(value, "get_env");
  }

  /** Sets a variable; null deletes it. */
  async setEnv(name: string, value: string | null): Promise<void> {
    await this.call("set_env", name, value);
  }

  /** Sets (or, for null values, deletes) several variables. */
  async setEnvDict(values: Record<string, string | null>): Promise<void> {
    for (const [name, value] of Object.entries(values)) await this.setEnv(name, value);
  }

  /** Runs `dhcp` and returns the addresses U-Boot got. */
  async setupDhcp(options: TimeoutOptions = {}): Promise<DhcpInfo> {
    return dhcpInfoSchema.parse(await this.call("setup_dhcp", ...timeoutArgs(options)));
  }
}

defaultClientRegistry.register(UbootConsoleClient, ubootInterface.client);
