/**
 * An exclusive lock on a store directory: the file `lock` holds the owner's pid and an advisory
 * exclusive lock (flock) for as long as the store is open. A lock left by a dead process is taken
 * over (the kernel drops a dead process's flock; where flock is unsupported, the pid decides).
 */
import { writeAll } from "./fs_util.ts";
import { StoreLockedError } from "./types.ts";

/** Directories locked by this process (flock alone would also catch these; this names them). */
const heldHere = new Set<string>();

function parsePid(text: string | undefined): number {
  const pid = Number.parseInt((text ?? "").trim(), 10);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
}

/** Whether a process with this pid exists (Linux: /proc; elsewhere assumed alive). */
export function isProcessAlive(pid: number): boolean {
  if (pid <= 0) return false;
  if (pid === Deno.pid) return true;
  if (Deno.build.os !== "linux") return true;
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
}

export class DirLock {
  #file: Deno.FsFile;
  #key: string;
  /** The pid of a dead holder whose lock was taken over, if any. */
  readonly previousHolder: number | undefined;

  private constructor(file: Deno.FsFile, key: string, previousHolder: number | undefined) {
    this.#file = file;
    this.#key = key;
    this.previousHolder = previousHolder;
  }

  /** Locks `dir` (which must exist) or throws StoreLockedError. */
  static async acquire(dir: string): Promise<DirLock> {
    const key = await Deno.realPath(dir);
    if (heldHere.has(key)) throw new StoreLockedError(dir, Deno.pid);
    const path = `${dir}/lock`;
    const file = await Deno.open(path, { read: true, write: true, create: true });
    try {
      let flocked: boolean | undefined;
      try {
        flocked = await file.tryLock(true);
      } catch {
        flocked = undefined; // no advisory locks on this filesystem: rely on the pid
      }
      const holder = parsePid(await readText(path));
      if (flocked === false) throw new StoreLockedError(dir, holder);
      if (flocked === undefined && holder !== 0 && holder !== Deno.pid && isProcessAlive(holder)) {
        throw new StoreLockedError(dir, holder);
      }
      await file.truncate(0);
      await file.seek(0, Deno.SeekMode.Start);
      await writeAll(file, new TextEncoder().encode(`${Deno.pid}\n`));
      await file.sync();
      heldHere.add(key);
      const previous = holder !== 0 && holder !== Deno.pid ? holder : undefined;
      return new DirLock(file, key, previous);
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /** Clears the pid and drops the lock (the file stays, so no one can lock a stale inode). */
  async release(): Promise<void> {
    try {
      await this.#file.truncate(0);
      await this.#file.unlock().catch(() => {});
    } finally {
      this.#file.close();
      heldHere.delete(this.#key);
    }
  }
}
