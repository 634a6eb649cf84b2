/**
 * The static driver registry of the `jmp` program: importing each driver package registers its
 * driver types (for local mode) and client classes; the table below maps clients to their CLIs.
 */
import type { Command } from "commander";
import type { DriverClient } from "@jumpstarter/lib/client";
import "@jumpstarter/driver-composite/driver";
import "@jumpstarter/driver-power/driver";
import { CompositeClient } from "@jumpstarter/driver-composite";
import { powerCli, PowerClient } from "@jumpstarter/driver-power";

/** Builds the `j <name> ...` command group of one client. */
// deno-lint-ignore no-explicit-any
type CliBuilder = (client: any, name: string) => Command;

/** Client classes and their CLI builders, most specific classes first. */
const CLI_BUILDERS: [abstract new (...args: never[]) => DriverClient, CliBuilder][] = [
  [PowerClient, powerCli],
];

/** The CLI builder for `client`, if its class has one. */
export function cliBuilderFor(client: DriverClient): CliBuilder | undefined {
  return CLI_BUILDERS.find(([kind]) => client instanceof kind)?.[1];
}

/** Whether `client` is a grouping node whose children make up its CLI. */
export function isComposite(client: DriverClient): boolean {
  return client instanceof CompositeClient;
}
