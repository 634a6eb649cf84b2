/**
 * Exporter side: BaseFlasher (upstream `jumpstarter_driver_flashers.driver.BaseFlasher`) and its
 * board presets TIJ784S4Flasher and RCarS4Flasher. It puts a flasher bundle's kernel, initramfs
 * and DTB into a TFTP root and answers what the bundle's manifest says; the client boots the
 * bundle through U-Boot and writes the image from its busybox shell.
 *
 * Children: `serial` and `power` come from the config (usually `ref:`s); `tftp` (Tftp on
 * `tftp_dir`), `http` (HttpServer on `http_dir`) and `uboot` (UbootConsole over `power` and
 * `serial`) are made here unless the config gives them.
 */
import { basename, join } from "node:path";
import { z } from "zod";
import {
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { DriverError, InvalidArgumentError } from "@jumpstarter/lib/wire";
import { Tftp } from "@jumpstarter/driver-tftp/driver";
import { HttpServer } from "@jumpstarter/driver-http/driver";
import { UbootConsole } from "@jumpstarter/driver-uboot/driver";
import { bundleDirectory } from "./bundle.ts";
import { baseName, FlasherManifest } from "./manifest.ts";
import { flasherInterface } from "./interface.ts";

/** Upstream's test bundle, BaseFlasher's default. */
export const TEST_BUNDLE = "quay.io/jumpstarter-dev/jumpstarter-flasher-test:latest";
/** Where `setup_fls_binary` looks for the `fls` binary, in order. */
export const FLS_PATHS = ["/usr/local/bin/fls-aarch64", "/usr/local/bin/fls"];

function flasherConfigSchema(defaultBundle: string) {
  return z.object({
    "flasher_bundle": z.string().min(1).default(defaultBundle),
    variant: z.string().nullable().default(null),
    manifest: z.string().min(1).default("manifest.yaml"),
    "default_target": z.string().nullable().default(null),
    "cache_dir": z.string().min(1).default("/var/lib/jumpstarter/flasher"),
    "tftp_dir": z.string().min(1).default("/var/lib/tftpboot"),
    "http_dir": z.string().min(1).default("/var/www/html"),
    cacert: z.string().nullable().default(null),
    /** Not upstream: U-Boot commands run before DHCP, for a U-Boot that finds its NIC late. */
    "uboot_init_commands": z.array(z.string().min(1)).default([]),
  }).strict();
}

export type FlasherConfig = z.output<ReturnType<typeof flasherConfigSchema>>;

export class BaseFlasher extends Driver {
  readonly interface = flasherInterface;
  readonly config: FlasherConfig;
  #bundle: string;
  #variant: string | null;
  /** Bundle directories already resolved in this driver's lifetime, by reference. */
  readonly #resolved = new Map<string, string>();

  constructor(config: FlasherConfig, options: DriverOptions = {}) {
    super(options);
    this.config = config;
    this.#bundle = config.flasher_bundle;
    this.#variant = config.variant;
    super.addChild("tftp", new Tftp({ "root_dir": config.tftp_dir, host: "", port: 69 }));
    super.addChild("http", new HttpServer({ "root_dir": config.http_dir }));
    super.addChild("uboot", new UbootConsole());
  }

  /**
   * Config children replace the made ones (`tftp`, `http`, `uboot`); `serial` and `power` are
   * also handed to the made `uboot`.
   */
  override addChild(name: string, driver: Driver): void {
    if (["tftp", "http", "uboot"].includes(name) && this.children.has(name)) {
      const made = this.children.get(name)!;
      this.children.delete(name);
      Promise.resolve(made.close()).catch(() => {});
    }
    super.addChild(name, driver);
    const uboot = this.children.get("uboot");
    if ((name === "serial" || name === "power") && uboot instanceof UbootConsole) {
      if (!uboot.children.has(name)) uboot.addChild(name, driver);
    }
  }

  #required(name: "serial" | "power"): void {
    if (!this.children.has(name)) {
      throw new DriverError(
        `'${name}' instance is required for BaseFlasher either via a ref or a direct child instance`,
      );
    }
  }

  #tftp(): Tftp {
    const tftp = this.children.get("tftp");
    if (!(tftp instanceof Tftp)) throw new DriverError("BaseFlasher's tftp child is not a Tftp");
    return tftp;
  }

  #http(): HttpServer {
    const http = this.children.get("http");
    if (!(http instanceof HttpServer)) {
      throw new DriverError("BaseFlasher's http child is not an HttpServer");
    }
    return http;
  }

  /** The bundle's directory, resolved once per reference. */
  async #directory(): Promise<string> {
    const known = this.#resolved.get(this.#bundle);
    if (known) return known;
    this.logger.info(`Getting flasher bundle ${this.#bundle}`);
    const directory = await bundleDirectory(this.#bundle, this.config.cache_dir);
    this.#resolved.set(this.#bundle, directory);
    return directory;
  }

  async #file(name: string): Promise<string> {
    return join(await this.#directory(), name);
  }

  async #manifest(): Promise<FlasherManifest> {
    const path = await this.#file(this.config.manifest);
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      throw new DriverError(`Cannot read the bundle manifest ${path}: ${(error as Error).message}`);
    }
    return FlasherManifest.parse(text, path);
  }

  getDefaultTarget(): string | null {
    return this.config.default_target;
  }

  async getCacert(): Promise<string | null> {
    if (!this.config.cacert) return null;
    return await Deno.readTextFile(this.config.cacert);
  }

  /** Serves the `fls` binary to the DUT from the HTTP root, as upstream. */
  async setupFlsBinary(): Promise<void> {
    for (const path of FLS_PATHS) {
      try {
        await Deno.copyFile(path, join(this.#http().root.path, "fls"));
        return;
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
    throw new DriverError(`fls binary not found at ${FLS_PATHS.join(" or ")}`);
  }

  /** Copies the bundle's kernel, initramfs and DTB into the TFTP root (by base name). */
  async setupFlasherBundle(forceFlashBundle?: string | null): Promise<void> {
    this.#required("serial");
    this.#required("power");
    if (forceFlashBundle) this.#bundle = forceFlashBundle;
    const manifest = await this.#manifest();
    const files = [
      ["kernel", manifest.kernelFile()],
      ["initram", manifest.initramFile()],
      ["dtb", manifest.dtbFile(this.#variant)],
    ] as const;
    const root = this.#tftp().config.root_dir;
    for (const [what, file] of files) {
      if (!file) continue;
      const source = await this.#file(file);
      this.logger.info(`Setting up ${what} in tftp: ${source}`);
      try {
        await Deno.copyFile(source, join(root, baseName(file)));
      } catch (error) {
        throw new DriverError(
          `Cannot copy the bundle's ${what} ${source} to ${root}: ${(error as Error).message}`,
        );
      }
    }
  }

  setDtb(_handle: unknown): never {
    throw new DriverError("set_dtb is not implemented (as upstream); use_dtb uploads to tftp");
  }

  async useDtbVariant(variant: string): Promise<void> {
    const manifest = await this.#manifest();
    const variants = manifest.dtbVariants();
    if (!variants.includes(variant)) {
      throw new InvalidArgumentError(
        `DTB variant ${variant} not found in the flasher bundle, available variants are: ${
          JSON.stringify(variants)
        }.`,
      );
    }
    this.#variant = variant;
  }

  async getFlasherManifestYaml(): Promise<string> {
    return (await this.#manifest()).yaml;
  }

  async getKernelFilename(): Promise<string> {
    return basename((await this.#manifest()).kernelFile());
  }

  async getInitramFilename(): Promise<string | null> {
    const file = (await this.#manifest()).initramFile();
    return file ? baseName(file) : null;
  }

  async getDtbFilename(): Promise<string> {
    const file = (await this.#manifest()).dtbFile(this.#variant);
    return file ? baseName(file) : "";
  }

  async getDtbAddress(): Promise<string | null> {
    return (await this.#manifest()).dtbAddress();
  }

  async getKernelAddress(): Promise<string> {
    return (await this.#manifest()).kernelAddress();
  }

  async getInitramAddress(): Promise<string | null> {
    return (await this.#manifest()).initramAddress();
  }

  async getBootcmd(): Promise<string> {
    return (await this.#manifest()).bootCommand(this.#variant);
  }

  getUbootInitCommands(): string[] {
    return this.config.uboot_init_commands;
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(flasherInterface, this);
  }
}

function flasherType(name: string, defaultBundle: string) {
  return defineDriverType({
    name,
    aliases: [`jumpstarter_driver_flashers.driver.${name}`],
    config: flasherConfigSchema(defaultBundle),
    create: (config, options) => new BaseFlasher(config, options),
  });
}

export const baseFlasherType = flasherType("BaseFlasher", TEST_BUNDLE);
/** The TI J784S4 EVM preset: only its default bundle differs. */
export const tiJ784s4FlasherType = flasherType(
  "TIJ784S4Flasher",
  "quay.io/jumpstarter-dev/jumpstarter-flasher-ti-j784s4:latest",
);
/** The Renesas R-Car S4 preset: only its default bundle differs. */
export const rcarS4FlasherType = flasherType(
  "RCarS4Flasher",
  "quay.io/jumpstarter-dev/jumpstarter-flasher-rcar-s4:latest",
);
