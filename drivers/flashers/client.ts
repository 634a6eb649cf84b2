/**
 * BaseFlasherClient (upstream `jumpstarter_driver_flashers.client.BaseFlasherClient`): flashes
 * an image through a flasher bundle, as upstream's client does with `--method shell`. The image
 * goes to the exporter's HTTP server (unless it is an http(s) URL the DUT can fetch), the
 * bundle's kernel/initramfs/DTB to its TFTP root; the DUT is power cycled into U-Boot, fetches
 * and boots them, and its busybox shell pipes the image from HTTP into the target device.
 */
import { basename } from "node:path";
import { type CallOptions, CompositeClient } from "@jumpstarter/lib/client";
import type { ByteStream } from "@jumpstarter/lib/streams";
import { DriverError, InvalidArgumentError } from "@jumpstarter/lib/wire";
import { UbootConsoleClient } from "@jumpstarter/driver-uboot";
import { PySerialClient } from "@jumpstarter/driver-serial";
import { PowerClient } from "@jumpstarter/driver-power";
import { TftpClient } from "@jumpstarter/driver-tftp";
import { HttpServerClient } from "@jumpstarter/driver-http";
import {
  BusyboxShell,
  COMMAND_TIMEOUT,
  decompressCommand,
  FlashNonRetryableError,
  type FlashProgress,
} from "./busybox.ts";
import { flasherInterface } from "./interface.ts";
import { baseName, FlasherManifest, SYSFS_TARGET_PREFIX } from "./manifest.ts";
import { type BootFiles, FlashSession } from "./session.ts";
import { curlArguments, openImage, tee } from "./image_source.ts";

const { methods } = flasherInterface;

/** Options of {@linkcode BaseFlasherClient.flash}, upstream's keyword arguments. */
export interface FlashOptions extends CallOptions {
  /** A manifest target name (`usd`, `emmc`), or a partition label on `blockDevice`. */
  partition?: string | null;
  /** The manifest target holding the `partition` label (default: the default target). */
  blockDevice?: string | null;
  /** Serve an http(s) image from the exporter instead of letting the DUT fetch it. */
  forceExporterHttp?: boolean;
  /** Another bundle reference for this flash (and after). */
  forceFlashBundle?: string | null;
  /** A CA certificate (PEM file) the DUT's curl trusts for https images. */
  cacertFile?: string | null;
  insecureTls?: boolean;
  /** Extra HTTP headers for the DUT's curl. */
  headers?: Record<string, string>;
  bearerToken?: string | null;
  /** Attempts after the first when a retryable error happens (default 3). */
  retries?: number;
  /** `shell` (curl | dd, the only one here); upstream's default `fls` is refused. */
  method?: "shell" | "fls";
  /** Power the DUT off after flashing (default true). */
  powerOff?: boolean;
  /** Called about every second with dd's position. */
  onProgress?: (progress: FlashProgress) => void;
  /** Where to copy the console's output while flashing (upstream's `--console-debug`). */
  consoleOutput?: WritableStream<Uint8Array>;
  /** Seconds a command in the bundle's shell may take to give the prompt back (default 60). */
  commandTimeout?: number;
  /** Where progress and steps are reported (default: nowhere). */
  log?: (message: string) => void;
}

/** What a flash did. */
export interface FlashResult {
  /** The URL the DUT fetched. */
  url: string;
  /** The device written. */
  device: string;
  /** Bytes dd had written at its last progress report. */
  lastPosition: number;
  /** Seconds from starting the write pipeline to its completion marker and `sync`. */
  writeSeconds: number;
  /** Seconds for the whole flash (upload, boot, write). */
  totalSeconds: number;
  attempts: number;
}

export class BaseFlasherClient extends CompositeClient {
  #manifest: FlasherManifest | undefined;
  /** Files uploaded with use_kernel/use_initram/use_dtb, used instead of the bundle's. */
  readonly #overrides: Partial<Record<keyof BootFiles, string>> = {};

