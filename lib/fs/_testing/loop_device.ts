/**
 * Test support: real loop block devices (`losetup`), for tests of code that writes to a block
 * device. Attaching one needs root and the loop driver; tests check `loopDevicesAvailable()` first.
 */

/** Whether `losetup` can attach a loop device here (root, loop driver present). */
export function loopDevicesAvailable(): boolean {
  try {
    return Deno.uid() === 0 &&
      new Deno.Command("losetup", { args: ["-f"], stdout: "null", stderr: "null" }).outputSync()
        .success;
  } catch {
    return false;
  }
}

async function losetup(...args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command("losetup", { args }).output();
  const text = new TextDecoder();
  if (!success) throw new Error(`losetup ${args.join(" ")}: ${text.decode(stderr)}`);
  return text.decode(stdout).trim();
}

/** A loop device over `file`; dispose it to detach. */
export interface LoopDevice extends AsyncDisposable {
  /** `/dev/loopN`. */
  path: string;
}

/** Attaches the first free loop device to `file`. */
export async function attachLoopDevice(file: string): Promise<LoopDevice> {
  const path = await losetup("-f", "--show", file);
  return { path, [Symbol.asyncDispose]: async () => void await losetup("-d", path) };
}
