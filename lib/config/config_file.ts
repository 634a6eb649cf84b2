import { dirname } from "node:path";
import { ConfigError } from "./errors.ts";

function fileError(reason: string, path: string, cause: unknown): ConfigError {
  return new ConfigError(reason, { file: path, line: 0, column: 0, field: "" }, { cause });
}

/** Reads a config file; a missing or unreadable file is a {@link ConfigError} naming it. */
export async function readConfigText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw fileError("Config file not found", path, error);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw fileError("Permission denied reading config file", path, error);
    }
    if (error instanceof Deno.errors.IsADirectory) {
      throw fileError("Expected a config file, found a directory", path, error);
    }
    const detail = error instanceof Error ? error.message : String(error);
    throw fileError(`Cannot read config file: ${detail}`, path, error);
  }
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
