/**
 * The `config:` keys of a Qemu entry: upstream's (`arch`, `cpu`, `smp`, `mem`, `hostname`,
 * `username`, `password`, `default_partitions`, `hostfwd`, `disk_size`; `fls_*`, `flash_timeout`
 * and `launcher_socket` accepted and ignored) plus ours (`machine`, `accel`, `shutdown_timeout`,
 * `extra_args`).
 */
import { z } from "zod";

/** Partitions the flasher knows, as upstream: files in the instance's directory. */
export const PARTITIONS = ["root", "bios", "OVMF_CODE.fd", "OVMF_VARS.fd"] as const;
export type Partition = typeof PARTITIONS[number];

/** Child names the Qemu composite uses itself; hostfwd entries must not take them. */
export const RESERVED_CHILDREN = ["power", "console", "flasher", "vnc"] as const;

/** Per guest architecture: the default machine and CPU (upstream's for aarch64 and x86_64). */
const ARCH_DEFAULTS: Record<string, { machine: string; cpu: string | null }> = {
  aarch64: { machine: "virt", cpu: "cortex-a57" },
  arm: { machine: "virt", cpu: "cortex-a15" },
  "x86_64": { machine: "q35", cpu: "qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt" },
  i386: { machine: "q35", cpu: null },
  riscv64: { machine: "virt", cpu: null },
  riscv32: { machine: "virt", cpu: null },
};

const ARCH_ALIASES: Record<string, string> = { arm64: "aarch64", amd64: "x86_64", x64: "x86_64" };

/** The exporter machine's architecture in QEMU's naming. */
export function hostArch(): string {
  return Deno.build.arch;
}

/** Default machine and CPU for a guest architecture, if we know it. */
export function archDefaults(arch: string): { machine: string; cpu: string | null } | undefined {
  return ARCH_DEFAULTS[arch];
}

/** A size as QEMU and qemu-img read it: bytes, or a number with a K/M/G/T suffix. */
const SIZE = /^(\d+)([KMGT]?)$/i;

/** Whether `text` is a size QEMU reads, e.g. `512M`. */
export function isSize(text: string): boolean {
  return SIZE.test(text.trim());
}

/** Bytes in a size string such as `512M` or `2G`. */
export function parseSize(text: string): number {
  const match = SIZE.exec(text.trim());
  if (!match) throw new TypeError(`Invalid size "${text}": expected e.g. 512M or 2G`);
  const power = " KMGT".indexOf((match[2] || " ").toUpperCase());
  return Number(match[1]) * 1024 ** power;
}

const sizeString = (what: string) =>
  z.string().regex(SIZE, `${what} must be a size such as 512M or 2G`);

const port = z.number().int().min(1).max(65535);

/** One user-mode networking port forward: hostaddr:hostport on the exporter to guestport. */
export const hostfwdSchema = z.object({
  protocol: z.enum(["tcp", "udp"]).default("tcp"),
  hostaddr: z.string().min(1).default("127.0.0.1"),
  hostport: port,
  guestport: port,
}).strict();

export type Hostfwd = z.output<typeof hostfwdSchema>;

/** Where the exporter reaches a forwarded port: a wildcard bind is reached on loopback. */
export function forwardedEndpoint(rule: Hostfwd): { host: string; port: number } {
  const host = rule.hostaddr === "0.0.0.0" || rule.hostaddr === ""
    ? "127.0.0.1"
    : rule.hostaddr === "::"
    ? "::1"
    : rule.hostaddr;
  return { host, port: rule.hostport };
}

const childName = z.string().regex(
  /^[A-Za-z0-9_-]+$/,
  "hostfwd names are child names: letters, digits, '_' and '-'",
);

export const qemuConfigSchema = z.object({
  arch: z.string().regex(/^[a-z0-9_]+$/, "arch is a QEMU target name such as aarch64 or x86_64")
    .transform((arch) => ARCH_ALIASES[arch] ?? arch)
    .default(hostArch()),
  machine: z.string().min(1).nullable().default(null),
  cpu: z.string().min(1).nullable().default(null),
  smp: z.number().int().min(1).default(2),
  mem: sizeString("mem").default("512M"),
  accel: z.enum(["auto", "kvm", "tcg"]).default("auto"),
  hostname: z.string().min(1).default("demo"),
  username: z.string().min(1).default("jumpstarter"),
  password: z.string().default("password"),
  "default_partitions": z.partialRecord(z.enum(PARTITIONS), z.string().min(1)).default({}),
  "disk_size": sizeString("disk_size").nullable().default(null),
  hostfwd: z.record(childName, hostfwdSchema).default({}),
  "shutdown_timeout": z.number().min(0).default(0),
  "extra_args": z.array(z.string()).default([]),
  // upstream head's OCI flashing with fls and its sidecar mode: accepted, with a warning
  "fls_version": z.string().nullish(),
  "fls_allow_custom_binaries": z.boolean().nullish(),
  "fls_custom_binary_url": z.string().nullish(),
  "flash_timeout": z.number().positive().nullish(),
  "launcher_socket": z.string().nullish(),
}).strict().superRefine((config, context) => {
  if (config.machine === null && !archDefaults(config.arch)) {
    context.addIssue({
      code: "custom",
      path: ["machine"],
      message: `arch "${config.arch}" has no default machine: set machine (e.g. virt)`,
    });
  }
  for (const name of Object.keys(config.hostfwd)) {
    if ((RESERVED_CHILDREN as readonly string[]).includes(name)) {
      context.addIssue({
        code: "custom",
        path: ["hostfwd", name],
        message: `hostfwd name "${name}" is taken by the ${name} child`,
      });
    }
  }
});

/** Upstream keys that mean nothing here, and why; the exporter warns when one is set. */
export const IGNORED_KEYS: Readonly<Record<string, string>> = {
  "fls_version": "OCI flashing with fls is not supported here",
  "fls_allow_custom_binaries": "OCI flashing with fls is not supported here",
  "fls_custom_binary_url": "OCI flashing with fls is not supported here",
  "flash_timeout": "it limits OCI flashing with fls, which is not supported here",
  "launcher_socket":
    "sidecar mode (jumpstarter-exec) is not supported here: QEMU runs on the exporter",
};

/** A validated Qemu config (defaults filled in). */
export type QemuConfig = z.output<typeof qemuConfigSchema>;

/**
 * Whether the driver may try KVM for `config` (and so open `/dev/kvm`): not with `accel: tcg`,
 * and only for a guest of the host's architecture.
 */
export function mayUseKvm(config: Pick<QemuConfig, "accel" | "arch">): boolean {
  return config.accel !== "tcg" && config.arch === hostArch();
}

/** Parses a config map as the exporter does; handy for tests and programmatic use. */
export function qemuConfig(input: z.input<typeof qemuConfigSchema> = {}): QemuConfig {
  return qemuConfigSchema.parse(input);
}
