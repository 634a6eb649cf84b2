/**
 * The DUT Link drivers (upstream `jumpstarter_driver_dutlink.driver`): the `Dutlink` composite
 * with `power`, `storage` and `console` children, and each of them on its own. Built against a
 * {@linkcode DutlinkHost}: the real machine by default, an emulated board in tests.
 */
import {
  Composite,
  defineDriverType,
  type DriverOptions,
  type DriverType,
} from "@jumpstarter/lib/driver";
import { PySerial } from "@jumpstarter/driver-serial/driver";
import { DutlinkBoard } from "./board.ts";
import {
  type DutlinkBaseConfig,
  type DutlinkConfig,
  dutlinkConfigSchema,
  dutlinkPowerConfigSchema,
  type DutlinkSerialConfig,
  dutlinkSerialConfigSchema,
  type DutlinkStorageConfig,
  dutlinkStorageConfigSchema,
} from "./config.ts";
import { type DutlinkHost, systemDutlinkHost } from "./host.ts";
import { DutlinkPower } from "./power.ts";
import { DutlinkStorageMux } from "./storage.ts";

export { DutlinkPower } from "./power.ts";
export { DutlinkStorageMux } from "./storage.ts";
export { type DutlinkHost, systemDutlinkHost } from "./host.ts";

/** The board's own console: the CDC-ACM tty whose serial number is the board's (upstream `DutlinkSerial`). */
export class DutlinkSerial extends PySerial {}

function board(
  host: DutlinkHost,
  config: DutlinkBaseConfig,
  serial = config.serial,
) {
  return new DutlinkBoard(host.usb, serial, config.timeout_s);
}

function blockDevice(config: DutlinkStorageConfig) {
  return {
    storageDevice: config.storage_device,
    timeoutS: config.storage_timeout,
    leewayS: config.storage_leeway,
    fsyncTimeoutS: config.storage_fsync_timeout,
  };
}

function dutlinkSerial(
  host: DutlinkHost,
  config: DutlinkSerialConfig,
  options: DriverOptions,
) {
  const { tty } = host.findConsole(config.serial);
  return new DutlinkSerial({
    url: tty,
    baudrate: config.baudrate,
    checkPresent: config.check_present,
    logMaxBytes: config.log_max_bytes,
    disableHupcl: config.disable_hupcl,
    ...(config.cps == null ? {} : { cps: config.cps }),
    ...(config.log_dir === undefined ? {} : { logDir: config.log_dir }),
    ...(config.log_name === undefined ? {} : { logName: config.log_name }),
  }, options);
}

/**
 * The board as one composite. Its serial number is learned from the console when not configured,
 * so the three children drive the same board; `power` and `storage` share its USB handle.
 */
export class Dutlink extends Composite {
  readonly serial: string;

  constructor(
    host: DutlinkHost,
    config: DutlinkConfig,
    options: DriverOptions = {},
  ) {
    super(options);
    let console: PySerial;
    if (config.alternate_console !== null) {
      this.serial = config.serial ?? host.findConsole(null).serial;
      // upstream powers the target on for 5 s when this port is not there yet; ours waits for it
      console = new PySerial({
        url: config.alternate_console,
        baudrate: config.baudrate,
        checkPresent: false,
      });
    } else {
      const found = host.findConsole(config.serial);
      this.serial = found.serial;
      console = new DutlinkSerial({
        url: found.tty,
        baudrate: config.baudrate,
      });
    }
    const shared = board(host, config, this.serial);
    this.addChild("power", new DutlinkPower(shared, true));
    this.addChild(
      "storage",
      new DutlinkStorageMux(shared, false, blockDevice(config)),
    );
    this.addChild("console", console);
  }
}

/** The four DUT Link driver types, talking to `host`. */
export function dutlinkDriverTypes(host: DutlinkHost): DriverType[] {
  return [
    defineDriverType({
      name: "Dutlink",
      aliases: ["jumpstarter_driver_dutlink.driver.Dutlink"],
      config: dutlinkConfigSchema,
      create: (config, options) => new Dutlink(host, config, options),
    }),
    defineDriverType({
      name: "DutlinkPower",
      aliases: ["jumpstarter_driver_dutlink.driver.DutlinkPower"],
      config: dutlinkPowerConfigSchema,
      create: (config, options) => new DutlinkPower(board(host, config), true, options),
    }),
    defineDriverType({
      name: "DutlinkStorageMux",
      aliases: ["jumpstarter_driver_dutlink.driver.DutlinkStorageMux"],
      config: dutlinkStorageConfigSchema,
      create: (config, options) =>
        new DutlinkStorageMux(
          board(host, config),
          true,
          blockDevice(config),
          options,
        ),
    }),
    defineDriverType({
      name: "DutlinkSerial",
      aliases: ["jumpstarter_driver_dutlink.driver.DutlinkSerial"],
      config: dutlinkSerialConfigSchema,
      create: (config, options) => dutlinkSerial(host, config, options),
    }),
  ];
}

/** The driver types on the exporter's own machine (USB through npm `usb`, loaded when used). */
export const dutlinkTypes: DriverType[] = dutlinkDriverTypes(
  systemDutlinkHost(),
);
