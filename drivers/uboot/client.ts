import {
  type CallOptions,
  CompositeClient,
  type DriverClient,
  type InputArgs,
  type UnaryMethod,
} from "@jumpstarter/lib/client";
import { DriverError, MethodNotFoundError, MethodNotImplementedError } from "@jumpstarter/lib/wire";
import { UbootDialog } from "./dialog.ts";
import { ubootInterface } from "./interface.ts";
import { type DhcpInfo, dhcpInfoSchema } from "./types.ts";

/** Seconds between power off and on when the client runs the dialog (upstream's `cycle()`). */
const CLIENT_POWER_CYCLE_WAIT = 2;

/**
 * Options of the calls that wait for U-Boot. `timeout` is how long U-Boot may take; `timeoutMs`
 * and `signal` bound and cancel the call to the exporter (when the dialog runs here, against
 * upstream's exporter, an already aborted `signal` keeps it from starting).
 */
export interface TimeoutOptions extends CallOptions {
  /** Seconds to wait for U-Boot (default 60). */
  timeout?: number;
}

const methods = ubootInterface.methods;

function expectString(value: unknown, what: string): string {
  if (typeof value !== "string") throw new TypeError(`${what} returned ${JSON.stringify(value)}`);
  return value;
}

function isMissingMethod(error: unknown): boolean {
  return error instanceof MethodNotFoundError || error instanceof MethodNotImplementedError;
}

/**
 * Client of a UbootConsole; `power` and `serial` stay reachable as children. Against our
 * exporter the U-Boot dialog runs there (next to the console); against upstream's, whose
 * UbootConsole exports only `get_prompt`, this client runs the same dialog itself through the
 * `power` and `serial` children, as upstream's client does.
 */
export class UbootConsoleClient extends CompositeClient {
  #local: Promise<UbootDialog> | undefined;
  #exporterSide: boolean | undefined;

  /** The prompt the driver waits for. */
  async getPrompt(options: CallOptions = {}): Promise<string> {
    return expectString(await this.invoke(methods.get_prompt, [], options), "get_prompt");
  }

  /** Whether the U-Boot dialog runs in the exporter (ours) or here (upstream's exporter). */
  get dialogOnExporter(): boolean {
    return this.#exporterSide ??= methods.run_command.name in this.methodsDescription;
  }

  #requireChild(names: string[]): DriverClient {
    for (const name of names) {
      const child = this.children.get(name);
      if (child) return child;
    }
    throw new DriverError(`The UbootConsole has no "${names[0]}" child to drive U-Boot with`);
  }

  /** The dialog run by this client over the `serial` and `power` children. */
  #dialog(): Promise<UbootDialog> {
    return this.#local ??= this.getPrompt().then((prompt) =>
      new UbootDialog({
        prompt,
        powerCycleWait: CLIENT_POWER_CYCLE_WAIT,
        attach: () => this.#requireChild(["serial", "console"]).stream("connect"),
        power: async (action) => {
          await this.#requireChild(["power"]).call(action);
        },
      })
    );
  }

  /**
   * Calls `method` on the exporter when it runs the dialog; otherwise (or when it turns out not
   * to export it) runs `here` with the client-side dialog.
   */
  async #either<D extends UnaryMethod, T>(
    method: D,
    args: InputArgs<D>,
    options: CallOptions,
    decode: (value: unknown) => T,
    here: (dialog: UbootDialog) => Promise<T>,
  ): Promise<T> {
    if (this.dialogOnExporter) {
      try {
        return decode(await this.invoke(method, args, options));
      } catch (error) {
        if (!isMissingMethod(error)) throw error;
        this.#exporterSide = false;
      }
    }
    options.signal?.throwIfAborted();
    return await here(await this.#dialog());
  }

  /** Power cycles the DUT and stops autoboot at the U-Boot prompt. */
  async rebootToConsole(options: TimeoutOptions = {}): Promise<void> {
    await this.#either(
      methods.reboot_to_console,
      [options.timeout],
      options,
      () => undefined,
      (dialog) => dialog.rebootToConsole(options.timeout),
    );
  }

  /** Runs a command at the U-Boot prompt; its output without the echo and the prompt. */
  runCommand(command: string, options: TimeoutOptions = {}): Promise<string> {
    return this.#either(
      methods.run_command,
      [command, options.timeout],
      options,
      (value) => expectString(value, "run_command"),
      (dialog) => dialog.runCommand(command, options.timeout),
    );
  }

  /**
   * Runs a command and returns its output lines; fails on a non-zero status unless `check` is
   * false.
   */
  runCommandChecked(
    command: string,
    options: TimeoutOptions & { check?: boolean } = {},
  ): Promise<string[]> {
    return this.#either(
      methods.run_command_checked,
      [command, options.timeout ?? null, options.check ?? true],
      options,
      (result) => {
        if (!Array.isArray(result) || result.some((line) => typeof line !== "string")) {
          throw new TypeError(`run_command_checked returned ${JSON.stringify(result)}`);
        }
        return result as string[];
      },
      (dialog) => dialog.runCommandChecked(command, options.timeout, options.check ?? true),
    );
  }

  /** A variable's value, or null when it is not defined. */
  getEnv(name: string, options: CallOptions = {}): Promise<string | null> {
    return this.#either(
      methods.get_env,
      [name],
      options,
      (value) => value === null ? null : expectString(value, "get_env"),
      (dialog) => dialog.getEnv(name),
    );
  }

  /** Sets a variable; null deletes it. */
  async setEnv(name: string, value: string | null, options: CallOptions = {}): Promise<void> {
    await this.#either(
      methods.set_env,
      [name, value],
      options,
      () => undefined,
      (dialog) => dialog.setEnv(name, value),
    );
  }

  /** Sets (or, for null values, deletes) several variables. */
  async setEnvDict(
    values: Record<string, string | null>,
    options: CallOptions = {},
  ): Promise<void> {
    for (const [name, value] of Object.entries(values)) await this.setEnv(name, value, options);
  }

  /** Runs `dhcp` and returns the addresses U-Boot got. */
  setupDhcp(options: TimeoutOptions = {}): Promise<DhcpInfo> {
    return this.#either(
      methods.setup_dhcp,
      [options.timeout],
      options,
      (value) => dhcpInfoSchema.parse(value),
      (dialog) => dialog.setupDhcp(options.timeout),
    );
  }
}
