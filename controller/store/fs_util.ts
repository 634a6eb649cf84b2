/** Small durable-file helpers. */

/** Writes all of `data` (write() may write less than asked). */
export async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    offset += await file.write(data.subarray(offset));
  }
}

/** fsyncs a directory, so that renames and creations in it are durable. */
export async function syncDir(dir: string): Promise<void> {
  if (Deno.build.os === "windows") return; // directories cannot be opened for sync there
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

/** Replaces `path` atomically: write `path.tmp`, fsync it, rename over `path`, fsync the dir. */
export async function writeFileAtomic(dir: string, name: string, data: Uint8Array): Promise<void> {
  const path = `${dir}/${name}`;
  const tmp = `${path}.tmp`;
  const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
  try {
    await writeAll(file, data);
    await file.sync();
  } finally {
    file.close();
  }
  await Deno.rename(tmp, path);
  await syncDir(dir);
}

/** The file's bytes, or undefined if it does not exist. */
export async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Removes a file if present. */
export async function removeIfExists(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** Whether `path` exists (without following a final symlink). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
