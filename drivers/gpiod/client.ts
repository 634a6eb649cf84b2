/**
 * Clients of the gpiod drivers (upstream's `DigitalOutputClient` and `DigitalInputClient`) and
 * of the seed's raspberrypi ones.
 */
import { z } from "zod";
import { type CallOptions, DriverClient } from "@jumpstarter/lib/client";
import { type CycleOptions, PowerClient, powerCycle } from "@jumpstarter/driver-power";
import {
  digitalInputInterface,
  digitalOutputInterface,
  raspberryPiInputInterface,
} from "./interface.ts";

/** Upstream's PinState, printed as upstream prints it. */
export type PinState = "active" | "inactive";

const pinValue = z.union([z.literal(0), z.literal(1)]);

function pinState(value: unknown): PinState {
  return pinValue.parse(value) === 1 ? "active" : "inactive";
}

/** Client of a gpiod DigitalOutput: on, off, cycle (client-side, as a PowerClient) and read. */
export class DigitalOutputClient extends DriverClient {
  /** Turns the gpio on (active). */
  async on(options: CallOptions = {}): Promise<void> {
    await this.invoke(digitalOutputInterface.methods.on, [], options);
  }

  /** Turns the gpio off (inactive). */
  async off(options: CallOptions = {}): Promise<void> {
    await this.invoke(digitalOutputInterface.methods.off, [], options);
  }

  /** Off, a wait, on. */
  cycle(options: CycleOptions = {}): Promise<void> {
    return powerCycle(this, options);
  }

  /** The pin's state. */
  async read(options: CallOptions = {}): Promise<PinState> {
    return pinState(
      await this.invoke(digitalOutputInterface.methods.read_pin, [], options),
    );
  }
}

/** Client of a gpiod DigitalInput. `timeout` is in seconds; null (or 0) waits for ever. */
export class DigitalInputClient extends DriverClient {
  /** Returns once the pin is active. @throws {DriverTimeoutError} when the time is up. */
  async waitForActive(
    timeout?: number | null,
    options: CallOptions = {},
  ): Promise<void> {
    await this.invoke(
      digitalInputInterface.methods.wait_for_active,
      [timeout],
      options,
    );
  }

  /** Returns once the pin is inactive. @throws {DriverTimeoutError} when the time is up. */
  async waitForInactive(
    timeout?: number | null,
    options: CallOptions = {},
  ): Promise<void> {
    await this.invoke(digitalInputInterface.methods.wait_for_inactive, [
      timeout,
    ], options);
  }

  /**
   * Returns at the next rising or falling edge (one since the previous wait counts).
   *
   * @throws {DriverTimeoutError} when the time is up.
   */
  async waitForEdge(
    edgeType: "rising" | "falling",
    timeout?: number | null,
    options: CallOptions = {},
  ): Promise<void> {
    await this.invoke(digitalInputInterface.methods.wait_for_edge, [
      edgeType,
      timeout,
    ], options);
  }

  /** The pin's state. */
  async read(options: CallOptions = {}): Promise<PinState> {
    return pinState(
      await this.invoke(digitalInputInterface.methods.read_pin, [], options),
    );
  }
}

/** The seed's raspberrypi output client: a PowerClient (on, off, cycle). */
export class RaspberryPiDigitalOutputClient extends PowerClient {}

/** The seed's raspberrypi input client: waits that return when their time is up. */
export class RaspberryPiDigitalInputClient extends DriverClient {
  async waitForActive(
    timeout?: number | null,
    options: CallOptions = {},
  ): Promise<void> {
    await this.invoke(raspberryPiInputInterface.methods.wait_for_active, [
      timeout,
    ], options);
  }

  async waitForInactive(
    timeout?: number | null,
    options: CallOptions = {},
  ): Promise<void> {
    await this.invoke(raspberryPiInputInterface.methods.wait_for_inactive, [
      timeout,
    ], options);
  }
}
