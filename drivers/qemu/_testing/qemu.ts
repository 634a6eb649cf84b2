/**
 * Test helpers: Debian's U-Boot builds for QEMU as guests, and process checks.
 */
import type { Expect } from "@jumpstarter/lib/streams";
import { type QemuConfig, qemuConfig } from "../config.ts";

/** Debian `u-boot-qemu`: U-Boot for `qemu-system-aarch64 -machine virt`. */
export const UBOOT_ARM64 = "/usr/lib/u-boot/qemu_arm64/u-boot.bin";
/** Debian `u-boot-qemu`: U-Boot for `qemu-system-arm -machine virt`. */
export const UBOOT_ARM = "/usr/lib/u-boot/qemu_arm/u-boot.bin";

/** A small aarch64 VM booting U-Boot (256 MiB, one CPU: quick under TCG). */
export function ubootVm(overrides: Parameters<typeof qemuConfig>[0] = {}): QemuConfig {
  return qemuConfig({
    arch: "aarch64",
    mem: "256M",
    smp: 1,
    "default_partitions": { bios: UBOOT_ARM64 },
    ...overrides,
  });
}

/** Whether a process with this id exists (`kill -0`). */
export async function pidAlive(pid: number): Promise<boolean> {
  const { success } = await new Deno.Command("sh", {
    args: ["-c", 'kill -0 "$1"', "sh", String(pid)],
    stdout: "null",
    stderr: "null",
  }).output();
  return success;
}

/** Interrupts U-Boot's autoboot and waits for its prompt. */
export async function interruptAutoboot(console: Expect): Promise<void> {
  await console.expect("Hit any key to stop autoboot", { timeout: 60 });
  await console.send("\x1b");
  await console.expect("\n=> ", { timeout: 30 });
}

/** The ids of the QEMU processes whose command line mentions `text` (e.g. a runtime directory). */
export async function qemuPidsMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => "");
    const [program = "", ...args] = cmdline.split("\0");
    if (/qemu-system-/.test(program) && args.some((arg) => arg.includes(text))) {
      pids.push(Number(entry.name));
    }
  }
  return pids;
}
