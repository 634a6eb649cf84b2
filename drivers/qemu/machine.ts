/**
 * The virtual machine behind the Qemu composite: its private directory (sockets, flashed
 * partitions, cloud-init seed), the QEMU process, and the operations the children expose
 * (power on/off, flash/dump). Operations run one at a time.
 */
import { join } from "node:path";
import type { Logger, RuntimeDir } from "@jumpstarter/lib/driver";
import { DriverError, InvalidArgumentError } from "@jumpstarter/lib/wire";
import { writeCloudInitSeed } from "./cloud_init.ts";
import {
  type DiskImage,
  instancePaths,
  type LaunchPlan,
  qemuArguments,
  qemuBinary,
} from "./command_line.ts";
import {
  hostArch,
  mayUseKvm,
  parseSize,
  type Partition,
  PARTITIONS,
  type QemuConfig,
} from "./config.ts";
import type { QemuConsole } from "./console.ts";
import { detectFormat, growImage } from "./disk.ts";
import { QemuProcess, type StopMethod } from "./process.ts";

/** How long a stopped guest's console output may take to reach slow clients. */
const CONSOLE_DRAIN_MS = 2_000;

const STOP_DESCRIPTIONS: Record<StopMethod, string> = {
  exited: "it had exited",
  powerdown: "the guest powered down (QMP system_powerdown)",
  quit: "QMP quit",
  sigterm: "SIGTERM (QMP quit went unanswered)",
  sigkill: "SIGKILL (QMP quit and SIGTERM went unanswered)",
};

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Whether this process may use KVM (`/dev/kvm` opens read-write). */
export async function kvmUsable(): Promise<boolean> {
  try {
    const kvm = await Deno.open("/dev/kvm", { read: true, write: true });
    kvm.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether to run with KVM: only for a guest of the host's architecture with a usable /dev/kvm;
 * `accel: kvm` insists (and fails otherwise), `tcg` never uses it, `auto` uses it when it can.
 *
 * @throws {DriverError} for `kvm` when KVM cannot be used, saying why.
 */
export function chooseKvm(
  accel: "auto" | "kvm" | "tcg",
  guestArch: string,
  hostArch: string,
  kvmUsable: boolean,
): boolean {
  if (accel === "tcg") return false;
  const usable = guestArch === hostArch && kvmUsable;
  if (accel === "kvm" && !usable) {
    throw new DriverError(
      guestArch === hostArch
        ? "Cannot use KVM: /dev/kvm is missing or not read-write for this user (set accel: tcg or auto)"
        : `Cannot use KVM: the guest arch ${guestArch} differs from the host's ${hostArch} (set accel: tcg or auto)`,
    );
  }
  return usable;
}

/** Checks a flasher target name: null/undefined mean `root`, as upstream. */
export function partitionName(target: string | null | undefined): Partition {
  const name = target ?? "root";
  if (!(PARTITIONS as readonly string[]).includes(name)) {
    throw new InvalidArgumentError(
      `Unknown QEMU partition "${name}": expected one of ${PARTITIONS.join(", ")}`,
    );
  }
  return name as Partition;
}

interface Running {
  process: QemuProcess;
  /** Settles once the guest's console output has been fed to the console child. */
  console: Promise<void>;
  /** Settles once the process is reaped and its sockets closed; memoized. */
  reaped?: Promise<void>;
  stopping: boolean;
}

/** What a {@linkcode QemuMachine} works with beside its config. */
export interface QemuMachineOptions {
  /** Where the guest's console output goes, and its keystrokes come from. */
  console: QemuConsole;
  logger: Logger;
  /** The instance's private directory: sockets, flashed partitions, cloud-init seed. */
  dir: RuntimeDir;
}

export class QemuMachine {
  readonly config: QemuConfig;
  /** The instance's private directory (its runtime directory). */
  readonly dir: string;
  readonly #runtimeDir: RuntimeDir;
  readonly #console: QemuConsole;
  readonly #logger: Logger;
  #running: Running | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** How the last stop ended QEMU (for diagnostics and tests). */
  lastStop: StopMethod | undefined;
  /** Whether the last start used KVM. */
  lastAccel: "kvm" | "tcg" | undefined;

  constructor(config: QemuConfig, options: QemuMachineOptions) {
    // a copy: set_disk_size/set_memory_size change it for the next power on
    this.config = { ...config };
    this.#console = options.console;
    this.#logger = options.logger;
    this.#runtimeDir = options.dir;
    this.dir = options.dir.path;
  }

  /** Socket paths inside the instance directory. */
  get paths(): ReturnType<typeof instancePaths> {
    return instancePaths(this.dir);
  }

  /** The QEMU process id while it runs. */
  get pid(): number | undefined {
    return this.#running?.process.pid;
  }

  get running(): boolean {
    return this.#running !== undefined;
  }

  /** Runs operations one at a time. */
  #exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(operation);
    this.#queue = result.catch(() => {});
    return result;
  }

  /** Where a flashed partition is kept in the instance directory. */
  flashedPath(partition: Partition): string {
    return join(this.dir, partition);
  }

  /** The file a partition reads from: the flashed one, else the configured default. */
  async partitionFile(partition: Partition): Promise<string | undefined> {
    const flashed = this.flashedPath(partition);
    if (await exists(flashed)) return flashed;
    const configured = this.config.default_partitions[partition];
    if (configured === undefined) return undefined;
    if (!(await exists(configured))) {
      throw new DriverError(
        `QEMU partition ${partition}: default_partitions.${partition} ${configured} does not exist`,
      );
    }
    return configured;
  }

  async #useKvm(): Promise<boolean> {
    const kvm = mayUseKvm(this.config) && await kvmUsable();
    return chooseKvm(this.config.accel, this.config.arch, hostArch(), kvm);
  }

  async #rootDisk(): Promise<DiskImage | undefined> {
    let path = await this.partitionFile("root");
    if (path === undefined) return undefined;
    const size = this.config.disk_size;
    if (size !== null) {
      const flashed = this.flashedPath("root");
      // never grow the configured default in place: grow a copy of it
      if (path !== flashed) {
        this.#logger.info(`Copying ${path} to ${flashed} to grow it to ${size}`);
        await Deno.copyFile(path, flashed);
        path = flashed;
      }
      const format = await detectFormat(path);
      if (await growImage(path, format, parseSize(size))) {
        this.#logger.info(`Grew the root disk to ${size}`);
      }
      return { path, format };
    }
    return { path, format: await detectFormat(path) };
  }

  async #plan(): Promise<LaunchPlan> {
    const kvm = await this.#useKvm();
    const plan: LaunchPlan = { dir: this.dir, kvm };
    const bios = await this.partitionFile("bios");
    if (bios) plan.bios = bios;
    const ovmfCode = await this.partitionFile("OVMF_CODE.fd");
    if (ovmfCode) plan.ovmfCode = ovmfCode;
    const ovmfVars = await this.partitionFile("OVMF_VARS.fd");
    if (ovmfVars) plan.ovmfVars = ovmfVars;
    const root = await this.#rootDisk();
    if (root) {
      plan.root = root;
      plan.cloudInit = true;
      await writeCloudInitSeed(this.paths.cidata, {
        instanceId: crypto.randomUUID(),
        hostname: this.config.hostname,
        username: this.config.username,
        password: this.config.password,
      });
    }
    return plan;
  }

  /** Starts QEMU; does nothing if it runs already. */
  on(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#closed) throw new DriverError("Cannot power on QEMU: the session has ended");
      if (this.#running) {
        this.#logger.info(`QEMU is already running (pid ${this.#running.process.pid})`);
        return;
      }
      const plan = await this.#plan();
      const paths = this.paths;
      for (const stale of [paths.qmp, paths.console, paths.vnc]) {
        await Deno.remove(stale).catch(() => {});
      }
      const binary = qemuBinary(this.config);
      const args = qemuArguments(this.config, plan);
      this.#logger.debug(`Starting ${binary} ${args.join(" ")}`);
      const process = await QemuProcess.start(
        { binary, args, qmpPath: paths.qmp, consolePath: paths.console },
        this.#logger,
      );
      const running: Running = {
        process,
        console: this.#console.attachDevice({
          readable: process.console.readable,
          writable: process.console.writable,
        }),
        stopping: false,
      };
      this.#running = running;
      this.lastAccel = plan.kvm ? "kvm" : "tcg";
      this.#logger.info(
        `QEMU started (pid ${process.pid}, ${binary}, ${plan.kvm ? "KVM" : "TCG"})`,
      );
      process.exited.then((status) => {
        if (running.stopping) return;
        if (status.success) {
          this.#logger.info(`QEMU (pid ${process.pid}) exited: the guest powered off`);
        } else {
          this.#logger.warning(
            `QEMU (pid ${process.pid}) exited on its own with code ${status.code}${
              status.signal ? ` (signal ${status.signal})` : ""
            }`,
          );
        }
        this.lastStop = "exited";
        this.#reap(running);
      });
    });
  }

  /** Settles once QEMU is not running (at once if it is not). */
  whenStopped(): Promise<void> {
    const running = this.#running;
    if (!running) return Promise.resolve();
    return running.process.exited.then(() => this.#reap(running));
  }

  /** Waits for the process and its console output, closes its sockets, forgets it. */
  #reap(running: Running): Promise<void> {
    return running.reaped ??= (async () => {
      await running.process.exited;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        running.console,
        new Promise((resolve) => timer = setTimeout(resolve, CONSOLE_DRAIN_MS)),
      ]);
      clearTimeout(timer);
      try {
        running.process.console.close();
      } catch {
        // already closed
      }
      await running.console;
      if (this.#running === running) this.#running = undefined;
    })();
  }

  /**
   * Stops QEMU (see {@linkcode QemuProcess.stop}). With `destroy` the guest is not asked to shut
   * down, and the flashed partitions are discarded, so the next start uses the defaults.
   */
  off(destroy = false): Promise<void> {
    return this.#exclusive(() => this.#off(destroy));
  }

  async #off(destroy: boolean): Promise<void> {
    const running = this.#running;
    if (running) {
      running.stopping = true;
      const graceful = destroy ? 0 : this.config.shutdown_timeout;
      const method = await running.process.stop(graceful);
      await this.#reap(running);
      this.lastStop = method;
      this.#logger.info(`QEMU (pid ${running.process.pid}) stopped: ${STOP_DESCRIPTIONS[method]}`);
    }
    if (destroy) {
      for (const partition of PARTITIONS) {
        await Deno.remove(this.flashedPath(partition)).catch(() => {});
      }
      this.#logger.info("Discarded the flashed partitions");
    }
  }

  /**
   * Writes an image into a partition of the instance directory (atomically: a failed write
   * leaves the previous image).
   *
   * @throws {DriverError} while QEMU runs.
   */
  flash(target: string | null | undefined, source: ReadableStream<Uint8Array>): Promise<number> {
    const partition = partitionName(target);
    return this.#exclusive(async () => {
      if (this.#running) {
        throw new DriverError(
          `Cannot flash QEMU partition ${partition}: the VM is running (pid ${this.#running.process.pid}); power it off first`,
        );
      }
      const path = this.flashedPath(partition);
      const partial = `${path}.partial`;
      let written = 0;
      try {
        using file = await Deno.open(partial, { write: true, create: true, truncate: true });
        for await (const chunk of source) {
          for (let offset = 0; offset < chunk.byteLength;) {
            offset += await file.write(chunk.subarray(offset));
          }
          written += chunk.byteLength;
        }
        await file.sync();
      } catch (error) {
        await Deno.remove(partial).catch(() => {});
        throw error;
      }
      await Deno.rename(partial, path);
      this.#logger.info(`Flashed ${written} bytes to partition ${partition}`);
      return written;
    });
  }

  /** Reads a partition (flashed, else its default) into `sink`. */
  dump(target: string | null | undefined, sink: WritableStream<Uint8Array>): Promise<number> {
    const partition = partitionName(target);
    return this.#exclusive(async () => {
      const path = await this.partitionFile(partition);
      if (path === undefined) {
        throw new DriverError(
          `Cannot dump QEMU partition ${partition}: nothing was flashed to it and default_partitions has none`,
        );
      }
      const file = await Deno.open(path, { read: true });
      const { size } = await file.stat();
      await file.readable.pipeTo(sink, { preventClose: true });
      return size;
    });
  }

  /** Stops QEMU and removes the instance directory. */
  close(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#closed) return;
      this.#closed = true;
      await this.#off(false);
      await this.#runtimeDir.remove();
    });
  }
}
