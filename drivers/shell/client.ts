import { type CallOptions, DriverClient } from "@jumpstarter/lib/client";
import { MethodNotFoundError } from "@jumpstarter/lib/wire";
import { outputSchema, shellInterface } from "./interface.ts";

/** One piece of a method's output; `returncode` is set on the last one only. */
export interface ShellOutput {
  stdout: string;
  stderr: string;
  returncode: number | null;
}

/**
 * Options of {@linkcode ShellClient.output} and {@linkcode ShellClient.run}: the script's
 * arguments and environment, and the call's `signal` and `timeoutMs` (for the whole run).
 */
export interface OutputOptions extends CallOptions {
  /** Positional arguments: `$1`, `$2`... of the script. */
  args?: readonly string[];
  /** Variables added to the script's environment. */
  env?: Record<string, string>;
}

/** Options of {@linkcode ShellClient.run}. */
export interface RunOptions extends OutputOptions {
  onStdout?: (text: string) => void | Promise<void>;
  onStderr?: (text: string) => void | Promise<void>;
}

/** Client of a `Shell` driver: each configured method can be run and its output streamed. */
export class ShellClient extends DriverClient {
  #methods: Promise<string[]> | undefined;

  /** The configured method names (asked once, then cached). */
  methods(options: CallOptions = {}): Promise<string[]> {
    this.#methods ??= this.invoke(shellInterface.methods.get_methods, [], options).then((names) => {
      if (!Array.isArray(names)) throw new TypeError("get_methods did not answer a list");
      return names.map(String);
    });
    this.#methods.catch(() => this.#methods = undefined);
    return this.#methods;
  }

  /**
   * Streams the output of `method` as it is produced.
   *
   * @throws {MethodNotFoundError} when the driver has no such method.
   */
  async *output(method: string, options: OutputOptions = {}): AsyncGenerator<ShellOutput> {
    const { args = [], env = {}, ...callOptions } = options;
    const methods = await this.methods(callOptions);
    if (!methods.includes(method)) {
      throw new MethodNotFoundError(
        `method ${method} not found in ${methods.map((m) => `'${m}'`).join(", ")}`,
      );
    }
    const items = this.invokeStreaming(
      shellInterface.methods.call_method,
      [method, env, ...args],
      callOptions,
    );
    for await (const item of items) {
      const [stdout, stderr, returncode] = outputSchema.parse(item);
      yield { stdout, stderr, returncode };
    }
  }

  /** Runs `method`, handing output to the callbacks as it comes; returns its exit code. */
  async run(method: string, options: RunOptions = {}): Promise<number> {
    let code = 0;
    for await (const { stdout, stderr, returncode } of this.output(method, options)) {
      if (stdout) await options.onStdout?.(stdout);
      if (stderr) await options.onStderr?.(stderr);
      if (returncode !== null) code = returncode;
    }
    return code;
  }
}
