/**
 * The served directory: resolving names inside it (symlinks included, as long as they stay
 * inside), writing uploads atomically, listing and deleting files. Every operation goes through
 * directories opened and checked one component at a time, so a symlink swapped in at any
 * component cannot lead it outside.
 */
import { InvalidArgumentError } from "@jumpstarter/lib/wire";
import { type ConfinedDirectory, openDirectoryIn, OutsideRootError } from "@jumpstarter/lib/fs";
import { checkFileName, type Refusal, UPLOAD_PREFIX } from "./paths.ts";

const REFUSALS: Record<Refusal, string> = {
  traversal: "it must stay inside the root directory (no absolute path, no '.' or '..')",
  invalid: "it must be a non-empty relative path without empty segments or NUL",
  hidden: `names starting with "${UPLOAD_PREFIX}" are reserved for uploads in progress`,
};

async function writeAll(file: Deno.FsFile, chunk: Uint8Array): Promise<void> {
  for (let offset = 0; offset < chunk.byteLength;) {
    offset += await file.write(chunk.subarray(offset));
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound;
}

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

  /**
   * Opens the directory holding `segments` (all but the last), refusing any component that
   * leads out of the root; with `create`, missing directories are made inside the root.
   */
  async #parent(name: string, segments: string[], create: boolean): Promise<ConfinedDirectory> {
    try {
      return await openDirectoryIn(await this.real(), segments.slice(0, -1), { create });
    } catch (error) {
      if (error instanceof OutsideRootError) {
        throw new InvalidArgumentError(`Invalid file name "${name}": it leads out of the root`);
      }
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
        throw new InvalidArgumentError(`Cannot use "${name}": no such directory in ${this.path}`);
      }
      throw error;
    }
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
    const directory = await this.#parent(name, segments, true);
    try {
      const target = `${directory.path}/${segments.at(-1)}`;
      const existing = await Deno.lstat(target).catch((error) => {
        if (isNotFound(error)) return undefined;
        throw error;
      });
      if (existing?.isDirectory) {
        throw new InvalidArgumentError(`Cannot write "${name}": it is a directory`);
      }
      const temporary = `${directory.path}/${UPLOAD_PREFIX}${crypto.randomUUID()}`;
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
        // both names are looked up in the opened directory, never through a swapped path
        await Deno.rename(temporary, target);
        renamed = true;
        return size;
      } finally {
        if (open) file.close();
        if (!renamed) await Deno.remove(temporary).catch(() => {});
      }
    } finally {
      await directory.close();
    }
  }

  /**
   * Deletes the file `name`.
   *
   * @throws {InvalidArgumentError} when there is no such file or it is a directory.
   */
  async delete(name: string): Promise<void> {
    const segments = this.segments(name);
    const directory = await this.#parent(name, segments, false);
    try {
      const path = `${directory.path}/${segments.at(-1)}`;
      const info = await Deno.lstat(path).catch((error) => {
        if (isNotFound(error)) {
          throw new InvalidArgumentError(`Cannot delete "${name}": no such file in ${this.path}`);
        }
        throw error;
      });
      if (info.isDirectory) {
        throw new InvalidArgumentError(`Cannot delete "${name}": it is a directory`);
      }
      await Deno.remove(path);
    } finally {
      await directory.close();
    }
  }

  /**
   * Relative names of all files (and symlinks, not followed) under the root, sorted; uploads in
   * progress are left out. Directories are walked through their checked descriptors.
   */
  async list(): Promise<string[]> {
    const root = await this.real();
    const names: string[] = [];
    const walk = async (segments: string[]) => {
      const directory = await openDirectoryIn(root, segments);
      try {
        for await (const entry of Deno.readDir(directory.path)) {
          if (entry.name.startsWith(UPLOAD_PREFIX)) continue;
          if (entry.isDirectory) await walk([...segments, entry.name]);
          else names.push([...segments, entry.name].join("/"));
        }
      } finally {
        await directory.close();
      }
    };
    await walk([]);
    return names.sort();
  }
}
