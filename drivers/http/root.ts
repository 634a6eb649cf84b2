/**
 * The served directory: resolving names inside it (symlinks included, as long as they stay
 * inside), writing uploads atomically, listing and deleting files. Every operation goes through
 * `@jumpstarter/lib/fs`, which acts only in directories it found below the root (asking the kernel
 * where they are when it may, else reached through directories nobody else can change), so a
 * symlink swapped in at any component cannot lead it out.
 */
import { InvalidArgumentError } from "@jumpstarter/lib/wire";
import {
  deleteFileIn,
  listFilesIn,
  OutsideRootError,
  UnsafeDirectoryError,
  writeFileIn,
} from "@jumpstarter/lib/fs";
import { checkFileName, type Refusal, UPLOAD_PREFIX } from "./paths.ts";

const REFUSALS: Record<Refusal, string> = {
  traversal: "it must stay inside the root directory (no absolute path, no '.' or '..')",
  invalid: "it must be a non-empty relative path without empty segments or NUL",
  hidden: `names starting with "${UPLOAD_PREFIX}" are reserved for uploads in progress`,
};

/** A directory whose regular files are served and managed. */
export class FileRoot {
  /** Absolute path of the root, as configured. */
  readonly path: string;

  /** Uses `path` (made absolute), creating it if missing as upstream does. */
  constructor(path: string) {
    const absolute = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
    this.path = absolute.replace(/\/+$/, "") || "/";
    Deno.mkdirSync(this.path, { recursive: true });
  }

  /** The root's real path (symlinks resolved), against which every opened object is checked. */
  real(): Promise<string> {
    return Deno.realPath(this.path);
  }

  /** `error` of an operation on `name` as the error a client gets. */
  #refusal(action: string, name: string, error: unknown): unknown {
    if (error instanceof OutsideRootError) {
      return new InvalidArgumentError(`Invalid file name "${name}": it leads out of the root`);
    }
    if (error instanceof UnsafeDirectoryError) {
      return new InvalidArgumentError(`Cannot ${action} "${name}": ${error.message}`);
    }
    if (error instanceof Deno.errors.IsADirectory) {
      return new InvalidArgumentError(`Cannot ${action} "${name}": it is a directory`);
    }
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      const what = action === "delete" ? "file" : "directory";
      return new InvalidArgumentError(
        `Cannot ${action} "${name}": no such ${what} in ${this.path}`,
      );
    }
    return error;
  }

  /**
   * Checks a file name from a driver call.
   *
   * @throws {InvalidArgumentError} saying why the name was refused.
   */
  segments(name: string): string[] {
    const checked = checkFileName(name);
    if (!checked.ok) {
      throw new InvalidArgumentError(`Invalid file name "${name}": ${REFUSALS[checked.refusal]}`);
    }
    return checked.segments;
  }

  /**
   * Writes `source` to `name` through a temporary file renamed into place once complete, so a
   * reader never sees a partial file and a broken upload leaves nothing behind.
   *
   * @returns the number of bytes written.
   */
  async write(name: string, source: ReadableStream<Uint8Array>): Promise<number> {
    const segments = this.segments(name);
    try {
      return await writeFileIn(await this.real(), segments, source);
    } catch (error) {
      throw this.#refusal("write", name, error);
    }
  }

  /**
   * Deletes the file `name`.
   *
   * @throws {InvalidArgumentError} when there is no such file or it is a directory.
   */
  async delete(name: string): Promise<void> {
    const segments = this.segments(name);
    try {
      await deleteFileIn(await this.real(), segments);
    } catch (error) {
      throw this.#refusal("delete", name, error);
    }
  }

  /**
   * Relative names of all files (and symlinks, not followed) under the root, sorted; uploads in
   * progress are left out.
   */
  async list(): Promise<string[]> {
    return await listFilesIn(await this.real());
  }
}
