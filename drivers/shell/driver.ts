/**
 * Exporter side of the shell driver: `Shell` runs configured scripts on the exporter host and
 * streams their output back.
 */
import {
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { DriverError, InvalidArgumentError } from "@jumpstarter/lib/wire";
import { resolveMethods, type ShellConfig, shellConfigSchema, type ShellMethod } from "./config.ts";
import { checkEnv } from "./env.ts";
import { type OutputItem, shellInterface } from "./interface.ts";
import { type ScriptRun, ScriptTimeout, startScript } from "./process.ts";

/** Upstream's return code for a method that ran out of time. */
export const TIMEOUT_RETURN_CODE = 199;

/** Tuning that is not part of the config. */
export interface ShellTuning {
  /** Milliseconds between SIGTERM and SIGKILL when a method is stopped (default 5000). */
  killGraceMs?: number;
}

/** Runs configured shell scripts as methods: `call_method(name, env, ...args)`. */
export class Shell extends Driver {
  readonly interface = shellInterface;
  readonly #methods: Map<string, ShellMethod>;
  readonly #shell: string[];
  readonly #cwd: string | null;
  readonly #killGraceMs: number;
  /** Scripts still running, stopped at session end. */
  readonly #running = new Set<ScriptRun>();

  constructor(config: ShellConfig, options: DriverOptions = {}, tuning: ShellTuning = {}) {
    super(options);
    const parsed = shellConfigSchema.parse(config);
    this.#methods = resolveMethods(parsed);
    this.#shell = parsed.shell;
    this.#cwd = parsed.cwd;
    this.#killGraceMs = tuning.killGraceMs ?? 5000;
    for (const [name, method] of this.#methods) {
      // the report names every method, so a client can offer them without asking first
      this.methodsDescription[name] ??= method.description ?? `Execute the ${name} shell method`;
    }
  }

  getMethods(): string[] {
    return [...this.#methods.keys()];
  }

  /**
   * Runs `method` with `env` added to the exporter's environment and `args` as $1, $2...;
   * yields `[stdout, stderr, null]` chunks and finally `["", "", returncode]`. When time is up
   * the process group is killed and the last item carries a message and code 199, as upstream.
   */
  async *callMethod(
    method: string,
    env: Record<string, string> | null | undefined,
    ...args: (string | undefined)[]
  ): AsyncGenerator<OutputItem> {
    const configured = this.#methods.get(method);
    if (!configured) {
      // upstream raises ValueError here, which its exporter sends as INVALID_ARGUMENT
      throw new InvalidArgumentError(
        `Method '${method}' not found in available methods: ${this.getMethods().join(", ")}`,
      );
    }
    const added = checkEnv(env ?? {});
    const argv = args.filter((arg): arg is string => arg !== undefined);
    if (this.#cwd !== null) {
      const info = await Deno.stat(this.#cwd).catch(() => undefined);
      if (!info?.isDirectory) {
        throw new InvalidArgumentError(`Working directory does not exist: ${this.#cwd}`);
      }
    }
    this.logger.info(
      `calling ${method} with ${argv.length} argument(s)` +
        (Object.keys(added).length ? ` and env ${Object.keys(added).join(", ")}` : ""),
    );
    let run: ScriptRun;
    try {
      run = startScript({
        argv: [...this.#shell, configured.command, method, ...argv],
        env: added,
        ...(this.#cwd === null ? {} : { cwd: this.#cwd }),
        timeout: configured.timeout,
        killGraceMs: this.#killGraceMs,
      });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw new DriverError(
        `Cannot run ${method}: the interpreter "${this.#shell[0]}" was not found`,
        { cause: error },
      );
    }
    this.logger.debug(`${method} runs as process group ${run.pid}`);
    this.#running.add(run);
    try {
      for await (const item of run.output) {
        if (item[2] !== null && item[2] !== 0) {
          this.logger.info(`${method} return code: ${item[2]}`);
        }
        yield item;
      }
    } catch (error) {
      if (error instanceof ScriptTimeout) {
        this.logger.error(`Timeout expired while running ${method}: ${error.message}`);
        yield [
          "",
          `\nTimeout expired while running ${method}: ${error.message}\n`,
          TIMEOUT_RETURN_CODE,
        ];
        return;
      }
      throw error;
    } finally {
      this.#running.delete(run);
    }
  }

  /** Stops every method still running (their process groups are terminated). */
  override async close(): Promise<void> {
    const reason = new DriverError("the session ended while the method was running");
    await Promise.all([...this.#running].map((run) => run.stop(reason)));
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(shellInterface, this);
  }
}

export const shellType = defineDriverType({
  name: "Shell",
  aliases: ["jumpstarter_driver_shell.driver.Shell"],
  config: shellConfigSchema,
  create: (config, options) => new Shell(config, options),
});
