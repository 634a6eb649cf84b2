/**
 * One boot of the flasher bundle: power cycle into U-Boot, DHCP, point `serverip` at the
 * exporter, `tftpboot` the kernel, initramfs and DTB, then send the boot command on the console
 * and log in to the busybox shell. Disposing of it detaches from the console.
 */
import { Expect } from "@jumpstarter/lib/streams";
import type { ByteStream } from "@jumpstarter/lib/streams";
import { DriverError, DriverTimeoutError } from "@jumpstarter/lib/wire";
import type { DhcpInfo, UbootConsoleClient } from "@jumpstarter/driver-uboot";
import { BusyboxShell, FlashRetryableError } from "./busybox.ts";
import type { FlasherManifest } from "./manifest.ts";

/** Seconds a `tftpboot` may take, as upstream. */
const TFTP_TIMEOUT = 120;
/** Seconds U-Boot may take to reach its prompt after power on. */
const REBOOT_TIMEOUT = 60;

interface LoadedFile {
  file: string;
  address: string;
}

/** What U-Boot loads over TFTP before the boot command. */
export interface BootFiles {
  kernel: LoadedFile;
  initram: LoadedFile | null;
  dtb: LoadedFile | null;
}

export interface FlashSessionWiring {
  uboot: UbootConsoleClient;
  attach(): Promise<ByteStream>;
  manifest: FlasherManifest;
  files: BootFiles;
  bootcmd: string;
  /** The TFTP server's address as the DUT reaches it. */
  serverIp: string;
  /** U-Boot commands run before DHCP (the flasher's `uboot_init_commands`). */
  initCommands: string[];
  /** Seconds a shell command may take (default 60). */
  commandTimeout?: number;
  log(message: string): void;
}

export class FlashSession implements AsyncDisposable {
  readonly #wiring: FlashSessionWiring;
  #console: Expect | undefined;
  /** The addresses U-Boot got, once booted. */
  dhcp: DhcpInfo | undefined;

  constructor(wiring: FlashSessionWiring) {
    this.#wiring = wiring;
  }

  get manifest(): FlasherManifest {
    return this.#wiring.manifest;
  }

  async #loadFiles(): Promise<void> {
    const { uboot, files, serverIp, log } = this.#wiring;
    await uboot.rebootToConsole({ timeout: REBOOT_TIMEOUT });
    for (const command of this.#wiring.initCommands) await uboot.runCommand(command);
    try {
      this.dhcp = await uboot.setupDhcp();
    } catch (error) {
      throw new FlashRetryableError(`DHCP setup failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    log(`discovered dhcp details: ${JSON.stringify(this.dhcp)}`);
    await uboot.setEnvDict({ serverip: serverIp });
    for (const loaded of [files.kernel, files.initram, files.dtb]) {
      if (!loaded) continue;
      const command = `tftpboot ${loaded.address} ${loaded.file}`;
      const output = await uboot.runCommand(command, { timeout: TFTP_TIMEOUT });
      if (!/Bytes transferred/.test(output)) {
        throw new FlashRetryableError(`U-Boot "${command}" failed:\n${output.trim()}`);
      }
    }
  }

  /** Boots the bundle and answers its logged-in busybox shell. */
  async busybox(): Promise<BusyboxShell> {
    await this.#loadFiles();
    const { login } = this.manifest.spec;
    this.#console = new Expect(await this.#wiring.attach(), { maxTranscript: 256 * 1024 });
    this.#wiring.log(`Running boot command: ${this.#wiring.bootcmd}`);
    try {
      return await BusyboxShell.boot(
        this.#console,
        this.#wiring.bootcmd,
        login,
        this.#wiring.commandTimeout,
      );
    } catch (error) {
      if (error instanceof DriverTimeoutError) {
        throw new FlashRetryableError(`The flasher did not reach its shell: ${error.message}`, {
          cause: error,
        });
      }
      throw error instanceof Error ? error : new DriverError(String(error));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#console?.close().catch(() => {});
  }
}
