import { dirname } from "node:path";
import { ConfigError } from "./errors.ts";

function fileError(reason: string, path: string, cause?: unknown): ConfigError {
  const location = { file: path, line: 0, column: 0, field: "" };
  return new ConfigError(reason, location, cause === undefined ? {} : { cause });
}

/** Config files are small; anything larger is a mistake (a device, a log, an image). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Reads a config file; a missing, unreadable, non-regular or oversized file is a
 * {@link ConfigError} naming it. Reads at most {@link MAX_CONFIG_BYTES}, so `/dev/zero` or a FIFO
 * can neither exhaust memory nor block.
 */
export async function readConfigText(path: string): Promise<string> {
  try {
    const info = await Deno.stat(path);
    if (info.isDirectory) throw fileError("Expected a config file, found a directory", path);
    if (!info.isFile) {
      throw fileError(`Expected a regular config file, found ${specialKind(info)}`, path);
    }
    if (info.size > MAX_CONFIG_BYTES) throw tooLarge(path);
    return await readBounded(path);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if (error instanceof Deno.errors.NotFound) {
      throw fileError("Config file not found", path, error);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw fileError("Permission denied reading config file", path, error);
    }
    const detail = error instanceof Error ? error.message : String(error);
    throw fileError(`Cannot read config file: ${detail}`, path, error);
  }
}

async function readBounded(path: string): Promise<string> {
  using file = await Deno.open(path, { read: true });
  const bytes = new Uint8Array(MAX_CONFIG_BYTES + 1);
  let total = 0;
  for (;;) {
    const count = await file.read(bytes.subarray(total));
    if (count === null) break;
    total += count;
    if (total > MAX_CONFIG_BYTES) throw tooLarge(path);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, total));
  } catch (error) {
    throw fileError("Config file is not UTF-8 text", path, error);
  }
}

function tooLarge(path: string): ConfigError {
  return fileError(`Config file is larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB`, path);
}

function specialKind(info: Deno.FileInfo): string {
  if (info.isFifo) return "a FIFO";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isSocket) return "a socket";
  return "a special file";
}

/**
 * Replaces `path` with `text` so readers see the old or the new file, never half of one:
 * writes a private temporary file beside it, then renames it into place.
 */
export async function writeFileAtomic(path: string, text: string, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeTextFile(temp, text, { mode, createNew: true });
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}
