/**
 * The QEMU command line, built from a config and what exists right now (partitions, KVM). A pure
 * function, so that every option can be checked without starting QEMU.
 */
import { join } from "node:path";
import { archDefaults, type Hostfwd, type QemuConfig } from "./config.ts";

/** Where the instance's sockets live, inside its private directory. */
export function instancePaths(dir: string) {
  return {
    qmp: join(dir, "qmp.sock"),
    console: join(dir, "console.sock"),
    vnc: join(dir, "vnc.sock"),
    cidata: join(dir, "cidata"),
  };
}

/** A disk image to attach, with the block driver QEMU should read it with. */
export interface DiskImage {
  path: string;
  format: string;
}

/** Everything the command line depends on besides the config. */
export interface LaunchPlan {
  /** The instance's private directory (sockets, flashed partitions, cloud-init seed). */
  dir: string;
  /** Use KVM (else TCG). */
  kvm: boolean;
  bios?: string;
  ovmfCode?: string;
  ovmfVars?: string;
  root?: DiskImage;
  /** Attach the cloud-init seed directory as a read-only FAT disk labelled CIDATA. */
  cloudInit?: boolean;
}

/** QEMU splits option values at commas; a literal comma is written twice. */
export function escapeOption(value: string): string {
  return value.replaceAll(",", ",,");
}

function hostfwdRule(rule: Hostfwd): string {
  return `hostfwd=${rule.protocol}:${rule.hostaddr}:${rule.hostport}-:${rule.guestport}`;
}

/** The program to run, e.g. `qemu-system-aarch64`. */
export function qemuBinary(config: QemuConfig): string {
  return `qemu-system-${config.arch}`;
}

/**
 * The arguments for `qemu-system-<arch>`. The guest starts paused (`-S`): the driver attaches to
 * the console before it lets the CPUs run, so no output is lost.
 */
export function qemuArguments(config: QemuConfig, plan: LaunchPlan): string[] {
  const paths = instancePaths(plan.dir);
  const defaults = archDefaults(config.arch);
  const machine = config.machine ?? defaults?.machine;
  const cpu = config.cpu ?? (plan.kvm ? "host" : defaults?.cpu ?? null);
  const args = ["-nodefaults", "-display", "none", "-S"];
  if (machine) args.push("-machine", machine);
  args.push("-accel", plan.kvm ? "kvm" : "tcg");
  if (cpu) args.push("-cpu", cpu);
  args.push("-smp", String(config.smp), "-m", config.mem);
  args.push("-qmp", `unix:${escapeOption(paths.qmp)},server=on,wait=off`);
  args.push(
    "-chardev",
    `socket,id=console,path=${escapeOption(paths.console)},server=on,wait=off`,
    "-serial",
    "chardev:console",
  );
  args.push("-vnc", `unix:${escapeOption(paths.vnc)}`, "-device", "virtio-gpu-pci");
  const netdev = ["user", "id=eth0", ...Object.values(config.hostfwd).map(hostfwdRule)];
  args.push("-netdev", netdev.join(","), "-device", "virtio-net-pci,netdev=eth0");
  if (plan.bios) args.push("-bios", plan.bios);
  if (plan.ovmfCode) {
    args.push(
      "-drive",
      `if=pflash,format=raw,unit=0,readonly=on,file=${escapeOption(plan.ovmfCode)}`,
    );
  }
  if (plan.ovmfVars) {
    args.push(
      "-drive",
      `if=pflash,format=raw,unit=1,snapshot=on,file=${escapeOption(plan.ovmfVars)}`,
    );
  }
  if (plan.root) {
    args.push(
      "-blockdev",
      `driver=file,node-name=root-file,filename=${escapeOption(plan.root.path)}`,
      "-blockdev",
      `driver=${plan.root.format},node-name=root,file=root-file`,
      "-device",
      "virtio-blk-pci,drive=root,bootindex=1",
    );
  }
  if (plan.cloudInit) {
    args.push(
      "-blockdev",
      `driver=vvfat,node-name=cidata,dir=${escapeOption(paths.cidata)},label=CIDATA,read-only=on`,
      "-device",
      "virtio-blk-pci,drive=cidata",
    );
  }
  args.push(...config.extra_args);
  return args;
}
