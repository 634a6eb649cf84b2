/**
 * Path safety: the TFTP root is the only thing that can be read, written or listed. Names with
 * `..`, absolute paths outside the root, and symlinks resolving outside it are refused before
 * anything outside is opened.
 */
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

/** Whether `path` is `root` or below it (both absolute, without symlinks or `..`). */
export function isInside(root: string, path: string): boolean {
  if (path === root) return true;
  return path.startsWith(root.endsWith("/") ? root : `${root}/`);
}

/** `root` joined with relative segments. */
export function joinRoot(root: string, segments: readonly string[]): string {
  if (segments.length === 0) return root;
  return `${root.endsWith("/") ? root : `${root}/`}${segments.join("/")}`;
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
    if (!isInside(root, absolute)) throw denied(`"${name}" is outside the TFTP root`);
    relative = absolute.slice(root.length);
  }
  const segments = relative.split("/").filter((part) => part !== "" && part !== ".");
  if (segments.includes("..")) throw denied(`"${name}" contains ".."`);
  if (segments.length === 0) throw missing(`"${name}" names no file`);
  return segments;
}

function refusalOf(error: unknown, name: string): PathRefusedError {
  if (error instanceof PathRefusedError) return error;
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
 * Opens the file a client asked for, after checking that its real path (symlinks resolved) is a
 * regular file inside `root` (which must itself be a real path).
 *
 * @throws {PathRefusedError} with the TFTP error code to answer.
 */
export async function openServable(root: string, name: string): Promise<ServableFile> {
  const segments = rootSegments(root, name);
  let file: Deno.FsFile | undefined;
  try {
    const path = await Deno.realPath(joinRoot(root, segments));
    if (!isInside(root, path)) throw denied(`"${name}" resolves outside the TFTP root`);
    // stat before opening: opening a FIFO for reading would block
    if (!(await Deno.stat(path)).isFile) throw missing(`"${name}" is not a regular file`);
    file = await Deno.open(path, { read: true });
    const opened = await file.stat();
    // the path may have been swapped between the checks and the open: confirm what was opened
    const now = await Deno.stat(path);
    const still = await Deno.realPath(path);
    if (still !== path || now.ino !== opened.ino || now.dev !== opened.dev || !opened.isFile) {
      throw denied(`"${name}" changed while it was being opened`);
    }
    return { file, size: opened.size, path };
  } catch (error) {
    file?.close();
    throw refusalOf(error, name);
  }
}

/**
 * Walks `segments` (all but the last, which is returned as a path) below `root`, refusing
 * symlinked or non-directory parents; with `create`, missing parents are made.
 */
async function parentChain(root: string, segments: string[], create: boolean): Promise<string> {
  for (let depth = 1; depth < segments.length; depth++) {
    const dir = joinRoot(root, segments.slice(0, depth));
    let info: Deno.FileInfo | undefined;
    try {
      info = await Deno.lstat(dir);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound) || !create) throw error;
    }
    if (info === undefined) await Deno.mkdir(dir);
    else if (!info.isDirectory) {
      throw denied(`"${segments.join("/")}": "${dir}" is not a directory`);
    }
  }
  return joinRoot(root, segments);
}

/**
 * Writes a stream to `name` below `root`: into a temporary file first, renamed over the target
 * when complete, so transfers running from the old file are not disturbed. Returns bytes written.
 */
export async function writeIntoRoot(
  root: string,
  name: string,
  source: ReadableStream<Uint8Array>,
): Promise<number> {
  const segments = rootSegments(root, name);
  const target = await parentChain(root, segments, true);
  const existing = await Deno.lstat(target).catch(() => undefined);
  if (existing?.isDirectory) throw denied(`"${name}" is a directory`);
  const temporary = joinRoot(root, [
    ...segments.slice(0, -1),
    `${UPLOAD_PREFIX}${crypto.randomUUID()}`,
  ]);
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
}

/**
 * Deletes the file (or symlink) `name` below `root`; directories are refused.
 *
 * @throws {PathRefusedError} when it is missing, a directory, or outside the root.
 */
export async function deleteFromRoot(root: string, name: string): Promise<void> {
  const segments = rootSegments(root, name);
  try {
    const target = await parentChain(root, segments, false);
    const info = await Deno.lstat(target);
    if (info.isDirectory) throw denied(`"${name}" is a directory`);
    await Deno.remove(target);
  } catch (error) {
    throw refusalOf(error, name);
  }
}

/** Files (and symlinks) below `root`, as sorted `/`-separated relative paths. */
export async function listRoot(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (segments: string[]) => {
    for await (const entry of Deno.readDir(joinRoot(root, segments))) {
      if (entry.name.startsWith(UPLOAD_PREFIX)) continue;
      const path = [...segments, entry.name];
      if (entry.isDirectory) await walk(path);
      else found.push(path.join("/"));
    }
  };
  await walk([]);
  return found.sort();
}
