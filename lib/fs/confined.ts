/**
 * Opening files and directories below a root so that nothing outside it is touched, symlinks
 * that stay inside included. Deno refuses `/proc/self/fd/N` (and `openat`) to anything short of
 * `-A`, so objects are reached by real paths that Deno's permission checker can match: every
 * name is resolved (`Deno.realPath`) and checked to be inside the root, the object is opened
 * by that real path without following a final symlink, and then checked once more to be the
 * very inode the real path names. A symlink swapped in at any component before the check
 * is refused; one swapped in after the check and out again before the recheck (a window of
 * two system calls) is the limit of what path-based checks can see. Linux only.
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

/** Whether the absolute real `path` is `root` or below it. */
export function isWithin(root: string, path: string): boolean {
  return path === root || path.startsWith(root === "/" ? "/" : `${root}/`);
}

/** A directory below the root, held open while it is used. */
export interface ConfinedDirectory {
  /** Its real path, checked inside the root: join names to it to act inside it. */
  readonly path: string;
  /** Where the directory really is (for messages); the same as `path`. */
  readonly realPath: string;
  close(): Promise<void>;
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

function joined(root: string, segments: readonly string[]): string {
  return segments.length === 0 ? root : `${root === "/" ? "" : root}/${segments.join("/")}`;
}

/** The real path of `path`, refused unless it is inside `root`. */
async function realPathIn(root: string, path: string, shown: string): Promise<string> {
  const real = await Deno.realPath(path);
  if (!isWithin(root, real)) throw new OutsideRootError(`"${shown}" leads out of ${root}`);
  return real;
}

/**
 * Opens `real` (a real path inside the root) without following a final symlink, then checks
 * that it is still where it was resolved: its real path unchanged and naming this inode.
 */
async function openChecked(
  real: string,
  flags: number,
  shown: string,
): Promise<{ handle: FileHandle; info: Awaited<ReturnType<FileHandle["stat"]>> }> {
  const handle = await open(real, flags | constants.O_NOFOLLOW).catch((error) => {
    throw (error as { code?: unknown })?.code === "ELOOP"
      ? new OutsideRootError(`"${shown}" changed while it was opened`)
      : asDenoError(error);
  });
  try {
    const info = await handle.stat();
    const again = await Deno.realPath(real).catch(() => undefined);
    const named = again === real ? await Deno.stat(real).catch(() => undefined) : undefined;
    if (named?.ino !== info.ino || named?.dev !== info.dev) {
      throw new OutsideRootError(`"${shown}" changed while it was opened`);
    }
    return { handle, info };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Opens the directory `segments` below `root` one component at a time, each checked to be
 * inside `root`; with `create`, missing components are made (inside, never through a link that
 * leads out).
 *
 * @param root the root's real path (see {@linkcode Deno.realPath}).
 * @throws {OutsideRootError} when a component leads out of the root.
 * @throws {Deno.errors.NotFound} / `NotADirectory` as the file system reports them.
 */
export async function openDirectoryIn(
  root: string,
  segments: readonly string[],
  options: { create?: boolean } = {},
): Promise<ConfinedDirectory> {
  const flags = constants.O_RDONLY | constants.O_DIRECTORY;
  let current = root;
  for (let depth = 0; depth < segments.length; depth++) {
    const next = `${current === "/" ? "" : current}/${segments[depth]}`;
    if (options.create) {
      // mkdir never follows a final symlink; an existing link is resolved and checked below
      await Deno.mkdir(next).catch((error) => {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      });
    }
    current = await realPathIn(root, next, segments.slice(0, depth + 1).join("/"));
  }
  const { handle, info } = await openChecked(current, flags, segments.join("/") || root);
  if (!info.isDirectory()) {
    await handle.close();
    throw new Deno.errors.NotADirectory(`"${segments.join("/")}" is not a directory`);
  }
  return { path: current, realPath: current, close: () => handle.close() };
}

/** A regular file below the root, opened for reading. */
export interface ConfinedFile {
  readonly file: Deno.FsFile;
  readonly info: Deno.FileInfo;
  /** Its real path. */
  readonly realPath: string;
}

/**
 * Opens the regular file `segments` below `root` for reading, after making sure what was opened
 * is a regular file inside the root. FIFOs and devices are refused without blocking.
 *
 * @param root the root's real path.
 * @throws {OutsideRootError} when the name leads out of the root.
 * @throws {NotRegularFileError} when it is a directory or another non-regular file.
 */
export async function openFileIn(root: string, segments: readonly string[]): Promise<ConfinedFile> {
  const shown = segments.join("/");
  const real = await realPathIn(root, joined(root, segments), shown);
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;
  const { handle, info: opened } = await openChecked(real, flags, shown);
  try {
    if (!opened.isFile()) throw new NotRegularFileError(`"${shown}" is not a regular file`);
    // a Deno file for the inode checked (held open, so its number cannot be reused meanwhile)
    const file = await Deno.open(real, { read: true });
    const info = await file.stat();
    if (info.ino !== opened.ino || info.dev !== opened.dev) {
      file.close();
      throw new OutsideRootError(`"${shown}" changed while it was opened`);
    }
    return { file, info, realPath: real };
  } finally {
    await handle.close();
  }
}