  get uboot(): UbootConsoleClient {
    return this.child("uboot", UbootConsoleClient);
  }

  get serial(): PySerialClient {
    return this.child("serial", PySerialClient);
  }

  get power(): PowerClient {
    return this.child("power", PowerClient);
  }

  get tftp(): TftpClient {
    return this.child("tftp", TftpClient);
  }

  get http(): HttpServerClient {
    return this.child("http", HttpServerClient);
  }

  /** The bundle's manifest (read once). */
  async manifest(options: CallOptions = {}): Promise<FlasherManifest> {
    this.#manifest ??= FlasherManifest.parse(
      String(await this.invoke(methods.get_flasher_manifest_yaml, [], options)),
      "the bundle's manifest.yaml",
    );
    return this.#manifest;
  }

  async getDefaultTarget(options: CallOptions = {}): Promise<string | null> {
    const target = await this.invoke(methods.get_default_target, [], options);
    return typeof target === "string" ? target : null;
  }

  async setupFlasherBundle(forceFlashBundle?: string | null, options: CallOptions = {}) {
    if (forceFlashBundle) this.#manifest = undefined;
    await this.invoke(methods.setup_flasher_bundle, [forceFlashBundle ?? null], options);
  }

  async useDtbVariant(variant: string, options: CallOptions = {}): Promise<void> {
    await this.invoke(methods.use_dtb_variant, [variant], options);
  }

  async getBootcmd(options: CallOptions = {}): Promise<string> {
    return String(await this.invoke(methods.get_bootcmd, [], options));
  }

  /** U-Boot commands to run before DHCP: the flasher's `uboot_init_commands` (ours only). */
  async #ubootInitCommands(options: CallOptions): Promise<string[]> {
    if (!(methods.get_uboot_init_commands.name in this.methodsDescription)) return [];
    const commands = await this.invoke(methods.get_uboot_init_commands, [], options);
    return Array.isArray(commands) ? commands.map(String) : [];
  }

  /** Uploads a kernel to the TFTP root and boots it instead of the bundle's. */
  useKernel(path: string, options: CallOptions = {}): Promise<string> {
    return this.#use("kernel", path, options);
  }

  /** Uploads an initramfs to the TFTP root and boots it instead of the bundle's. */
  useInitram(path: string, options: CallOptions = {}): Promise<string> {
    return this.#use("initram", path, options);
  }

  /** Uploads a DTB to the TFTP root and boots it instead of the bundle's. */
  useDtb(path: string, options: CallOptions = {}): Promise<string> {
    return this.#use("dtb", path, options);
  }

  async #use(kind: keyof BootFiles, path: string, options: CallOptions): Promise<string> {
    const name = await this.tftp.putLocalFile(path, { ...options, name: basename(path) });
    this.#overrides[kind] = name;
    return name;
  }

  /** The kernel, initramfs and DTB to load, with their addresses. */
  async #bootFiles(manifest: FlasherManifest): Promise<BootFiles> {
    const variantDtb = await this.invoke(methods.get_dtb_filename, []);
    const dtb = this.#overrides.dtb ?? (typeof variantDtb === "string" ? variantDtb : "");
    const initram = this.#overrides.initram ?? manifest.initramFile();
    return {
      kernel: {
        file: this.#overrides.kernel ?? baseName(manifest.kernelFile()),
        address: manifest.kernelAddress(),
      },
      initram: initram && manifest.initramAddress()
        ? { file: baseName(initram), address: manifest.initramAddress()! }
        : null,
      dtb: dtb && manifest.dtbAddress()
        ? { file: baseName(dtb), address: manifest.dtbAddress()! }
        : null,
    };
  }

  async #session(options: FlashOptions): Promise<FlashSession> {
    const manifest = await this.manifest(options);
    return new FlashSession({
      uboot: this.uboot,
      attach: async () => tee(await this.serial.connect(), options.consoleOutput),
      manifest,
      files: await this.#bootFiles(manifest),
      bootcmd: await this.getBootcmd(options),
      serverIp: await this.tftp.getHost(options),
      initCommands: await this.#ubootInitCommands(options),
      ...(options.commandTimeout ? { commandTimeout: options.commandTimeout } : {}),
      log: options.log ?? (() => {}),
    });
  }

  /** Starts the HTTP and TFTP servers for `body`, and stops them after it. */
  async #servicesUp<T>(body: () => Promise<T>): Promise<T> {
    await this.http.start();
    await this.tftp.start();
    try {
      return await body();
    } finally {
      await this.http.stop().catch(() => {});
      await this.tftp.stop().catch(() => {});
    }
  }

  /** Uploads a local file (or fetches an URL) into the HTTP root; answers its file name. */
  async #stage(path: string, options: FlashOptions): Promise<string> {
    const { name, source } = await openImage(path, options);
    options.log?.(`Uploading ${path} to the exporter's HTTP server as ${name}`);
    await this.http.putFile(name, source, options.signal ? { signal: options.signal } : {});
    return name;
  }

  /**
   * Flashes `path` (a local file or an http(s) URL) to the DUT: upstream's flow with
   * `method="shell"`. Retryable failures (DHCP, network, a failed pipeline) restart from the
   * power cycle, up to `retries` more times.
   */
  async flash(path: string, options: FlashOptions = {}): Promise<FlashResult> {
    if ((options.method ?? "shell") !== "shell") {
      throw new InvalidArgumentError(
        `Flash method ${options.method} is not supported here; use method "shell" (curl | dd)`,
      );
    }
    const started = Date.now();
    const direct = /^https?:\/\//.test(path) && !options.forceExporterHttp;
    const staged = direct ? undefined : this.#stage(path, options);
    staged?.catch(() => {});
    await this.setupFlasherBundle(options.forceFlashBundle, options);
    return await this.#servicesUp(async () => {
      const retries = options.retries ?? 3;
      for (let attempt = 1;; attempt++) {
        try {
          const result = await this.#attempt(path, staged, options);
          return { ...result, totalSeconds: (Date.now() - started) / 1000, attempts: attempt };
        } catch (error) {
          options.signal?.throwIfAborted();
          if (error instanceof FlashNonRetryableError || error instanceof InvalidArgumentError) {
            throw error;
          }
          if (attempt > retries) {
            throw new DriverError(
              `Flash operation failed after ${attempt} attempts. Last error: ${
                (error as Error).message
              }`,
              { cause: error },
            );
          }
          options.log?.(`Flash attempt ${attempt} failed: ${(error as Error).message}; retrying`);
          await new Promise((resolve) => setTimeout(resolve, 2 ** (attempt - 1) * 1000));
        }
      }
    });
  }

  async #attempt(
    path: string,
    staged: Promise<string> | undefined,
    options: FlashOptions,
  ): Promise<Omit<FlashResult, "totalSeconds" | "attempts">> {
    await using session = await this.#session(options);
    const shell = await session.busybox();
    const manifest = session.manifest;
    const device = await this.#resolveTarget(shell, manifest, options);
    await shell.run(`export dhcp_addr=${session.dhcp?.ip_address ?? ""}`);
    await shell.run(`export gw_addr=${session.dhcp?.gateway ?? ""}`);
    for (const command of manifest.spec.preflash_commands) {
      options.log?.(`Running preflash command: ${command}`);
      await shell.run(command);
    }
    await shell.run("udhcpc");
    await shell.run(`date -s @${Math.floor(Date.now() / 1000)}`);
    let url = path;
    let tls = options.insecureTls ? "-k" : "";
    if (staged) {
      options.log?.("Waiting until the http image preparation in storage is completed");
      const name = await staged;
      url = `${await this.http.getUrl(options)}/${encodeURIComponent(name)}`;
    } else if (options.cacertFile && !options.insecureTls) {
      const pem = await Deno.readTextFile(options.cacertFile);
      await shell.run(`cat > /tmp/jumpstarter-ca.pem <<'JMP_CA_EOF'\n${pem.trim()}\nJMP_CA_EOF`);
      tls = "--cacert /tmp/jumpstarter-ca.pem";
    }
    const curlArgs = curlArguments(tls, options);
    const check = await shell.status(
      `curl --location --max-time 30 --fail -sS -r 0-0 -o /dev/null ${curlArgs} "${url}"`,
    );
    if (check.status !== 0) {
      throw new DriverError(
        `Unable to access ${url} (curl exit status ${check.status}), output: ${check.output}`,
      );
    }
    options.log?.(`Writing ${url} to ${device}`);
    const writing = Date.now();
    let lastReport = Date.now();
    const lastPosition = await shell.writeImage({
      url,
      device,
      decompress: decompressCommand(url),
      curlArgs,
      onProgress: (progress) => {
        options.onProgress?.(progress);
        if (Date.now() - lastReport >= 5000) {
          lastReport = Date.now();
          options.log?.(
            `Flash progress: ${(progress.written / 2 ** 20).toFixed(2)} MB, Speed: ${
              (progress.rate / 2 ** 20).toFixed(2)
            } MB/s`,
          );
        }
      },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const writeSeconds = (Date.now() - writing) / 1000;
    await shell.console.sendline("reboot");
    if (options.powerOff ?? true) {
      options.log?.("Powering off target");
      await this.power.off(options);
    }
    return { url, device, lastPosition, writeSeconds };
  }

  /** The device to write: a manifest target, or a partition label on one (upstream's rules). */
  async #resolveTarget(
    shell: BusyboxShell,
    manifest: FlasherManifest,
    options: FlashOptions,
  ): Promise<string> {
    const device = async (name: string) => {
      const path = manifest.target(name);
      return path.startsWith(SYSFS_TARGET_PREFIX)
        ? await shell.lookupBlockDevice(path.slice(SYSFS_TARGET_PREFIX.length))
        : path;
    };
    const { partition, blockDevice } = options;
    if (partition && partition in manifest.spec.targets) return await device(partition);
    const target = blockDevice || await this.getDefaultTarget(options) ||
      manifest.spec.default_target;
    if (!target) throw new InvalidArgumentError("No partition or default target specified");
    const resolved = await device(target);
    return partition ? `/dev/disk/by-partlabel/${partition}` : resolved;
  }

  /** Not implemented, as upstream: the bundle's shell has no way to send a device back. */
  dump(_path: string, _options: { partition?: string | null } = {}): Promise<never> {
    return Promise.reject(
      new DriverError("Dump is not implemented for this driver yet (as upstream)"),
    );
  }

  /**
   * Sets the bundle up, power cycles the DUT into U-Boot and answers the console, at the
   * bootloader prompt, with the services running until `body` returns.
   */
  async bootloaderShell<T>(
    body: (console: ByteStream) => Promise<T>,
    options: FlashOptions = {},
  ): Promise<T> {
    await this.setupFlasherBundle(null, options);
    return await this.#servicesUp(async () => {
      await this.uboot.rebootToConsole({ timeout: COMMAND_TIMEOUT });
      return await body(await this.serial.connect());
    });
  }

  /** As {@linkcode bootloaderShell}, at the bundle's busybox shell (logged in). */
  async busyboxShell<T>(
    body: (console: ByteStream) => Promise<T>,
    options: FlashOptions = {},
  ): Promise<T> {
    await this.setupFlasherBundle(null, options);
    return await this.#servicesUp(async () => {
      {
        await using session = await this.#session(options);
        await session.busybox();
      }
      return await body(await this.serial.connect());
    });
  }
}
