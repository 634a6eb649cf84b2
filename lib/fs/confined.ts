/**
 * Opening files below a root so that nothing outside it is ever read, even while someone swaps
 * path components for symlinks, with no more than a read grant on the root.
 *
 * Deno has no `openat` and reads `/proc/self/fd` only with `-A`, so every operation walks a path
 * from `/`, and a walk follows whatever a directory component is at that instant. No check made by
 * other walks (`realPath`, `lstat`) can tell where the opening walk went: whoever swaps a directory
 * for a symlink to `/etc` and back can time it so the opening walk leaves the root and every
 * checking walk stays inside (measured: 2 escapes in 1500 fetches of a file in a swapped
 * directory). What can be relied on instead:
 *
 * - a walk that passes only directories nobody but this user and root can change (owned by one of
 *   them, no group or other write, or the sticky bit and an entry one of them owns) reaches the
 *   same place however anybody else races it. So the directory an operation acts in must be
 *   reached through such directories only ({@linkcode checkDirectory}); a name below a directory
 *   others can change is refused ({@linkcode UnsafeDirectoryError}).
 * - in that directory, the final entry may change under us (others may write there: an upload
 *   directory). A file is opened, then its entry is looked up again without following it
 *   (`lstat`) and must be the very inode opened (device and inode number). A symlink swapped in
 *   before the open makes the open land on its target, which is not that entry: refused.
 *
 * Symlinks inside the root keep working: a name is resolved (`Deno.realPath`), and the resolved
 * path, which must be below the root, is what is checked and opened. A hard link inside the root to
 * an outside file is inside by definition (`fs.protected_hardlinks` keeps others from making one).
 * Whoever runs as this user or root could read the outside file anyway. Linux only.
 */
import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";

/** A name that resolves outside the root (through a symlink at some component). */
export class OutsideRootError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutsideRootError";
  }
}

/** A name that exists but is not what the operation needs (a directory, a FIFO...). */
export class NotRegularFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotRegularFileError";
  }
}

/**
 * A name reached through a directory that users other than this one and root can change: without
 * `openat`, nothing keeps them from swapping a component for a symlink out of the root mid-walk.
 */
export class UnsafeDirectoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsafeDirectoryError";
  }
}

/** Whether the absolute real `path` is `root` or below it. */
export function isWithin(root: string, path: string): boolean {
  return path === root || path.startsWith(root === "/" ? "/" : `${root}/`);
}

/** `root` joined with `names` (`root` itself for none). */
export function pathIn(root: string, names: readonly string[]): string {
  return names.length === 0 ? root : `${root === "/" ? "" : root}/${names.join("/")}`;
}

const STICKY = 0o1000;
const OTHERS_WRITE = 0o022;

function trusted(uid: number | null, self: number | null): boolean {
  return uid === 0 || (uid !== null && uid === self);
}

/** Whether only this user and root can remove or replace `entry`, an entry of `parent`. */
function stableEntry(parent: Deno.FileInfo, entry: Deno.FileInfo, self: number | null): boolean {
  if (!trusted(parent.uid, self)) return false;
  const mode = parent.mode ?? 0o777;
  if ((mode & OTHERS_WRITE) === 0) return true;
  // in a sticky directory only an entry's owner, the directory's owner and root rename it
  return (mode & STICKY) !== 0 && trusted(entry.uid, self);
}

function unsafe(
  shown: string,
  path: string,
  info: Deno.FileInfo,
  self: number | null,
): UnsafeDirectoryError {
  const mode = ((info.mode ?? 0) & 0o7777).toString(8).padStart(4, "0");
  return new UnsafeDirectoryError(
    `Cannot use "${shown}" without a race: ${path} (owner uid ${info.uid}, mode ${mode}) can be ` +
      `changed by users other than uid ${self} and root`,
  );
}

/**
 * Checks that `real`, a real path at or below `root`, is a directory reached from `root` only
 * through directories nobody but this user and root can change: every later walk to it then
 * reaches it, whatever others do meanwhile. `root` itself is trusted as configured. This user is
 * `Deno.uid()` (the `sys` `uid` grant).
 *
 * @param shown the name the caller was given, for messages.
 * @param options `entries`: also require that entries this user makes in `real` can be changed
 * by nobody else (before making a directory there that a name will be reached through).
 * @returns `real`'s `lstat`.
 * @throws {OutsideRootError} when `real` is not below `root`.
 * @throws {UnsafeDirectoryError} when others could change a directory on the way.
 * @throws {Deno.errors.NotADirectory} when a component is no longer a directory.
 */
