/**
 * Shell methods: the interface, `ShellClient` and its CLI. The exporter-side driver (`Shell`) is
 * in `./driver`.
 *
 * @module
 */
export { MAX_ARGUMENTS, type OutputItem, outputSchema, shellInterface } from "./interface.ts";
export { type OutputOptions, type RunOptions, ShellClient, type ShellOutput } from "./client.ts";
export { exitStatus, shellCli, type ShellCliContext, type ShellCliIo } from "./cli.ts";
