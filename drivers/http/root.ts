/**
 * The served directory: resolving names inside it (symlinks included), writing uploads
 * atomically, listing and deleting files.
 */
import { InvalidArgumentError } from "@jumpstarter/lib/wire";
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

  /** The absolute path of a checked relative name (not yet checked against symlinks). */
  join(segments: readonly string[]): string {
    return `${this.path === "/" ? "" : this.path}/${segments.join("/")}`;
  }

  /**
   * Whether `path` (which must exist) resolves, symlinks followed, to a place inside the root.
   */
  async contains(path: string): Promise<boolean> {
    const [real, root] = await Promise.all([Deno.realPath(path), Deno.realPath(this.path)]);
    return real === root || real.startsWith(root === "/" ? "/" : `${root}/`);
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
    const target = this.join(segments);
    const directory = this.join(segments.slice(0, -1)).replace(/\/$/, "") || "/";
    await Deno.mkdir(directory, { recursive: true });
    if (!await this.contains(directory)) {
      throw new InvalidArgumentError(`Invalid file name "${name}": it leads out of the root`);
    }
    const existing = await Deno.lstat(target).catch((error) => {
      if (isNotFound(error)) return undefined;
      throw error;
    });
    if (existing?.isDirectory) {
      throw new InvalidArgumentError(`Cannot write "${name}": it is a directory`);
    }
    const temporary = `${
      directory === "/" ? "" : directory
    }/${UPLOAD_PREFIX}${crypto.randomUUID()}`;
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
      await Deno.rename(temporary, target);
      renamed = true;
      return size;
    } finally {
      if (open) file.close();
      if (!renamed) await Deno.remove(temporary).catch(() => {});
    }
  }

  /**
   * Deletes the file `name`.
   *
   * @throws {InvalidArgumentError} when there is no such file or it is a directory.
   */
  async delete(name: string): Promise<void> {
    const path = this.join(this.segments(name));
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
  }

  /** Relative names of all files under the root, sorted; uploads in progress are left out. */
  async list(): Promise<string[]> {
    const names: string[] = [];
    const walk = async (prefix: string, directory: string) => {
      for await (const entry of Deno.readDir(directory)) {
        if (entry.name.startsWith(UPLOAD_PREFIX)) continue;
        const name = prefix + entry.name;
        if (entry.isDirectory) await walk(`${name}/`, `${directory}/${entry.name}`);
        else names.push(name);
      }
    };
    await walk("", this.path);
    return names.sort();
  }
}
