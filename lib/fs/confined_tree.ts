/**
 * Creating, replacing, deleting and listing files below a root: every operation acts on an entry
 * of a directory opened with `openDirectoryIn` (so under whichever check `confined.ts` says
 * applies), and creating, renaming and unlinking never follow the final entry. So a symlink
 * swapped in anywhere cannot make one act outside the root.
 */
import { type ConfinedDirectory, openDirectoryIn } from "./confined.ts";
import { OutsideRootError, pathIn, UnsafeDirectoryError } from "./confined_paths.ts";

/** Temporary upload files start with this; they are never listed (drivers do not serve them). */
export const UPLOAD_PREFIX = ".jmp-upload-";

function isNotFound(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound;
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
 * @throws the errors of {@linkcode openDirectoryIn}, and the source's.
 */
export async function writeFileIn(
  root: string,
  segments: readonly string[],
  source: ReadableStream<Uint8Array>,
): Promise<number> {
  const shown = segments.join("/");
  const directory = await openDirectoryIn(root, segments.slice(0, -1), { create: true, shown });
  try {
    return await writeInto(directory, segments.at(-1)!, shown, source);
  } finally {
    await directory.close();
  }
}

/** Writes `source` to the entry `name` of `directory` (see {@linkcode writeFileIn}). */
async function writeInto(
  directory: ConfinedDirectory,
  name: string,
  shown: string,
  source: ReadableStream<Uint8Array>,
): Promise<number> {
  const target = pathIn(directory.path, [name]);
  const existing = await Deno.lstat(target).catch((error) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
  if (existing?.isDirectory) {
    throw new Deno.errors.IsADirectory(`Cannot write "${shown}": it is a directory`);
  }
  const temporary = pathIn(directory.path, [`${UPLOAD_PREFIX}${crypto.randomUUID()}`]);
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
 * {@linkcode openDirectoryIn}.
 */
export async function deleteFileIn(root: string, segments: readonly string[]): Promise<void> {
  const shown = segments.join("/");
  const directory = await openDirectoryIn(root, segments.slice(0, -1), { shown });
  try {
    const target = pathIn(directory.path, [segments.at(-1)!]);
    const info = await Deno.lstat(target);
    if (info.isDirectory) {
      throw new Deno.errors.IsADirectory(`Cannot delete "${shown}": it is a directory`);
    }
    // unlinks the entry itself, a symlink included
    await Deno.remove(target);
  } finally {
    await directory.close();
  }
}

/** A directory a listing leaves out: gone, replaced, or one the ownership check refuses. */
function skipped(error: unknown): boolean {
  return error instanceof UnsafeDirectoryError || error instanceof OutsideRootError ||
    isNotFound(error) || error instanceof Deno.errors.NotADirectory;
}

/**
 * Relative names of the files (and symlinks, not followed) below `root`, sorted, without uploads
 * in progress. Each directory is opened as {@linkcode openDirectoryIn} opens it; those it refuses
 * (under the ownership check, those below a directory others can change, whose files cannot be
 * opened either) and those replaced meanwhile are left out.
 *
 * @param root the root's real path.
 */
export async function listFilesIn(root: string): Promise<string[]> {
  const names: string[] = [];
  const walk = async (directory: ConfinedDirectory, segments: string[]) => {
    for await (const entry of Deno.readDir(directory.path)) {
      if (entry.name.startsWith(UPLOAD_PREFIX)) continue;
      const path = [...segments, entry.name];
      if (!entry.isDirectory) {
        names.push(path.join("/"));
        continue;
      }
      const below = await openDirectoryIn(root, path).catch((error) => {
        if (skipped(error)) return undefined;
        throw error;
      });
      if (!below) continue;
      try {
        await walk(below, path);
      } finally {
        await below.close();
      }
    }
  };
  const top = await openDirectoryIn(root, [], { shown: "." });
  try {
    await walk(top, []);
  } finally {
    await top.close();
  }
  return names.sort();
}
