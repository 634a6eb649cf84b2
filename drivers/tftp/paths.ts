/**
 * Path safety: the TFTP root is the only thing that can be read, written or listed. Names with
 * `..` and absolute paths outside the root are refused by name; symlinks leading outside (and,
 * confined, names below directories others could swap for one) are refused by
 * `@jumpstarter/lib/fs`, whose checks a racing swap cannot get past.
 */
import {
  type ConfinedFile,
  deleteFileIn,
  isWithin,
  listFilesIn,
  NotRegularFileError,
  openFileIn,
  OutsideRootError,
  UnsafeDirectoryError,
  writeFileIn,
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

/** The refusal a file system error about `name` means, if it is one of those. */
function pathRefusal(error: unknown, name: string): PathRefusedError | undefined {
  if (error instanceof PathRefusedError) return error;
  if (error instanceof OutsideRootError) return denied(`"${name}" resolves outside the TFTP root`);
  if (error instanceof UnsafeDirectoryError) {
    // the detail (paths, owner, mode) is for the exporter's log, not for a TFTP client
    return denied(`"${name}" is below a directory other users can change`);
  }
  if (error instanceof Deno.errors.IsADirectory) return denied(`"${name}" is a directory`);
  if (error instanceof NotRegularFileError) return missing(`"${name}" is not a regular file`);
  if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
    return missing(`"${name}" does not exist`);
  }
  if (error instanceof Deno.errors.PermissionDenied) return denied(`"${name}" is not accessible`);
  // a missing grant (Deno.errors.NotCapable) is not: the exporter reports it as such
  return undefined;
}

/** What a TFTP client is answered: every failure is a refusal with a code. */
function refusalOf(error: unknown, name: string): PathRefusedError {
  // a link into /dev or /proc swapped in as the file was opened: Deno refused it
  if (error instanceof Deno.errors.NotCapable) return denied(`"${name}" is not accessible`);
  return pathRefusal(error, name) ??
    missing(`"${name}" cannot be opened: ${error instanceof Error ? error.message : error}`);
}

/**
 * Opens the file a client asked for and checks that what was opened is a regular file inside
 * `root` (which must itself be a real path): a symlink swapped in at any moment cannot lead out.
 *
 * @throws {PathRefusedError} with the TFTP error code to answer.
 */
export async function openServable(root: string, name: string): Promise<ConfinedFile> {
  const segments = rootSegments(root, name);
  try {
    return await openFileIn(root, segments);
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
  try {
    return await writeFileIn(root, segments, source);
  } catch (error) {
    // the upload's own failures (the client gone, a full disk) stay what they are
    throw pathRefusal(error, name) ?? error;
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
    await deleteFileIn(root, segments);
  } catch (error) {
    throw pathRefusal(error, name) ?? error;
  }
}

/** Files (and symlinks, not followed) below `root`, as sorted `/`-separated relative paths. */
export function listRoot(root: string): Promise<string[]> {
  return listFilesIn(root);
}
