/**
 * `DutlinkPower`: the board's power switch and meter (upstream `DutlinkPower`). A request equal
 * to the last one sent is skipped, as upstream does; `read` refreshes and reads the meter every
 * second and yields a reading when it changed.
 */
import {
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { rescuePowerInterface } from "@jumpstarter/driver-power";
import type { DutlinkBoard } from "./board.ts";
import {
  parsePowerReading,
  POWER_ACTIONS,
  type PowerAction,
  type Reading,
  Request,
} from "./protocol.ts";

/** Seconds between two meter polls of `read` (upstream's). */
const READ_INTERVAL_MS = 1000;

export class DutlinkPower extends Driver {
  readonly interface = rescuePowerInterface;
  readonly #board: DutlinkBoard;
  readonly #ownsBoard: boolean;
  #lastAction: PowerAction | undefined;

  /** `ownsBoard`: close the board with this driver (false when a `Dutlink` shares it). */
  constructor(
    board: DutlinkBoard,
    ownsBoard: boolean,
    options: DriverOptions = {},
  ) {
    super(options);
    this.#board = board;
    this.#ownsBoard = ownsBoard;
  }

  async #control(action: PowerAction): Promise<void> {
    this.logger.debug(`power control: ${action}`);
    if (this.#lastAction === action) return;
    try {
      await this.#board.control(
        Request.power,
        POWER_ACTIONS.indexOf(action),
        `power ${action}`,
      );
    } catch (error) {
      // the board may have lost its state (unplugged): send the next request whatever it is
      this.#lastAction = undefined;
      throw error;
    }
    this.#lastAction = action;
  }

  async on(): Promise<void> {
    await this.#control("on");
  }

  async off(): Promise<void> {
    await this.#control("off");
  }

  async rescue(): Promise<void> {
    await this.#control("rescue");
  }

  async *read(): AsyncGenerator<Reading> {
    let previous: Reading | undefined;
    for (;;) {
      const reading = parsePowerReading(await this.#board.read("power"));
      if (
        reading.voltage !== previous?.voltage ||
        reading.current !== previous?.current
      ) {
        previous = reading;
        yield reading;
      }
      await new Promise((resolve) => setTimeout(resolve, READ_INTERVAL_MS));
    }
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(rescuePowerInterface, this);
  }

  override async close(): Promise<void> {
    if (this.#ownsBoard) await this.#board.close();
  }
}
