/**
 * The static driver registry of the `jmp` program: importing each driver package registers its
 * driver types (for local mode) and client classes; the table below maps clients to their CLIs.
 */
import type { Command } from "commander";
import type { DriverClient } from "@jumpstarter/lib/client";
import type { ProgressReporter } from "@jumpstarter/lib/streams";
import "@jumpstarter/driver-power/driver";
import "@jumpstarter/driver-snmp/driver";
import "@jumpstarter/driver-http-power/driver";
import "@jumpstarter/driver-energenie/driver";
import "@jumpstarter/driver-tasmota/driver";
import "@jumpstarter/driver-network/driver";
import "@jumpstarter/driver-tftp/driver";
import "@jumpstarter/driver-http/driver";
import "@jumpstarter/driver-shell/driver";
import "@jumpstarter/driver-serial/driver";
import "@jumpstarter/driver-qemu/driver";
import "@jumpstarter/driver-uboot/driver";
import "@jumpstarter/driver-opendal/driver";
import { powerCli, PowerClient } from "@jumpstarter/driver-power";
import { snmpCli, SNMPServerClient } from "@jumpstarter/driver-snmp";
import { networkCli, NetworkClient } from "@jumpstarter/driver-network";
import { tftpCli, TftpClient } from "@jumpstarter/driver-tftp";
import { httpCli, HttpServerClient } from "@jumpstarter/driver-http";
import { shellCli, ShellClient } from "@jumpstarter/driver-shell";
import { pyserialCli, PySerialClient } from "@jumpstarter/driver-serial";
import { flasherCli, FlasherClient, qemuCli, QemuClient } from "@jumpstarter/driver-qemu";
import { ubootCli, UbootConsoleClient } from "@jumpstarter/driver-uboot";
import {
  storageMuxCli,
  StorageMuxClient,
  storageMuxFlasherCli,
  StorageMuxFlasherClient,
} from "@jumpstarter/driver-opendal";
import { terminalProgress } from "./progress.ts";

/** What driver CLIs get from the program: how to show progress. */
export interface CliContext {
  progress: ProgressReporter;
  /** For a composite's own CLI: adds its children's commands to `command`. */
  addChildren?: (command: Command) => void;
}

/** Builds the `j <name> ...` command group of one client. */
// deno-lint-ignore no-explicit-any
type CliBuilder = (client: any, name: string, context: CliContext) => Command;

/** Client classes and their CLI builders, most specific classes first. */
const CLI_BUILDERS: [abstract new (...args: never[]) => DriverClient, CliBuilder][] = [
  [UbootConsoleClient, ubootCli],
  [SNMPServerClient, snmpCli],
  [PowerClient, powerCli],
  [NetworkClient, networkCli],
  [TftpClient, tftpCli],
  [HttpServerClient, httpCli],
  [ShellClient, shellCli],
  [PySerialClient, pyserialCli],
  [FlasherClient, flasherCli],
  [QemuClient, qemuCli],
  [StorageMuxFlasherClient, storageMuxFlasherCli],
  [StorageMuxClient, storageMuxCli],
];

/** The context handed to every driver CLI. */
export const cliContext: CliContext = { progress: terminalProgress };

/** The CLI builder for `client`, if its class has one. */
export function cliBuilderFor(client: DriverClient): CliBuilder | undefined {
  return CLI_BUILDERS.find(([kind]) => client instanceof kind)?.[1];
}
