/**
 * Opening files and directories below a root so that nothing outside it is ever touched, even
 * while someone swaps path components for symlinks. Checking a path and then opening it is two
 * steps an attacker can race; instead the object is opened first and then the kernel is asked
 * where it really is (`/proc/self/fd/N`). Directories are then used through their descriptor
 * (`/proc/self/fd/N/name`), so later steps cannot be redirected either. Symlinks that stay
 * inside the root keep working. Linux only (the exporter's platform).
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

function descriptorPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** Where the kernel says descriptor `fd` points, " (deleted)" suffix dropped. */
async function openedPath(fd: number): Promise<string> {
  return (await Deno.readLink(descriptorPath(fd))).replace(/ \(deleted\)$/, "");
}

/** A directory below the root, held open; `path` reaches it through its descriptor. */
export interface ConfinedDirectory {
  /** `/proc/self/fd/N`: join names to it to act inside this very directory. */
  readonly path: string;
  /** Where the directory really is (for messages). */
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

async function checkedOpen(
  path: string,
  flags: number,
  root: string,
  shown: string,
): Promise<{ handle: FileHandle; real: string }> {
  const handle = await open(path, flags).catch((error) => {
    throw asDenoError(error);
  });
  try {
    const real = await openedPath(handle.fd);
    if (!isWithin(root, real)) throw new OutsideRootError(`"${shown}" leads out of ${root}`);
    return { handle, real };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Opens the directory `segments` below `root` one component at a time, each checked to be
 * inside `root` once opened; with `create`, missing components are made (inside, never through
 * a link that leads out).
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
  let current = await checkedOpen(root, flags, root, root);
  try {
    for (let depth = 0; depth < segments.length; depth++) {
      const next = `${descriptorPath(current.handle.fd)}/${segments[depth]}`;
      if (options.create) {
        await Deno.mkdir(next).catch((error) => {
          if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
        });
      }
      const shown = segments.slice(0, depth + 1).join("/");
      const opened = await checkedOpen(next, flags, root, shown);
      await current.handle.close();
      current = opened;
    }
  } catch (error) {
    await current.handle.close();
    throw error;
  }
  const { handle, real } = current;
  return { path: descriptorPath(handle.fd), realPath: real, close: () => handle.close() };
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
  const path = `${root === "/" ? "" : root}/${segments.join("/")}`;
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;
  const { handle, real } = await checkedOpen(path, flags, root, segments.join("/"));
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) {
      throw new NotRegularFileError(`"${segments.join("/")}" is not a regular file`);
    }
    // a Deno file for the very inode checked: the descriptor link cannot be redirected
    const file = await Deno.open(descriptorPath(handle.fd), { read: true });
    const info = await file.stat();
    if (info.ino !== opened.ino || info.dev !== opened.dev) {
      file.close();
      throw new OutsideRootError(`"${segments.join("/")}" changed while it was opened`);
    }
    return { file, info, realPath: real };
  } finally {
    await handle.close();
  }
}
