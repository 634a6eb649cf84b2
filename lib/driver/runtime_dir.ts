/**
 * A driver's private directory for its sockets and state. A confined exporter names one per
 * driver (`DriverOptions.runtimeDir`, the same path its grants were computed for), so that the
 * grants can name the Unix sockets in it: Deno grants those by exact path only. Served
 * unconfined, a driver gets a new temporary directory instead.
 *
 * @module
 */

/** The lock file a claimed runtime directory holds locked while its process lives. */
const LOCK = ".lock";

/** A driver's claimed runtime directory. */
export interface RuntimeDir {
  /** The directory. */
  readonly path: string;
  /** Removes the directory with what is in it, and lets another driver claim it. */
  remove(): Promise<void>;
}

/**
 * Claims `named` (made if missing) for this driver, or makes a temporary directory starting with
 * `prefix` when the exporter names none. A named directory is locked (`flock`) while this process
 * holds it, so the kernel frees it with the process: what a process killed by SIGKILL left in it
 * (sockets, images) is removed here, and a directory another live process holds is refused.
 *
 * @throws {Error} when another process holds `named`.
 *
 * @example Claim, refuse a second claim, give up
 * ```ts
 * import assert from "node:assert/strict";
 * import { claimRuntimeDir } from "@jumpstarter/lib/driver";
 *
 * const named = `${await Deno.makeTempDir()}/drivers/qemu`;
 * const dir = claimRuntimeDir(named, "jumpstarter-qemu-");
 * assert.equal(dir.path, named);
 * assert.throws(() => claimRuntimeDir(named, "jumpstarter-qemu-"), /is in use/);
 * await dir.remove();
 * await claimRuntimeDir(named, "jumpstarter-qemu-").remove();
 * ```
 */
export function claimRuntimeDir(named: string | undefined, prefix: string): RuntimeDir {
  if (named === undefined) {
    const path = Deno.makeTempDirSync({ prefix });
    return { path, remove: () => Deno.remove(path, { recursive: true }).catch(() => {}) };
  }
  Deno.mkdirSync(named, { recursive: true, mode: 0o700 });
  const lock = Deno.openSync(`${named}/${LOCK}`, { write: true, create: true });
  if (!lock.tryLockSync(true)) {
    lock.close();
    throw new Error(
      `Cannot claim ${named}: it is in use by another process ` +
        "(an exporter serving a driver at the same place with the same socket directory)",
    );
  }
  for (const entry of Deno.readDirSync(named)) {
    if (entry.name !== LOCK) Deno.removeSync(`${named}/${entry.name}`, { recursive: true });
  }
  let removing: Promise<void> | undefined;
  return {
    path: named,
    remove: () =>
      removing ??= (async () => {
        // removed while still locked: a claim racing this one finds the lock taken or a new file
        await Deno.remove(named, { recursive: true }).catch(() => {});
        lock.close();
      })(),
  };
}
