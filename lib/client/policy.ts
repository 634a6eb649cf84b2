/**
 * The client-class allow-list (`drivers.allow` / `drivers.unsafe`, `JMP_DRIVERS_ALLOW`): globs
 * matched against the whole upstream client class path.
 */
import { parseEnvBoolean } from "@jumpstarter/lib/config";

/** Which client classes may be instantiated. */
export interface DriverPolicy {
  /** fnmatch-style globs over the whole client class path; `UNSAFE` among them allows all. */
  allow: readonly string[];
  /** Allow every client class (`drivers.unsafe`), whatever `allow` says. */
  unsafe: boolean;
}

/** Allows everything (local sessions, hooks, direct mode). */
export const UNSAFE_POLICY: DriverPolicy = { allow: [], unsafe: true };

function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === "*") source += ".*";
    else if (char === "?") source += ".";
    else if (char === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end === -1) source += "\\[";
      else {
        let set = glob.slice(i + 1, end).replace(/\\/g, "\\\\");
        if (set.startsWith("!")) set = `^${set.slice(1)}`;
        source += `[${set}]`;
        i = end;
      }
    } else source += char.replace(/[.+^${}()|\\/\]]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "s");
}

/** Whether `clientClass` is allowed by `policy` (fnmatch-style, case-sensitive, whole string). */
export function isAllowed(clientClass: string, policy: DriverPolicy): boolean {
  if (policy.unsafe || policy.allow.includes("UNSAFE")) return true;
  return policy.allow.some((glob) => globToRegExp(glob).test(clientClass));
}

/**
 * Reads the policy from `JMP_DRIVERS_ALLOW` (comma-separated globs, or `UNSAFE`) and
 * `JMP_DRIVERS_UNSAFE`; undefined when neither is set.
 */
export function policyFromEnv(
  env: Record<string, string | undefined>,
): DriverPolicy | undefined {
  const allowText = env.JMP_DRIVERS_ALLOW;
  const unsafeText = env.JMP_DRIVERS_UNSAFE;
  if (allowText === undefined && unsafeText === undefined) return undefined;
  const allow = (allowText ?? "").split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  const unsafe = parseEnvBoolean(env, "JMP_DRIVERS_UNSAFE") ?? false;
  return { allow, unsafe: unsafe || allow.includes("UNSAFE") };
}

/** The value of `JMP_DRIVERS_ALLOW` that carries `policy` into a shell. */
export function policyToEnv(policy: DriverPolicy): string {
  return policy.unsafe ? "UNSAFE" : policy.allow.join(",");
}
