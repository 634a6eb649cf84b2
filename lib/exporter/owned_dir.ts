/**
 * Private directories that do not outlive their process: each holds an `flock`ed owner file for
 * as long as the process that made it lives, and making a new one removes the ones whose owner is
 * gone. A confined exporter's socket directory is one: when `jmp run` and its child are both
 * killed with SIGKILL (a test killing a process group, the OOM killer), nothing of theirs runs to
 * remove it, so the next `jmp run` does.
 *
 * @module
 */
import { tempDirectory } from "@jumpstarter/lib/driver";

/** The file an owned directory's process keeps locked. */
const OWNER = ".owner";

/** A directory this process owns. */
export interface OwnedDir {
  readonly path: string;
  /** Removes the directory with what is in it. */
  remove(): Promise<void>;
}

/**
 * Makes a directory named `prefix` + random characters in `parent` (default: the temp
 * directory), owned by this process, after removing the directories of that prefix there whose
 * owner died. The owner file appears only once locked (locked under another name, then renamed),
 * so a directory is never taken for dead while its maker is still setting it up.
 */
export async function makeOwnedDir(prefix: string, parent?: string): Promise<OwnedDir> {
  const path = await Deno.makeTempDir({ prefix, ...(parent ? { dir: parent } : {}) });
  const staging = `${path}/${OWNER}.new`;
  const owner = await Deno.open(staging, { write: true, createNew: true, mode: 0o600 });
  try {
    await owner.lock(true);
    await Deno.rename(staging, `${path}/${OWNER}`);
  } catch (error) {
    owner.close();
    await Deno.remove(path, { recursive: true }).catch(() => {});
    throw error;
  }
  await removeAbandoned(prefix, parent ?? tempDirectory(), path);
  let removing: Promise<void> | undefined;
  return {
    path,
    remove: () =>
      removing ??= (async () => {
        await Deno.remove(path, { recursive: true }).catch(() => {});
        owner.close();
      })(),
  };
}

/** Removes the directories `prefix*` in `parent` (but `keep`) whose owner file nobody holds. */
async function removeAbandoned(prefix: string, parent: string, keep: string): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(parent));
  } catch {
    return; // an unreadable parent: nothing to tidy, and nothing that should stop a start
  }
  for (const entry of entries) {
    const dir = `${parent}/${entry.name}`;
    if (!entry.isDirectory || !entry.name.startsWith(prefix) || dir === keep) continue;
    let owner: Deno.FsFile;
    try {
      owner = await Deno.open(`${dir}/${OWNER}`, { read: true });
    } catch {
      continue; // no owner file: being made right now, or not ours to judge
    }
    try {
      if (owner.tryLockSync(true)) await Deno.remove(dir, { recursive: true }).catch(() => {});
    } finally {
      owner.close();
    }
  }
}
