/**
 * `DutlinkStorageMux`: the board's SD/USB storage switch (upstream `DutlinkStorageMux`). `write`
 * and `read` connect the medium to the host first, then stream to or from the block device the
 * host sees it as (`storage_device`), waiting for it to appear as upstream does.
 */
import {
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { readBlockDevice, writeBlockDevice } from "@jumpstarter/lib/fs";
import type { ResourceHandle } from "@jumpstarter/lib/streams";
import {
  imageStream,
  storageMuxFlasherInterface,
  type WriteResult,
} from "@jumpstarter/driver-opendal";
import type { DutlinkBoard } from "./board.ts";
import { Request, STORAGE_ACTIONS, type StorageAction } from "./protocol.ts";

/** Where the medium appears on the host, and how long to wait for it. */
export interface BlockDeviceSettings {
  storageDevice: string;
  timeoutS: number;
  leewayS: number;
  fsyncTimeoutS: number;
}

export class DutlinkStorageMux extends Driver {
  readonly interface = storageMuxFlasherInterface;
  readonly #board: DutlinkBoard;
  readonly #ownsBoard: boolean;
  readonly #device: BlockDeviceSettings;

  constructor(
    board: DutlinkBoard,
    ownsBoard: boolean,
    device: BlockDeviceSettings,
    options: DriverOptions = {},
  ) {
    super(options);
    this.#board = board;
    this.#ownsBoard = ownsBoard;
    this.#device = device;
  }

  /** The block device the medium appears as on the host. */
  get storageDevice(): string {
    return this.#device.storageDevice;
  }

  async #control(action: StorageAction): Promise<void> {
    this.logger.debug(`storage control: ${action}`);
    await this.#board.control(
      Request.storage,
      STORAGE_ACTIONS.indexOf(action),
      `storage ${action}`,
    );
  }

  async host(): Promise<void> {
    await this.#control("host");
  }

  async dut(): Promise<void> {
    await this.#control("dut");
  }

  async off(): Promise<void> {
    await this.#control("off");
  }

  async write(
    handle: ResourceHandle,
    expectedSha256?: string | null,
  ): Promise<WriteResult> {
    await using resource = this.openResource(handle);
    await this.host();
    const path = this.#device.storageDevice;
    return await writeBlockDevice(path, await imageStream(handle, resource.readable), {
      timeoutS: this.#device.timeoutS,
      leewayS: this.#device.leewayS,
      fsyncTimeoutS: this.#device.fsyncTimeoutS,
      logger: this.logger,
      expectedSha256,
    });
  }

  async read(handle: ResourceHandle): Promise<void> {
    await using resource = this.openResource(handle);
    await this.host();
    const path = this.#device.storageDevice;
    await readBlockDevice(path, resource.writable, {
      timeoutS: this.#device.timeoutS,
      logger: this.logger,
    });
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(storageMuxFlasherInterface, this);
  }

  override async close(): Promise<void> {
    if (this.#ownsBoard) await this.#board.close();
  }
}
