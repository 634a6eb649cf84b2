/**
 * `jmp-controller --access-policy FILE`: the policies in force, read from FILE at start and again
 * on SIGHUP. A reload that fails keeps the policies in force and logs the one-line error.
 */
import type { AccessPolicy } from "./policy.ts";
import { loadAccessPolicies } from "./policy_load.ts";

export interface PolicyFileOptions {
  /** Where reload results go (default: stderr). */
  log?: (line: string) => void;
  /** Reload on SIGHUP (default true). */
  reloadOnHangup?: boolean;
}

export class PolicyFile implements Disposable {
  readonly path: string;
  /** Called after each successful reload (the controller reschedules then). */
  onReload: (() => void) | undefined;
  #policies: readonly AccessPolicy[];
  #log: (line: string) => void;
  #listener: (() => void) | undefined;

  private constructor(path: string, policies: AccessPolicy[], log: (line: string) => void) {
    this.path = path;
    this.#policies = policies;
    this.#log = log;
  }

  /** Loads `path` (throws a ConfigError naming file, line and field) and watches for SIGHUP. */
  static async open(path: string, options: PolicyFileOptions = {}): Promise<PolicyFile> {
    const log = options.log ?? ((line: string) => console.error(line));
    const file = new PolicyFile(path, await loadAccessPolicies(path), log);
    if (options.reloadOnHangup !== false && Deno.build.os !== "windows") {
      file.#listener = () => void file.reload();
      Deno.addSignalListener("SIGHUP", file.#listener);
    }
    return file;
  }

  /** The policies in force. */
  get policies(): readonly AccessPolicy[] {
    return this.#policies;
  }

  /** Reads the file again; on error keeps the policies in force. Resolves true if reloaded. */
  async reload(): Promise<boolean> {
    try {
      this.#policies = await loadAccessPolicies(this.path);
      this.#log(`access policy reloaded from ${this.path}: ${this.summary()}`);
      this.onReload?.();
      return true;
    } catch (error) {
      this.#log(`access policy not reloaded (the previous one stays): ${(error as Error).message}`);
      return false;
    }
  }

  /** `N policies, M rules`. */
  summary(): string {
    const rules = this.#policies.reduce((n, p) => n + p.rules.length, 0);
    return `${this.#policies.length} ${this.#policies.length === 1 ? "policy" : "policies"}, ` +
      `${rules} ${rules === 1 ? "rule" : "rules"}`;
  }

  [Symbol.dispose](): void {
    if (this.#listener !== undefined) Deno.removeSignalListener("SIGHUP", this.#listener);
    this.#listener = undefined;
  }
}
