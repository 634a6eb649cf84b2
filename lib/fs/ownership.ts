/**
 * The ownership rule: the check that keeps the confined file operations inside a root when this
 * process cannot ask the kernel where a descriptor is (`/proc/self/fd` needs `-A` in Deno; see
 * `confined.ts` for when which check applies).
 *
 * A walk that passes only directories nobody but this user and root can change (owned by one of
 * them, no group or other write, or the sticky bit and an entry one of them owns) reaches the same
 * place however anybody else races it. Directories are judged by their owner against `Deno.uid()`
 * (the `sys` `uid` grant).
 */
import { isWithin, outside, pathIn, UnsafeDirectoryError } from "./confined_paths.ts";

const STICKY = 0o1000;
const OTHERS_WRITE = 0o022;

function trusted(uid: number | null, self: number | null): boolean {
  return uid === 0 || (uid !== null && uid === self);
}

/** Whether only this user and root can remove or replace `entry`, an entry of `parent`. */
function stableEntry(parent: Deno.FileInfo, entry: Deno.FileInfo, self: number | null): boolean {
  if (!trusted(parent.uid, self)) return false;
  const mode = parent.mode ?? 0o777;
  if ((mode & OTHERS_WRITE) === 0) return true;
  // in a sticky directory only an entry's owner, the directory's owner and root rename it
  return (mode & STICKY) !== 0 && trusted(entry.uid, self);
}

function unsafe(
  shown: string,
  path: string,
  info: Deno.FileInfo,
  self: number | null,
): UnsafeDirectoryError {
  const mode = ((info.mode ?? 0) & 0o7777).toString(8).padStart(4, "0");
  return new UnsafeDirectoryError(
    `Cannot use "${shown}" without a race: ${path} (owner uid ${info.uid}, mode ${mode}) can be ` +
      `changed by users other than uid ${self} and root`,
  );
}

/**
 * Checks that `real`, a real path at or below `root`, is a directory reached from `root` only
 * through directories nobody but this user and root can change: every later walk to it then
 * reaches it, whatever others do meanwhile. `root` itself is trusted as configured. This user is
 * `Deno.uid()` (the `sys` `uid` grant).
 *
 * @param shown the name the caller was given, for messages.
 * @param options `entries`: also require that entries this user makes in `real` can be changed
 * by nobody else (before making a directory there that a name will be reached through).
 * @returns `real`'s `lstat`.
 * @throws {OutsideRootError} when `real` is not below `root`.
 * @throws {UnsafeDirectoryError} when others could change a directory on the way.
 * @throws {Deno.errors.NotADirectory} when a component is no longer a directory.
 */
export async function checkDirectory(
  root: string,
  real: string,
  shown: string,
  options: { entries?: boolean } = {},
): Promise<Deno.FileInfo> {
  if (!isWithin(root, real)) throw outside(shown, root);
  const self = Deno.uid();
  let path = root;
  let info = await Deno.lstat(root);
  const below = real === root ? [] : real.slice(root === "/" ? 1 : root.length + 1).split("/");
  for (const name of below) {
    const parent = info;
    const parentPath = path;
    path = pathIn(path, [name]);
    info = await Deno.lstat(path);
    if (!info.isDirectory) {
      throw new Deno.errors.NotADirectory(`Cannot use "${shown}": ${path} is not a directory`);
    }
    if (!stableEntry(parent, info, self)) throw unsafe(shown, parentPath, parent, self);
  }
  if (!info.isDirectory) {
    throw new Deno.errors.NotADirectory(`Cannot use "${shown}": ${root} is not a directory`);
  }
  if (options.entries && !stableEntry(info, { ...info, uid: self }, self)) {
    throw unsafe(shown, path, info, self);
  }
  return info;
}
