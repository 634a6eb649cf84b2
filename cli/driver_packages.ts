/**
 * The driver packages `jmp`, `j` and `jmp-exporter` ship: the one list a new driver package is
 * added to. The driver registry (config `type:` names), the client registry (report class paths)
 * and `j`'s commands are all built from it; a name two packages claim fails at start. Composite
 * is not listed: the framework puts it in every registry.
 */
import type { Command } from "commander";
import { type DriverPackage, driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf, type DriverClient } from "@jumpstarter/lib/client";
import { driverPackage as power } from "@jumpstarter/driver-power/package";
import { driverPackage as httpPower } from "@jumpstarter/driver-http-power/package";
import { driverPackage as energenie } from "@jumpstarter/driver-energenie/package";
import { driverPackage as tasmota } from "@jumpstarter/driver-tasmota/package";
import { driverPackage as snmp } from "@jumpstarter/driver-snmp/package";
import { driverPackage as network } from "@jumpstarter/driver-network/package";
import { driverPackage as serial } from "@jumpstarter/driver-serial/package";
import { driverPackage as shell } from "@jumpstarter/driver-shell/package";
import { driverPackage as opendal } from "@jumpstarter/driver-opendal/package";
import { driverPackage as http } from "@jumpstarter/driver-http/package";
import { driverPackage as tftp } from "@jumpstarter/driver-tftp/package";
import { driverPackage as qemu } from "@jumpstarter/driver-qemu/package";
import { driverPackage as uboot } from "@jumpstarter/driver-uboot/package";
import { driverPackage as flashers } from "@jumpstarter/driver-flashers/package";
import { driverPackage as gpiod } from "@jumpstarter/driver-gpiod/package";
import { driverPackage as probeRs } from "@jumpstarter/driver-probe-rs/package";
import { driverPackage as dutlink } from "@jumpstarter/driver-dutlink/package";
import { driverPackage as sdwire } from "@jumpstarter/driver-sdwire/package";
import { driverPackage as yepkit } from "@jumpstarter/driver-yepkit/package";
import { driverPackage as video } from "@jumpstarter/driver-video/package";
import { driverPackage as ustreamer } from "@jumpstarter/driver-ustreamer/package";
import { driverPackage as corellium } from "@jumpstarter/driver-corellium/package";
import { driverPackage as can } from "@jumpstarter/driver-can/package";
import type { CliContext } from "./drivers.ts";

/** Every driver package of the program, in `jmp driver list` order of packages. */
export const DRIVER_PACKAGES: readonly DriverPackage[] = [
  power,
  httpPower,
  energenie,
  tasmota,
  snmp,
  network,
  serial,
  shell,
  opendal,
  http,
  tftp,
  qemu,
  uboot,
  flashers,
  dutlink,
  sdwire,
  yepkit,
  gpiod,
  video,
  ustreamer,
  probeRs,
  corellium,
  can,
];

/** Driver types by config `type:` name, for local, direct and registered exporters. */
export const driverRegistry = driverRegistryOf(DRIVER_PACKAGES);

/** Client classes by reported class path, for `j`, `jmp shell` and the testing helpers. */
export const clientRegistry = clientRegistryOf(DRIVER_PACKAGES);

/** Builds the `j <name> ...` command group of one client. */
export type CliBuilder = (client: DriverClient, name: string, context: CliContext) => Command;
