/**
 * Opening files and directories below a root so that nothing outside it is ever touched, even
 * while someone swaps path components for symlinks. Checking a path and then opening it are two
 * steps a swapper can race, so every operation goes through one of two checks, chosen once per
 * process (`rootCheck()`; `root_check.ts` has both behind one interface):
 *
 * - **kernel**, whenever this process can read `/proc/self/fd` (in Deno: with `-A`; so whenever
 *   files are served unconfined, the default of `jmp shell` and of any config with a driver that
 *   needs `-A`). The object is opened first and then the kernel is asked where it really is
 *   (`/proc/self/fd/N`); directories are then used through their descriptor
 *   (`/proc/self/fd/N/name`), so later steps cannot be redirected either. Race-free against
 *   anyone, whoever owns and may write the directories.
 * - **ownership**, otherwise (confined under scoped grants, where `/proc/self/fd` is refused).
 *   Every operation then walks a path from `/` (Deno has no `openat`), and a walk follows whatever
 *   a directory component is at that instant; no check made by other walks (`realPath`, `lstat`)
 *   can tell where the opening walk went (measured: 2 escapes in 1500 fetches of a file in a
 *   swapped directory). What holds instead (`ownership.ts`): a walk that passes only directories
 *   nobody but this user and root can change (owned by one of them, no group or other write, or
 *   sticky with an entry one of them owns) reaches the same place however anybody else races it.
 *   So the directory an operation acts in must be reached through such directories only; a name
 *   below any other (group-writable, or owned by another user: a root owned by `tftp` served by
 *   root too) is refused with `UnsafeDirectoryError`. In that directory the final entry
 *   may still change (others may write there: an upload directory): a file is opened, then its
 *   entry is looked up again without following it (`lstat`) and must be the very inode opened
 *   (device and inode number). Race-free against other users; a swapper running as this user or
 *   root can win it, but could read the outside file anyway.
 *
 * Symlinks that stay inside the root keep working under both. A hard link inside the root to an
 * outside file is inside by definition (`fs.protected_hardlinks` keeps others from making one).
 * Linux only (the exporter's platform).
 *
 * @module
 */
import type { FileHandle } from "node:fs/promises";
import { NotRegularFileError, pathIn } from "./confined_paths.ts";
import { asDenoError, checkInUse, type ConfinedDirectory } from "./root_check.ts";

export type { ConfinedDirectory };

/** Directories made for uploads: only their owner writes them, whatever the umask. */
const DIRECTORY_MODE = 0o755;

/** Options of {@linkcode openDirectoryIn}. */
export interface OpenDirectoryOptions {
  /** Makes missing directories (inside the root, never through a link that leads out). */
  create?: boolean;
  /** The name the caller was given, for messages (default: the segments joined). */
  shown?: string;
}

/**
 * Opens the directory `segments` below `root`, one component at a time, each found below `root`
 * once opened; names joined to the result's `path` are acted on in that very directory, however
 * others race (under the ownership check: once the walk to it was found safe). Close it after use.
 *
 * @param root the root's real path (see {@linkcode Deno.realPath}).
 * @throws {OutsideRootError} when a component leads out of the root.
 * @throws {UnsafeDirectoryError} under the ownership check, when others could change a directory
 * on the way.
 * @throws {Deno.errors.NotFound} / `NotADirectory` as the file system reports them.
 */
export async function openDirectoryIn(
  root: string,
  segments: readonly string[],
  options: OpenDirectoryOptions = {},
): Promise<ConfinedDirectory> {
  const check = checkInUse();
  const shown = options.shown ?? segments.join("/");
  let current = await check.enter(root, root, ".");
  try {
    for (let depth = 0; depth < segments.length; depth++) {
      const named = segments.slice(0, depth + 1).join("/");
      const next = pathIn(current.path, [segments[depth]!]);
      const opened = await check.enter(root, next, named).catch(async (error) => {
        if (!options.create || !(error instanceof Deno.errors.NotFound)) throw error;
        await check.beforeMaking(root, current, shown);
        await Deno.mkdir(next, { mode: DIRECTORY_MODE }).catch((error) => {
          if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
        });
        return await check.enter(root, next, named);
      });
      await current.close();
      current = opened;
    }
    await check.reached(root, current, shown);
    return current;
  } catch (error) {
    await current.close();
    throw error;
  }
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

function confinedFile(
  handle: FileHandle,
  size: number,
  mtime: Date | null,
  realPath: string,
): ConfinedFile {
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

/**
 * Opens the regular file `segments` below `root` for reading, after making sure what was opened
 * is inside the root (see the module doc for how). FIFOs and devices are refused without blocking.
 * Under the ownership check a file replaced while it was opened is opened again, up to 3 times.
 *
 * @param root the root's real path (see {@linkcode Deno.realPath}).
 * @throws {OutsideRootError} when the name leads out of the root, or kept changing as it was opened.
 * @throws {UnsafeDirectoryError} under the ownership check, when it is below a directory others
 * can change.
 * @throws {NotRegularFileError} when it is a directory or another non-regular file.
 * @throws {Deno.errors.NotFound} and the like as the file system reports them.
 */
export async function openFileIn(root: string, segments: readonly string[]): Promise<ConfinedFile> {
  const shown = segments.join("/");
  const { handle, real } = await checkInUse().openFile(root, pathIn(root, segments), shown);
  let kept = false;
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) throw new NotRegularFileError(`"${shown}" is not a regular file`);
    kept = true;
    return confinedFile(handle, opened.size, opened.mtime ?? null, real);
  } catch (error) {
    throw asDenoError(error);
  } finally {
    if (!kept) await handle.close();
  }
}
