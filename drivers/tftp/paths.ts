/**
 * Path safety: the TFTP root is the only thing that can be read, written or listed. Names with
 * `..` and absolute paths outside the root are refused by name; symlinks leading outside are
 * refused by checking what was opened (see `@jumpstarter/lib/fs`), so swapping one in cannot race.
 */
import {
  isWithin,
  NotRegularFileError,
  openDirectoryIn,
  openFileIn,
  OutsideRootError,
} from "@jumpstarter/lib/fs";
import { ErrorCode } from "./packet.ts";

/** A name the root cannot serve; `code` is the TFTP error to answer with. */
export class PathRefusedError extends Error {
  readonly code: typeof ErrorCode.FILE_NOT_FOUND | typeof ErrorCode.ACCESS_VIOLATION;

  constructor(code: PathRefusedError["code"], message: string) {
    super(message);
    this.name = "PathRefusedError";
    this.code = code;
  }
}

/** Prefix of the temporary files uploads are written to before they replace the target. */
export const UPLOAD_PREFIX = ".jmp-upload-";

function denied(message: string): PathRefusedError {
  return new PathRefusedError(ErrorCode.ACCESS_VIOLATION, message);
}

function missing(message: string): PathRefusedError {
  return new PathRefusedError(ErrorCode.FILE_NOT_FOUND, message);
}

/**
 * Splits a requested name into segments below `root` (the root's real path). Absolute names are
 * accepted only when they point into the root.
 *
 * @throws {PathRefusedError} for `..` segments, absolute paths elsewhere, or the root itself.
 */
export function rootSegments(root: string, name: string): string[] {
  let relative = name;
  if (name.startsWith("/")) {
    const parts = name.split("/").filter((part) => part !== "" && part !== ".");
    if (parts.includes("..")) throw denied(`"${name}" contains ".."`);
    const absolute = `/${parts.join("/")}`;
    if (!isWithin(root, absolute)) throw denied(`"${name}" is outside the TFTP root`);
    relative = absolute.slice(root.length);
  }
  const segments = relative.split("/").filter((part) => part !== "" && part !== ".");
  if (segments.includes("..")) throw denied(`"${name}" contains ".."`);
  if (segments.length === 0) throw missing(`"${name}" names no file`);
  return segments;
}

function refusalOf(error: unknown, name: string): PathRefusedError {
  if (error instanceof PathRefusedError) return error;
  if (error instanceof OutsideRootError) return denied(`"${name}" resolves outside the TFTP root`);
  if (error instanceof NotRegularFileError) return missing(`"${name}" is not a regular file`);
  if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
    return missing(`"${name}" does not exist`);
  }
  if (error instanceof Deno.errors.PermissionDenied) return denied(`"${name}" is not readable`);
  return missing(`"${name}" cannot be opened: ${error instanceof Error ? error.message : error}`);
}

/** An opened file of the root, ready to be sent. */
export interface ServableFile {
  file: Deno.FsFile;
  size: number;
  /** Its real path. */
  path: string;
}

/**
 * Opens the file a client asked for and checks that what was opened is a regular file inside
 * `root` (which must itself be a real path): a symlink swapped in at any moment cannot lead out.
 *
 * @throws {PathRefusedError} with the TFTP error code to answer.
 */
export async function openServable(root: string, name: string): Promise<ServableFile> {
  const segments = rootSegments(root, name);
  try {
    const { file, info, realPath } = await openFileIn(root, segments);
    return { file, size: info.size, path: realPath };
  } catch (error) {
    throw refusalOf(error, name);
  }
}

/**
 * Writes a stream to `name` below `root`: into a temporary file first, renamed over the target
 * when complete, so transfers running from the old file are not disturbed. Missing parent
 * directories are made; none may lead out of the root. Returns bytes written.
 */
export async function writeIntoRoot(
  root: string,
  name: string,
  source: ReadableStream<Uint8Array>,
): Promise<number> {
  const segments = rootSegments(root, name);
  const directory = await openDirectoryIn(root, segments.slice(0, -1), { create: true })
    .catch((error) => {
      throw refusalOf(error, name);
    });
  try {
    const target = `${directory.path}/${segments.at(-1)}`;
    const existing = await Deno.lstat(target).catch(() => undefined);
    if (existing?.isDirectory) throw denied(`"${name}" is a directory`);
    const temporary = `${directory.path}/${UPLOAD_PREFIX}${crypto.randomUUID()}`;
    let written = 0;
    try {
      const file = await Deno.open(temporary, { write: true, createNew: true, mode: 0o644 });
      const counter = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          written += chunk.length;
          controller.enqueue(chunk);
        },
      });
      await source.pipeThrough(counter).pipeTo(file.writable);
      await Deno.rename(temporary, target);
    } catch (error) {
      await Deno.remove(temporary).catch(() => {});
      throw error;
    }
    return written;
  } finally {
    await directory.close();
  }
}

/**
 * Deletes the file (or symlink) `name` below `root`; directories are refused.
 *
 * @throws {PathRefusedError} when it is missing, a directory, or outside the root.
 */
export async function deleteFromRoot(root: string, name: string): Promise<void> {
  const segments = rootSegments(root, name);
  try {
    const directory = await openDirectoryIn(root, segments.slice(0, -1));
    try {
      const target = `${directory.path}/${segments.at(-1)}`;
      const info = await Deno.lstat(target);
      if (info.isDirectory) throw denied(`"${name}" is a directory`);
      await Deno.remove(target);
    } finally {
      await directory.close();
    }
  } catch (error) {
    throw refusalOf(error, name);
  }
}

/** Files (and symlinks, not followed) below `root`, as sorted `/`-separated relative paths. */
export async function listRoot(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (segments: string[]) => {
    const directory = await openDirectoryIn(root, segments);
    try {
      for await (const entry of Deno.readDir(directory.path)) {
        if (entry.name.startsWith(UPLOAD_PREFIX)) continue;
        const path = [...segments, entry.name];
        if (entry.isDirectory) await walk(path);
        else found.push(path.join("/"));
      }
    } finally {
      await directory.close();
    }
  };
  await walk([]);
  return found.sort();
}