export async function checkDirectory(
  root: string,
  real: string,
  shown: string,
  options: { entries?: boolean } = {},
): Promise<Deno.FileInfo> {
  if (!isWithin(root, real)) throw new OutsideRootError(`"${shown}" leads out of ${root}`);
  const self = Deno.uid();
  let path = root;
  let info = await Deno.lstat(root);
  const below = real === root ? [] : real.slice(root === "/" ? 1 : root.length + 1).split("/");
  for (const name of below) {
    const parent = info;
    const parentPath = path;
    path = pathIn(path, [name]);
    info = await Deno.lstat(path);
    if (!info.isDirectory) {
      throw new Deno.errors.NotADirectory(`Cannot use "${shown}": ${path} is not a directory`);
    }
    if (!stableEntry(parent, info, self)) throw unsafe(shown, parentPath, parent, self);
  }
  if (!info.isDirectory) {
    throw new Deno.errors.NotADirectory(`Cannot use "${shown}": ${root} is not a directory`);
  }
  if (options.entries && !stableEntry(info, { ...info, uid: self }, self)) {
    throw unsafe(shown, path, info, self);
  }
  return info;
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
function asDenoError(error: unknown): unknown {
  const code = (error as { code?: unknown })?.code;
  const kind = typeof code === "string" ? DENO_ERRORS[code] : undefined;
  return kind ? new kind((error as Error).message) : error;
}

/** A regular file below the root, opened for reading. */
export interface ConfinedFile {
  /** Its size in bytes when it was opened. */
  readonly size: number;
  readonly mtime: Date | null;
  /** Its real path. */
  readonly realPath: string;
  /** Reads into `buffer` from byte `position`; resolves to the count read, 0 at the end. */
  read(buffer: Uint8Array, position: number): Promise<number>;
  /** Its bytes from `start` to the end; the file is closed when the stream ends or is cancelled. */
  readable(start?: number): ReadableStream<Uint8Array>;
  /** Closes the file (again: no-op). */
  close(): Promise<void>;
}

const CHUNK = 64 * 1024;

function confinedFile(handle: FileHandle, size: number, mtime: Date | null, realPath: string) {
  let closing: Promise<void> | undefined;
  const close = () => closing ??= handle.close().catch(() => {});
  const read = async (buffer: Uint8Array, position: number) =>
    (await handle.read(buffer, 0, buffer.byteLength, position)).bytesRead;
  const readable = (start = 0) => {
    let position = start;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const buffer = new Uint8Array(CHUNK);
          const count = await read(buffer, position);
          if (count === 0) {
            await close();
            controller.close();
            return;
          }
          position += count;
          controller.enqueue(buffer.subarray(0, count));
        } catch (error) {
          await close();
          throw error;
        }
      },
      cancel: close,
    }, { highWaterMark: 0 });
  };
  return { size, mtime, realPath, read, readable, close };
}

/** Read-only; FIFOs and devices opened without blocking or becoming the controlling terminal. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/** Tries when the entry was replaced between the open and the check (an upload renamed over it). */
const OPEN_ATTEMPTS = 3;

/**
 * Opens the regular file `segments` below `root` for reading, after making sure what was opened
 * is that file's entry inside the root (see the module's rule). A file replaced while it was
 * opened is opened again, up to 3 times.
 *
 * @param root the root's real path (see {@linkcode Deno.realPath}).
 * @throws {OutsideRootError} when the name leads out of the root, or kept changing as it was opened.
 * @throws {UnsafeDirectoryError} when it is below a directory others can change.
 * @throws {NotRegularFileError} when it is a directory or another non-regular file.
 * @throws {Deno.errors.NotFound} and the like as the file system reports them.
 */
export async function openFileIn(root: string, segments: readonly string[]): Promise<ConfinedFile> {
  const shown = segments.join("/");
  for (let attempt = 1;; attempt++) {
    const real = await Deno.realPath(pathIn(root, segments));
    if (!isWithin(root, real)) throw new OutsideRootError(`"${shown}" leads out of ${root}`);
    if (real === root) throw new NotRegularFileError(`"${shown}" is not a regular file`);
    await checkDirectory(root, real.slice(0, real.lastIndexOf("/")) || "/", shown);
    const handle = await open(real, OPEN_FLAGS).catch((error) => {
      throw asDenoError(error);
    });
    let kept = false;
    try {
      const opened = await handle.stat();
      if (!opened.isFile()) throw new NotRegularFileError(`"${shown}" is not a regular file`);
      const entry = await Deno.lstat(real);
      if (entry.dev === opened.dev && entry.ino === opened.ino) {
        kept = true;
        return confinedFile(handle, opened.size, opened.mtime ?? null, real);
      }
    } catch (error) {
      throw asDenoError(error);
    } finally {
      if (!kept) await handle.close();
    }
    if (attempt === OPEN_ATTEMPTS) {
      throw new OutsideRootError(`"${shown}" kept changing while it was opened`);
    }
  }
}
