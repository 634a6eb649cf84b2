/**
 * Writing an image to, and reading it from, a block device that a storage mux has just connected
 * to the host (upstream's `jumpstarter.common.storage`): wait for the device node to appear with
 * a medium in it, stream the bytes, fsync (retrying while the device reports I/O errors), then
 * give the device some leeway before it is switched away. A regular file works as well.
 */
import { createHash } from "node:crypto";
import { InvalidArgumentError } from "../wire/mod.ts";

/** What logs the progress (a driver's logger). */
export interface BlockDeviceLogger {
  debug(message: string): void;
  info(message: string): void;
}

/** Options of {@linkcode waitForBlockDevice}. */
export interface WaitOptions {
  /** Seconds to wait for the device to appear with a nonzero size (upstream's default 10). */
  timeoutS?: number;
  logger?: BlockDeviceLogger;
}

/** Options of {@linkcode writeBlockDevice}. */
export interface WriteOptions extends WaitOptions {
  /** Seconds fsync may keep failing with EIO before the write fails (default 900). */
  fsyncTimeoutS?: number;
  /** Seconds to wait after the fsync before returning (default 6). */
  leewayS?: number;
  /** SHA-256 the written bytes must have (checked once all are written: the device is overwritten). */
  expectedSha256?: string | null | undefined;
}

/** What a write put on the device. */
export interface BlockDeviceWrite {
  size: number;
  sha256: string;
}

const PROGRESS_STEP = 50 * 1024 * 1024;
const POLL_MS = 1000;

function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string") return code;
  const message = error instanceof Error ? error.message : "";
  if (/no medium found/i.test(message)) return "ENOMEDIUM";
  if (/input\/output error/i.test(message)) return "EIO";
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The device is not there, or not ready, yet: keep waiting. */
function notReadyYet(error: unknown): boolean {
  if (error instanceof Deno.errors.NotFound) return true;
  const errno = errnoOf(error);
  return errno === "ENOMEDIUM" || errno === "EIO";
}

/**
 * Waits until `path` opens (for writing or reading) and has a nonzero size.
 *
 * @throws {Error} naming the device when it is not ready within the timeout, or at once when
 *   opening fails for another reason (permission denied, ...).
 */
export async function waitForBlockDevice(
  path: string,
  mode: "write" | "read",
  options: WaitOptions = {},
): Promise<void> {
  const timeoutS = options.timeoutS ?? 10;
  const deadline = Date.now() + timeoutS * 1000;
  let waitingFor = "to appear";
  for (;;) {
    try {
      using file = await Deno.open(path, mode === "write" ? { write: true } : { read: true });
      if (await file.seek(0, Deno.SeekMode.End) > 0) {
        options.logger?.info(`storage device ${path} is ready`);
        return;
      }
      waitingFor = "to have a nonzero size";
    } catch (error) {
      if (!notReadyYet(error)) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`Cannot open storage device ${path}: ${reason}`, { cause: error });
      }
      waitingFor = error instanceof Deno.errors.NotFound ? "to appear" : "to be ready";
    }
    options.logger?.debug(`waiting for storage device ${path} ${waitingFor}`);
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new Error(
        `Storage device ${path} did not become ready within ${timeoutS} s (waiting for it ${waitingFor})`,
      );
    }
    await sleep(Math.min(POLL_MS, left));
  }
}

async function writeAll(file: Deno.FsFile, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) offset += await file.write(chunk.subarray(offset));
}

async function fsyncRetrying(file: Deno.FsFile, path: string, options: WriteOptions) {
  const timeoutS = options.fsyncTimeoutS ?? 900;
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    options.logger?.info(`fsyncing storage device ${path}, please wait`);
    try {
      await file.sync();
      return;
    } catch (error) {
      if (errnoOf(error) !== "EIO" || Date.now() + POLL_MS > deadline) throw error;
      await sleep(POLL_MS);
    }
  }
}

function megabytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

/** Runs `action` on the device at `path`; its failure becomes one line naming the device. */
async function onDevice<T>(path: string, doing: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    if (reason.includes(path)) throw error;
    throw new Error(`Cannot ${doing} storage device ${path}: ${reason}`, { cause: error });
  }
}

/**
 * Streams `data` onto the device at `path` from its first byte (in place: a device cannot be
 * replaced by a rename), then fsyncs and waits the leeway.
 *
 * @returns the size and SHA-256 of the bytes written.
 * @throws {InvalidArgumentError} when they differ from `expectedSha256`.
 */
export async function writeBlockDevice(
  path: string,
  data: ReadableStream<Uint8Array>,
  options: WriteOptions = {},
): Promise<BlockDeviceWrite> {
  await waitForBlockDevice(path, "write", options);
  const result = await onDevice(path, "write", async () => {
    using file = await Deno.open(path, { write: true });
    const hash = createHash("sha256");
    let size = 0;
    let nextReport = 0;
    for await (const chunk of data) {
      await writeAll(file, chunk);
      hash.update(chunk);
      size += chunk.byteLength;
      if (size > nextReport) {
        options.logger?.info(`written ${megabytes(size)} MB to storage device ${path}`);
        nextReport += PROGRESS_STEP;
      }
    }
    await fsyncRetrying(file, path, options);
    return { size, sha256: hash.digest("hex") };
  });
  await sleep((options.leewayS ?? 6) * 1000);
  const expected = options.expectedSha256?.toLowerCase();
  if (expected && expected !== result.sha256) {
    throw new InvalidArgumentError(
      `Checksum mismatch for the image written to ${path}: expected sha256 ${expected}, got ${result.sha256} (${result.size} bytes)`,
    );
  }
  return result;
}

/** Streams the whole device at `path` into `sink`. */
export async function readBlockDevice(
  path: string,
  sink: WritableStream<Uint8Array>,
  options: WaitOptions = {},
): Promise<number> {
  await waitForBlockDevice(path, "read", options);
  return await onDevice(path, "read", async () => {
    const file = await Deno.open(path, { read: true });
    let size = 0;
    let nextReport = 0;
    const counting = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > nextReport) {
          options.logger?.info(`read ${megabytes(size)} MB from storage device ${path}`);
          nextReport += PROGRESS_STEP;
        }
        controller.enqueue(chunk);
      },
    });
    await file.readable.pipeThrough(counting).pipeTo(sink);
    return size;
  });
}
