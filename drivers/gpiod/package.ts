/**
 * The gpiod package's descriptor: `DigitalOutput`, `DigitalInput`, `PowerSwitch` (and the seed's
 * raspberrypi class paths), their clients and `j` commands. A PowerSwitch reports upstream's
 * `PowerClient`, which belongs to `@jumpstarter/driver-power`: list that package too. Apart from
 * `mod.ts` because it loads the exporter-side drivers.
 *
 * @module
 */
import {
  definePackage,
  type DriverPackage,
  type Grants,
  throughLibc,
} from "@jumpstarter/lib/driver";
import { powerCli } from "@jumpstarter/driver-power";
import { gpiodDriverTypes } from "./driver.ts";
import { RASPBERRY_PI_CHIP, raspberryPiDriverTypes } from "./raspberrypi.ts";
import {
  DigitalInputClient,
  DigitalOutputClient,
  RaspberryPiDigitalInputClient,
  RaspberryPiDigitalOutputClient,
} from "./client.ts";
import { digitalInputCli, digitalOutputCli } from "./cli.ts";
import {
  digitalInputInterface,
  digitalOutputInterface,
  raspberryPiInputInterface,
  raspberryPiOutputInterface,
} from "./interface.ts";
import type { GpioSyscalls } from "./syscalls.ts";
import { libcSyscalls } from "./libc.ts";

/** The package with its drivers reaching GPIO chips through `sys` (tests pass an emulator). */
export function gpiodPackage(sys: GpioSyscalls): DriverPackage {
  return definePackage({
    name: "@jumpstarter/driver-gpiod",
    driverTypes: [...gpiodDriverTypes(sys), ...raspberryPiDriverTypes(sys)],
    clients: [
      {
        classPaths: [digitalOutputInterface.client],
        client: DigitalOutputClient,
        cli: digitalOutputCli,
      },
      {
        classPaths: [digitalInputInterface.client],
        client: DigitalInputClient,
        cli: digitalInputCli,
      },
      {
        classPaths: [raspberryPiOutputInterface.client],
        client: RaspberryPiDigitalOutputClient,
        cli: powerCli,
      },
      {
        classPaths: [raspberryPiInputInterface.client],
        client: RaspberryPiDigitalInputClient,
      },
    ],
    grants: {
      DigitalOutput: chipGrants,
      DigitalInput: chipGrants,
      PowerSwitch: chipGrants,
      RaspberryPiDigitalOutput: () => throughLibc(RASPBERRY_PI_CHIP),
      RaspberryPiDigitalInput: () => throughLibc(RASPBERRY_PI_CHIP),
    },
  });
}

/** `@jumpstarter/driver-gpiod` on the machine's GPIO chips, for a program's package list. */
export const driverPackage: DriverPackage = gpiodPackage(libcSyscalls);

/** The chip's device node, opened and driven (ioctl, poll) through libc. */
function chipGrants(config: { device: string }): Grants {
  return throughLibc(config.device);
}
