/**
 * Creating, replacing, deleting and listing files below a root under the rule of `confined.ts`:
 * every operation acts on an entry of a directory that was resolved, found below the root and
 * reached only through directories nobody but this user and root can change; creating, renaming
 * and unlinking never follow the final entry. So a symlink swapped in anywhere cannot make one
 * act outside the root, and no `/proc/self/fd` (`-A`) is needed.
 */
import {
  checkDirectory,
  isWithin,
  OutsideRootError,
  pathIn,
  UnsafeDirectoryError,
} from "./confined.ts";

/** Temporary upload files start with this; they are never listed (drivers do not serve them). */
export const UPLOAD_PREFIX = ".jmp-upload-";

/** Directories made for uploads: only their owner writes them, so they stay usable (see above). */
const DIRECTORY_MODE = 0o755;

function isNotFound(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound;
}

/** Options of {@linkcode directoryIn}. */
export interface DirectoryInOptions {
  /** Makes missing directories (inside the root, never through a link that leads out). */
  create?: boolean;
  /** The name the caller was given, for messages (default: the segments joined). */
  shown?: string;
}

/**
 * Resolves the directory `segments` below `root` and checks it (`checkDirectory`): entries
 * joined to the returned path are acted on in that very directory, however others race.
 *
 * @param root the root's real path.
 * @returns the directory's real path.
 * @throws {OutsideRootError} when a component leads out of the root.
 * @throws {UnsafeDirectoryError} when others could change a directory on the way.
 * @throws {Deno.errors.NotFound} / `NotADirectory` as the file system reports them.
 */
export async function directoryIn(
  root: string,
  segments: readonly string[],
  options: DirectoryInOptions = {},
): Promise<string> {
  const shown = options.shown ?? segments.join("/");
  let current = root;
  for (let depth = 0; depth < segments.length; depth++) {
    const next = pathIn(current, [segments[depth]!]);
    let real: string;
    try {
      real = await Deno.realPath(next);
    } catch (error) {
      if (!options.create || !isNotFound(error)) throw error;
      // made in `current` itself, once the walk to it is known to hold and nobody else can
      // swap what is made there (names are reached through it)
      await checkDirectory(root, current, shown, { entries: true });
      await Deno.mkdir(next, { mode: DIRECTORY_MODE }).catch((error) => {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      });
      real = await Deno.realPath(next);
    }
    if (!isWithin(root, real)) {
      const named = segments.slice(0, depth + 1).join("/");
      throw new OutsideRootError(`"${named}" leads out of ${root}`);
    }
    current = real;
  }
  await checkDirectory(root, current, shown);
  return current;
}

async function writeAll(file: Deno.FsFile, chunk: Uint8Array): Promise<void> {
  for (let offset = 0; offset < chunk.byteLength;) {
    offset += await file.write(chunk.subarray(offset));
  }
}

/**
 * Writes `source` to the file `segments` below `root` (making missing directories) through a
 * temporary file renamed into place once complete and synced: a reader sees the old file or the
 * whole new one, and a broken upload leaves nothing behind.
 *
 * @param root the root's real path.
 * @returns the number of bytes written.
 * @throws {Deno.errors.IsADirectory} when the target is a directory.
 * @throws the errors of {@linkcode directoryIn}, and the source's.
 */
export async function writeFileIn(
  root: string,
  segments: readonly string[],
  source: ReadableStream<Uint8Array>,
): Promise<number> {
  const shown = segments.join("/");
  const directory = await directoryIn(root, segments.slice(0, -1), { create: true, shown });
  const target = pathIn(directory, [segments.at(-1)!]);
  const existing = await Deno.lstat(target).catch((error) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
  if (existing?.isDirectory) {
    throw new Deno.errors.IsADirectory(`Cannot write "${shown}": it is a directory`);
  }
  const temporary = pathIn(directory, [`${UPLOAD_PREFIX}${crypto.randomUUID()}`]);
  // a new name (O_EXCL): nothing swapped in there is followed
  const file = await Deno.open(temporary, { createNew: true, write: true, mode: 0o644 });
  let open = true;
  let renamed = false;
  try {
    let size = 0;
    for await (const chunk of source) {
      await writeAll(file, chunk);
      size += chunk.byteLength;
    }
    await file.syncData();
    file.close();
    open = false;
    // both entries of the checked directory; rename replaces a symlink, never follows it
    await Deno.rename(temporary, target);
    renamed = true;
    return size;
  } finally {
    if (open) file.close();
    if (!renamed) await Deno.remove(temporary).catch(() => {});
  }
}

/**
 * Deletes the file (or symlink, not followed) `segments` below `root`.
 *
 * @param root the root's real path.
 * @throws {Deno.errors.IsADirectory} when it is a directory.
 * @throws {Deno.errors.NotFound} when there is no such entry, and the errors of
 * {@linkcode directoryIn}.
 */
export async function deleteFileIn(root: string, segments: readonly string[]): Promise<void> {
  const shown = segments.join("/");
  const directory = await directoryIn(root, segments.slice(0, -1), { shown });
  const target = pathIn(directory, [segments.at(-1)!]);
  const info = await Deno.lstat(target);
  if (info.isDirectory) {
    throw new Deno.errors.IsADirectory(`Cannot delete "${shown}": it is a directory`);
  }
  // unlinks the entry itself, a symlink included
  await Deno.remove(target);
}

/**
 * Relative names of the files (and symlinks, not followed) below `root`, sorted, without uploads
 * in progress. Directories are listed once checked as {@linkcode directoryIn} checks them; those
 * below a directory others can change, whose files cannot be opened either, are left out.
 *
 * @param root the root's real path.
 */
export async function listFilesIn(root: string): Promise<string[]> {
  const names: string[] = [];
  const walk = async (directory: string, segments: string[]) => {
    for await (const entry of Deno.readDir(directory)) {
      if (entry.name.startsWith(UPLOAD_PREFIX)) continue;
      const path = [...segments, entry.name];
      if (!entry.isDirectory) {
        names.push(path.join("/"));
        continue;
      }
      const below = pathIn(directory, [entry.name]);
      try {
        await checkDirectory(root, below, path.join("/"));
      } catch (error) {
        if (error instanceof UnsafeDirectoryError) continue;
        if (isNotFound(error) || error instanceof Deno.errors.NotADirectory) continue;
        throw error;
      }
      await walk(below, path);
    }
  };
  await checkDirectory(root, root, ".");
  await walk(root, []);
  return names.sort();
}
