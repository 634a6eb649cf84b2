/**
 * Replacing a file-backed medium safely: the image is streamed into a staging file next to the
 * target and renamed over it only once every byte arrived (and the checksum matched), so a broken
 * upload never leaves a partial image that looks complete.
 */
import { basename, dirname, join } from "node:path";
import { InvalidArgumentError } from "@jumpstarter/lib/wire";
import { Digest } from "./digest.ts";
import type { WriteResult } from "./storage_mux_types.ts";

/** Options of {@linkcode writeStaged}. */
export interface StagedWriteOptions {
  /** Largest image accepted; the file is then extended (sparse) to exactly this size. */
  capacity?: number;
  /** SHA-256 the written bytes must have, or the target is left alone. */
  expectedSha256?: string;
}

async function writeAll(file: Deno.FsFile, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) offset += await file.write(chunk.subarray(offset));
}

/**
 * The staging name for `target`: hidden, in the same directory (so rename is atomic), naming the
 * writing process for whoever looks.
 */
export function stagingPath(target: string): string {
  return join(
    dirname(target),
    `.${basename(target)}.${Deno.pid}-${crypto.randomUUID()}.partial`,
  );
}

/** A new staging file, open for writing. */
interface Staging {
  readonly path: string;
  readonly file: Deno.FsFile;
  /** Gives up the lock that marks the file as being written; call once it is renamed or removed. */
  release(): void;
}

/**
 * Creates a staging file for `target`, locked (`flock`, on a handle of its own, so the lock
 * outlives the writable's close) until released: a staging file nobody holds locked is a dead
 * writer's, whatever its process id says, and telling so needs no `/proc` (refused to a confined
 * exporter).
 */
async function createStaging(target: string): Promise<Staging> {
  const path = stagingPath(target);
  // made and locked under a name the cleanup does not match, then renamed: a staging file never
  // shows unlocked to another process's removeStaleStaging
  const unnamed = `${path}.new`;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(unnamed, { write: true, createNew: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Deno.errors.NotFound(
      `Cannot write local file ${target}: directory ${dirname(target)} does not exist`,
    );
  }
  let lock: Deno.FsFile | undefined;
  try {
    lock = await Deno.open(unnamed, { read: true });
    await lock.lock(true);
    await Deno.rename(unnamed, path);
  } catch (error) {
    lock?.close();
    file.close();
    await Deno.remove(unnamed).catch(() => {});
    throw error;
  }
  return { path, file, release: () => lock.close() };
}

/**
 * Has `download` write into a staging file next to `target`, renamed to `target` only once the
 * download finished: a failed one leaves no file (and no open descriptor) behind.
 */
export async function downloadStaged(
  target: string,
  download: (sink: WritableStream<Uint8Array>) => Promise<void>,
): Promise<void> {
  const { path: staging, file, release } = await createStaging(target);
  try {
    await download(file.writable);
    await Deno.rename(staging, target);
  } catch (error) {
    try {
      file.close();
    } catch {
      // closed already, with the stream that wrote into it
    }
    await Deno.remove(staging).catch(() => {});
    throw error;
  } finally {
    release();
  }
}

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Whether nobody holds the staging file `path` locked: its writer is gone. */
function abandoned(path: string): boolean {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch {
    return false; // renamed or removed meanwhile
  }
  try {
    return file.tryLockSync(true);
  } finally {
    file.close();
  }
}

/**
 * Removes staging files of `target` left by writers that are gone (a process killed mid-flash):
 * call it when a driver owning `target` starts. Files of running processes (another exporter
 * writing the same medium) are left alone.
 *
 * @returns the paths removed.
 */
export function removeStaleStaging(target: string): string[] {
  const dir = dirname(target);
  const pattern = new RegExp(
    `^\\.${escapeRegExp(basename(target))}\\.(?:\\d+-)?${UUID}\\.partial$`,
  );
  const removed: string[] = [];
  let entries: Iterable<Deno.DirEntry>;
  try {
    entries = Deno.readDirSync(dir);
  } catch {
    return removed; // no directory yet: nothing was staged there
  }
  for (const entry of entries) {
    const match = pattern.exec(entry.name);
    if (!entry.isFile || !match) continue;
    if (!abandoned(join(dir, entry.name))) continue;
    try {
      Deno.removeSync(join(dir, entry.name));
      removed.push(join(dir, entry.name));
    } catch { /* raced with another cleaner, or not ours to remove */ }
  }
  return removed;
}

/**
 * Streams `data` into a staging file and renames it over `target`. On any failure the staging
 * file is removed and `target` keeps its previous content.
 *
 * @throws {InvalidArgumentError} when the image is too large or its checksum differs.
 */
export async function writeStaged(
  target: string,
  data: ReadableStream<Uint8Array>,
  options: StagedWriteOptions = {},
): Promise<WriteResult> {
  const { path: staging, file, release } = await createStaging(target);
  let open = true;
  // one chunk is written (on Deno's blocking pool) while the next arrives and is hashed here
  let writing: Promise<void> | undefined;
  try {
    const digest = new Digest();
    for await (const chunk of data) {
      if (options.capacity !== undefined && digest.size + chunk.byteLength > options.capacity) {
        throw new InvalidArgumentError(
          `Cannot write the image to ${target}: it is larger than the ${options.capacity}-byte storage`,
        );
      }
      await writing;
      writing = writeAll(file, chunk);
      // awaited at the next chunk; a failure meanwhile must not count as unhandled
      writing.catch(() => {});
      digest.update(chunk);
    }
    await writing;
    const result = { size: digest.size, sha256: digest.hex() };
    const expected = options.expectedSha256?.toLowerCase();
    if (expected !== undefined && expected !== result.sha256) {
      throw new InvalidArgumentError(
        `Checksum mismatch for the image written to ${target}: expected sha256 ${expected}, got ${result.sha256} (${result.size} bytes); the storage was left unchanged`,
      );
    }
    if (options.capacity !== undefined) await file.truncate(options.capacity);
    await file.syncData();
    file.close();
    open = false;
    await Deno.rename(staging, target);
    return result;
  } catch (error) {
    // a write still in flight ends before its file is closed and removed
    await writing?.catch(() => {});
    if (open) file.close();
    await Deno.remove(staging).catch(() => {});
    throw error;
  } finally {
    release();
  }
}
