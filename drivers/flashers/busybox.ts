/**
 * The busybox side of a flash, over the DUT's console: booting the bundle from the U-Boot prompt
 * and logging in, running commands at the shell prompt, finding the target block device, and
 * writing the image with `curl | [decompress |] dd` while reading dd's position for progress.
 * The commands are upstream's (`BaseFlasherClient`, `--method shell`), so a bundle that works
 * with upstream's client works here.
 */
import type { Expect } from "@jumpstarter/lib/streams";
import { DriverError } from "@jumpstarter/lib/wire";
import type { ManifestData } from "./manifest.ts";

/** Seconds for an ordinary shell command, as upstream's `EXPECT_TIMEOUT_DEFAULT`. */
export const COMMAND_TIMEOUT = 60;
/** Seconds `sync` may take after the write (upstream's `EXPECT_TIMEOUT_SYNC`). */
export const SYNC_TIMEOUT = 1200;
/** How long dd may be gone before its completion marker must have appeared. */
const MARKER_GRACE_MS = 5000;

/** A flash attempt that may succeed when retried (network, DHCP, a lost marker). */
export class FlashRetryableError extends DriverError {}
/** A flash attempt that will fail again (bad target, no dd). */
export class FlashNonRetryableError extends DriverError {}

/** Removes terminal control sequences and carriage returns from console text. */
export function plainText(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "");
}

/** The shell command upstream's flasher runs for an image name or URL (gzip, xz, zstd). */
export function decompressCommand(nameOrUrl: string): string {
  const name = nameOrUrl.replace(/[?#].*$/, "").toLowerCase();
  if (name.endsWith(".gz") || name.endsWith(".gzip")) return "zcat |";
  if (name.endsWith(".xz")) return "xzcat |";
  if (name.endsWith(".zst")) return "zstdcat |";
  return "";
}

/** What one progress report says: bytes dd has written, and when. */
export interface FlashProgress {
  written: number;
  /** Bytes per second since the previous report. */
  rate: number;
}

/** A logged-in busybox shell on the DUT's console. */
export class BusyboxShell {
  readonly console: Expect;
  readonly prompt: string;
  /** Seconds a command may take to give the prompt back. */
  readonly timeout: number;

  constructor(console: Expect, prompt: string, timeout = COMMAND_TIMEOUT) {
    this.console = console;
    this.prompt = prompt;
    this.timeout = timeout;
  }

  /**
   * Sends the boot command at the U-Boot prompt, logs in as the manifest says and waits for the
   * shell prompt.
   */
  static async boot(
    console: Expect,
    bootcmd: string,
    login: ManifestData["spec"]["login"],
    timeout = COMMAND_TIMEOUT,
  ) {
    await console.send(`${bootcmd}\n`);
    if (login.username) {
      await console.expect(login.login_prompt, { timeout: COMMAND_TIMEOUT * 3 });
      await console.send(`${login.username}\n`);
    }
    if (login.password) {
      await console.expect("ssword:", { timeout: COMMAND_TIMEOUT });
      await console.send(`${login.password}\n`);
    }
    await console.expect(login.prompt, { timeout: COMMAND_TIMEOUT * 3 });
    return new BusyboxShell(console, login.prompt, timeout);
  }

  /** Runs a command and returns what came before the next prompt (echo included). */
  async run(command: string, timeout = this.timeout): Promise<string> {
    await this.console.sendline(command);
    const { before } = await this.console.expect(this.prompt, { timeout });
    return plainText(before);
  }

  /** Runs a command and answers its exit status (`echo $?`). */
  async status(command: string, timeout = this.timeout): Promise<{
    output: string;
    status: number;
  }> {
    const output = (await this.run(command, timeout)).trim();
    const lines = (await this.run("echo $?")).trim().split("\n").map((line) => line.trim());
    const status = lines.reverse().find((line) => /^\d+$/.test(line));
    if (status === undefined) throw new FlashRetryableError(`Cannot read the status of ${command}`);
    return { output, status: Number(status) };
  }

  /** The block device whose sysfs link names `address` (`ls -l /sys/class/block/`). */
  async lookupBlockDevice(address: string): Promise<string> {
    const output = await this.run(`ls -l /sys/class/block/ | grep ${address} | head -n 1`);
    const lines = output.split("\n").filter((line) => line.includes("->"));
    const match = lines.map((line) => line.match(/\s(\w+)\s->/)).find(Boolean);
    if (!match) {
      throw new FlashNonRetryableError(
        `No block device found for address ${address}, output was: ${output.trim()}`,
      );
    }
    return `/dev/${match[1]}`;
  }

  /**
   * Streams `url` into `device` (`curl | [decompress |] dd`) in the background and follows dd
   * (its pid's `fdinfo/1` position, every second) until the pipeline prints its marker, then
   * syncs. Resolves with the bytes dd had reached at its last report.
   */
  async writeImage(options: {
    url: string;
    device: string;
    decompress: string;
    curlArgs: string;
    onProgress?: (progress: FlashProgress) => void;
    signal?: AbortSignal;
  }): Promise<number> {
    const { url, device, decompress, curlArgs } = options;
    // the marker is split in the command so that its echo cannot pass for the result
    await this.run(
      `( set -o pipefail; curl -fsSL ${curlArgs} "${url}" | ${decompress} ` +
        `dd of=${device} bs=64k iflag=fullblock oflag=direct && echo "F""LASH_COMPLETE" || ` +
        `echo "F""LASH_FAILED" ) &`,
      this.timeout * 2,
    );
    let seen = await this.run("pidof dd");
    const pid = seen.split("\n").map((line) => line.trim()).find((line) => /^\d+$/.test(line));
    if (!pid) throw new FlashNonRetryableError(`Could not find dd process ID: ${seen.trim()}`);
    let written = 0;
    let last = { bytes: 0, at: Date.now() };
    let goneSince: number | undefined;
    for (;;) {
      options.signal?.throwIfAborted();
      const data = await this.run(`cat /proc/${pid}/fdinfo/1`);
      seen = (seen + data).slice(-64 * 1024);
      if (seen.includes("FLASH_COMPLETE")) break;
      if (seen.includes("FLASH_FAILED")) {
        throw new FlashRetryableError(
          `Flash operation failed - curl or pipeline failed:\n${seen.slice(-2000).trim()}`,
        );
      }
      const position = data.match(/pos:\s+(\d+)/);
      if (position) {
        written = Number(position[1]);
        const now = Date.now();
        const rate = (written - last.bytes) / Math.max(0.001, (now - last.at) / 1000);
        options.onProgress?.({ written, rate });
        last = { bytes: written, at: now };
      } else if (data.includes("No such file or directory")) {
        goneSince ??= Date.now();
        if (Date.now() - goneSince > MARKER_GRACE_MS) {
          throw new FlashNonRetryableError(
            "Flash operation completed without success/failure marker",
          );
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    await this.run("sync", SYNC_TIMEOUT);
    return written;
  }
}
