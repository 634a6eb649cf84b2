/**
 * The two checks that keep the confined file operations inside a root, behind one interface, and
 * which one this process uses (see `confined.ts` for what each guarantees):
 *
 * - `"kernel"`: open first, then ask the kernel where the descriptor really is
 *   (`/proc/self/fd/N`), and act inside an opened directory through `/proc/self/fd/N/name`.
 *   Race-free against anyone. Deno reads `/proc/self/fd` only with `-A`.
 * - `"ownership"`: resolve, check the directories on the way by their owner and mode
 *   (`ownership.ts`), act by the checked real path, and re-check an opened file's entry by device
 *   and inode. Works under scoped grants; race-free against other users only.
 */
import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { isWithin, NotRegularFileError, outside, OutsideRootError } from "./confined_paths.ts";
import { checkDirectory } from "./ownership.ts";

/** Which check keeps the confined operations inside their root (see the module doc). */
export type RootCheck = "kernel" | "ownership";

let probed: RootCheck | undefined;
let forced: RootCheck | undefined;

/** `"kernel"` when this process may read `/proc/self/fd` (Deno: only with `-A`). */
function probe(): RootCheck {
  // descriptor 0 is always open in Deno (on /dev/null when it was closed)
  const fd0 = "/proc/self/fd/0";
  // not granted: trying would prompt on a terminal (without --no-prompt)
  if (Deno.permissions.querySync({ name: "read", path: fd0 }).state !== "granted") {
    return "ownership";
  }
  try {
    Deno.readLinkSync(fd0);
    return "kernel";
  } catch {
    // NotCapable with read granted but not -A; NotFound and the like where there is no /proc
    return "ownership";
  }
}

/**
 * The check this process uses: `"kernel"` when it can read `/proc/self/fd` (asked once), else
 * `"ownership"`.
 */
export function rootCheck(): RootCheck {
  return forced ?? (probed ??= probe());
}

/**
 * Makes {@linkcode rootCheck} answer `check` (`undefined`: what the probe found again). For tests:
 * they run with `-A`, so without this only the kernel check would be exercised.
 */
export function forceRootCheck(check: RootCheck | undefined): void {
  forced = check;
}

/** A directory below the root, held for acting in it. */
export interface ConfinedDirectory {
  /**
   * Join names to it to act in this very directory: `/proc/self/fd/N` (kernel check) or the
   * checked real path (ownership check).
   */
  readonly path: string;
  /** Where the directory really is (for messages). */
  readonly realPath: string;
  /** Releases the directory (closes its descriptor, if any). */
  close(): Promise<void>;
}

/** A file opened for reading below the root, and its real path. */
export interface OpenedFile {
  readonly handle: FileHandle;
  readonly real: string;
}

/** What differs between the two checks; the walks and the operations built on them are shared. */
export interface Check {
  /** Opens the directory `path` leads to, refused when it is not below `root`. */
  enter(root: string, path: string, shown: string): Promise<ConfinedDirectory>;
  /** Before making a directory in `directory` that names will then be reached through. */
  beforeMaking(root: string, directory: ConfinedDirectory, shown: string): Promise<void>;
  /** Once a walk reached `directory`: refuses acting in it if that could be raced. */
  reached(root: string, directory: ConfinedDirectory, shown: string): Promise<void>;
  /** Opens for reading what `path` (below `root`) leads to, refused when it is not below `root`. */
  openFile(root: string, path: string, shown: string): Promise<OpenedFile>;
}

const DENO_ERRORS: Record<string, new (message: string) => Error> = {
  ENOENT: Deno.errors.NotFound,
  ENOTDIR: Deno.errors.NotADirectory,
  EACCES: Deno.errors.PermissionDenied,
  EPERM: Deno.errors.PermissionDenied,
  EISDIR: Deno.errors.IsADirectory,
  ELOOP: Deno.errors.FilesystemLoop,
};

/** node:fs errors as the `Deno.errors` classes the rest of the code base tests for. */
export function asDenoError(error: unknown): unknown {
  const code = (error as { code?: unknown })?.code;
  const kind = typeof code === "string" ? DENO_ERRORS[code] : undefined;
  return kind ? new kind((error as Error).message) : error;
}

async function openPath(path: string, flags: number): Promise<FileHandle> {
  return await open(path, flags).catch((error) => {
    throw asDenoError(error);
  });
}

/** Read-only; FIFOs and devices opened without blocking or becoming the controlling terminal. */
const FILE_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;
const DIRECTORY_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY;

function descriptorPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** Opens `path` and asks the kernel where the opened object is; refused when not below `root`. */
async function kernelOpen(root: string, path: string, flags: number, shown: string) {
  const handle = await openPath(path, flags);
  try {
    const real = (await Deno.readLink(descriptorPath(handle.fd))).replace(/ \(deleted\)$/, "");
    if (!isWithin(root, real)) throw outside(shown, root);
    return { handle, real };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

const kernel: Check = {
  async enter(root, path, shown) {
    const { handle, real } = await kernelOpen(root, path, DIRECTORY_FLAGS, shown);
    return { path: descriptorPath(handle.fd), realPath: real, close: () => handle.close() };
  },
  // what the descriptor path names is the directory opened: nothing to check
  beforeMaking: async () => {},
  reached: async () => {},
  openFile: (root, path, shown) => kernelOpen(root, path, FILE_FLAGS, shown),
};

/** Tries when the entry was replaced between the open and the check (an upload renamed over it). */
const OPEN_ATTEMPTS = 3;

const ownership: Check = {
  async enter(root, path, shown) {
    const real = await Deno.realPath(path);
    if (!isWithin(root, real)) throw outside(shown, root);
    return { path: real, realPath: real, close: async () => {} };
  },
  async beforeMaking(root, directory, shown) {
    // nobody else may swap what is made there: names are then reached through it
    await checkDirectory(root, directory.realPath, shown, { entries: true });
  },
  async reached(root, directory, shown) {
    await checkDirectory(root, directory.realPath, shown);
  },
  async openFile(root, path, shown) {
    for (let attempt = 1;; attempt++) {
      const real = await Deno.realPath(path);
      if (!isWithin(root, real)) throw outside(shown, root);
      if (real === root) throw new NotRegularFileError(`"${shown}" is not a regular file`);
      await checkDirectory(root, real.slice(0, real.lastIndexOf("/")) || "/", shown);
      const handle = await openPath(real, FILE_FLAGS);
      try {
        // the entry, not followed, must be the inode opened: a symlink swapped in before the
        // open made it land on the link's target, which is not that entry
        const opened = await handle.stat();
        const entry = await Deno.lstat(real);
        if (entry.dev === opened.dev && entry.ino === opened.ino) return { handle, real };
      } catch (error) {
        await handle.close();
        throw asDenoError(error);
      }
      await handle.close();
      if (attempt === OPEN_ATTEMPTS) {
        throw new OutsideRootError(`"${shown}" kept changing while it was opened`);
      }
    }
  },
};

/** The check in use (see {@linkcode rootCheck}). */
export function checkInUse(): Check {
  return rootCheck() === "kernel" ? kernel : ownership;
}
