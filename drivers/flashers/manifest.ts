/**
 * The flasher bundle manifest (`manifest.yaml`, kind `FlashBundleManifest`, apiVersion
 * `jumpstarter.dev/v1alpha1`): what a bundle boots (kernel, initramfs, DTB variants, their load
 * addresses, the boot command), how to log in to its shell, and where its targets are. Same
 * fields and defaults as upstream's `FlasherBundleManifestV1Alpha1`; both the driver and the
 * client read it.
 */
import { z } from "zod";
import { validateSource, YamlSource } from "@jumpstarter/lib/config";
import { InvalidArgumentError } from "@jumpstarter/lib/wire";

const fileAddressSchema = z.object({ file: z.string().min(1), address: z.string().min(1) });

const dtbVariantSchema = z.object({
  bootcmd: z.string().nullable().default(null),
  file: z.string().nullable().default(null),
});

const loginSchema = z.object({
  "login_prompt": z.string(),
  username: z.string().nullable().default(null),
  password: z.string().nullable().default(null),
  prompt: z.string().min(1),
});

const specSchema = z.object({
  manufacturer: z.string(),
  link: z.string().nullable(),
  bootcmd: z.string().min(1),
  shelltype: z.literal("busybox").default("busybox"),
  login: loginSchema.default({
    "login_prompt": "login:",
    username: null,
    password: null,
    prompt: "#",
  }),
  "default_target": z.string(),
  targets: z.record(z.string(), z.string()),
  kernel: fileAddressSchema,
  initram: fileAddressSchema.nullable().default(null),
  dtb: z.object({
    default: z.string(),
    address: z.string(),
    variants: z.record(z.string(), dtbVariantSchema),
  }).nullable().default(null),
  "preflash_commands": z.array(z.string()).default([]),
});

/** The manifest schema (unknown keys are ignored, as pydantic does upstream). */
export const manifestSchema = z.object({
  apiVersion: z.literal("jumpstarter.dev/v1alpha1").default("jumpstarter.dev/v1alpha1"),
  kind: z.literal("FlashBundleManifest").default("FlashBundleManifest"),
  metadata: z.object({ name: z.string() }),
  spec: specSchema,
});

export type ManifestData = z.output<typeof manifestSchema>;

/** The prefix of a target that names a block device by its bus address, resolved on the DUT. */
export const SYSFS_TARGET_PREFIX = "/sys/class/block#";

/** A parsed manifest and the answers upstream's manifest methods give. */
export class FlasherManifest {
  readonly data: ManifestData;
  /** The YAML it was parsed from (what `get_flasher_manifest_yaml` returns). */
  readonly yaml: string;

  constructor(data: ManifestData, yaml: string) {
    this.data = data;
    this.yaml = yaml;
  }

  /** Parses a manifest; errors name the file, line and field. */
  static parse(text: string, file = "manifest.yaml"): FlasherManifest {
    const source = YamlSource.parse(text, file);
    return new FlasherManifest(validateSource(manifestSchema, source.toJS(), source), text);
  }

  get spec(): ManifestData["spec"] {
    return this.data.spec;
  }

  #variant(variant: string | null | undefined) {
    const dtb = this.spec.dtb!;
    const name = variant || dtb.default;
    const found = dtb.variants[name];
    if (!found) throw new InvalidArgumentError(`DTB variant ${name} not found in the manifest.`);
    return found;
  }

  /** Names of the DTB variants (none without a `dtb` section). */
  dtbVariants(): string[] {
    return Object.keys(this.spec.dtb?.variants ?? {});
  }

  /** The DTB file of `variant` (default: the manifest's), null without a DTB. */
  dtbFile(variant?: string | null): string | null {
    if (!this.spec.dtb) return null;
    return this.#variant(variant).file;
  }

  dtbAddress(): string | null {
    return this.spec.dtb?.address ?? null;
  }

  /** The boot command: the variant's own when it has one, else `spec.bootcmd`. */
  bootCommand(variant?: string | null): string {
    if (!this.spec.dtb) return this.spec.bootcmd;
    return this.#variant(variant).bootcmd || this.spec.bootcmd;
  }

  kernelFile(): string {
    return this.spec.kernel.file;
  }

  kernelAddress(): string {
    return this.spec.kernel.address;
  }

  initramFile(): string | null {
    return this.spec.initram?.file ?? null;
  }

  initramAddress(): string | null {
    return this.spec.initram?.address ?? null;
  }

  /** The target's device path or `/sys/class/block#<address>` reference, as written. */
  target(name: string): string {
    const path = this.spec.targets[name];
    if (path === undefined) {
      throw new InvalidArgumentError(
        `Target ${name} not found in manifest (targets: ${
          Object.keys(this.spec.targets).join(", ") || "none"
        })`,
      );
    }
    return path;
  }
}

/** The last path segment of a bundle file (what lands in the TFTP root). */
export function baseName(path: string): string {
  return path.split("/").filter((part) => part !== "").pop() ?? path;
}
