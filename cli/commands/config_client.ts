/**
 * `jmp config client create|delete|list|use` (spec/cli.md section 1.9): local client config
 * files in `<home>/clients/` and the user config's `current-client`. These commands take no
 * short aliases (`jmp config client ls` fails), as upstream.
 */
import { resolve } from "node:path";
import { Command, Option } from "commander";
import {
  API_VERSION,
  type ClientConfig,
  type ClientConfigDocument,
  clientConfigPath,
  currentClientAlias,
  type Env,
  listClientConfigFiles,
  loadClientConfig,
  pathExists,
  saveClientConfig,
  setCurrentClient,
} from "@jumpstarter/lib/config";
import { JumpstarterError } from "@jumpstarter/lib/wire";
import { validAlias } from "../config_selection.ts";
import { UsageError } from "../errors.ts";
import { aborted, canPrompt, collectValues, confirm, type InteractivityFlags } from "../prompt.ts";
import { type OutputMode, outputOption, printStructured } from "../output.ts";
import { printTable } from "../table.ts";
import { confirmOnTerminal } from "../confirm.ts";

/** Printed in place of a credential by `list -o json|yaml` unless `--show-credentials`. */
export const REDACTED = "<redacted>";

/** `-o path`: print the absolute path of the file written, used or removed. */
export function pathOutputOption(): Option {
  return new Option("-o, --output <mode>", "output format").choices(["path"]);
}

/** `-k/--insecure-tls`, and `--insecure-tls-config`, its older name, hidden from help. */
export function insecureTlsOptions(): Option[] {
  return [
    new Option("-k, --insecure-tls", "disable TLS certificate verification for the endpoint"),
    new Option("--insecure-tls-config").hideHelp(),
  ];
}

/** The flags of {@linkcode insecureTlsOptions}. */
export interface InsecureTlsFlags extends InteractivityFlags {
  insecureTls?: boolean;
  insecureTlsConfig?: boolean;
}

/**
 * Whether insecure TLS was asked for; asks to confirm it unless `--nointeractive`.
 * Without a terminal to ask on, a usage error.
 */
export async function confirmInsecureTls(flags: InsecureTlsFlags): Promise<boolean> {
  const insecure = flags.insecureTls === true || flags.insecureTlsConfig === true;
  if (!insecure || flags.nointeractive) return insecure;
  if (!Deno.stdin.isTerminal()) {
    throw new UsageError(
      "--insecure-tls needs confirming and there is no terminal to ask on: add --nointeractive",
    );
  }
  const message =
    "Insecure TLS mode is enabled. Certificate verification will be disabled for the endpoint. Continue?";
  if (!(await confirm(message))) aborted();
  return true;
}

/** `--allow a,b` as a list: trimmed, without empty items. */
export function splitAllowList(allow: string): string[] {
  return allow.split(",").map((item) => item.trim()).filter((item) => item !== "");
}

interface CreateFlags extends InsecureTlsFlags {
  namespace?: string;
  name?: string;
  endpoint?: string;
  token?: string;
  allow?: string;
  unsafe?: boolean;
  out?: string;
  output?: "path";
}

async function createClientConfig(alias: string, flags: CreateFlags): Promise<void> {
  const env: Env = Deno.env.toObject();
  validAlias(alias, "ALIAS");
  const path = flags.out === undefined ? clientConfigPath(alias, env) : resolve(flags.out);
  if (flags.out === undefined && await pathExists(path)) {
    throw new JumpstarterError(`A client with the name '${alias}' already exists.`);
  }
  const interactive = canPrompt(flags);
  const [namespace, name, endpoint, token, allow] = await collectValues([
    {
      flag: "--namespace",
      given: flags.namespace,
      message: "Enter a valid Jumpstarter client namespace",
    },
    { flag: "--name", given: flags.name, message: "Enter a valid Jumpstarter client name" },
    {
      flag: "--endpoint",
      given: flags.endpoint,
      message: "Enter a valid Jumpstarter service endpoint",
    },
    {
      flag: "--token",
      given: flags.token,
      message: "Enter a Jumpstarter auth token (hidden)",
      hidden: true,
    },
    {
      flag: "--allow",
      given: flags.allow,
      message: "Enter a comma-separated list of allowed driver packages (optional)",
      optional: true,
    },
  ], interactive);
  const insecure = await confirmInsecureTls(flags);
  const document: ClientConfigDocument = {
    apiVersion: API_VERSION,
    kind: "ClientConfig",
    metadata: { namespace: namespace ?? "", name: name ?? "" },
    endpoint: endpoint ?? null,
    tls: { ca: "", insecure },
    token: token ?? null,
    "refresh_token": null,
    grpcOptions: {},
    drivers: { allow: splitAllowList(allow ?? ""), unsafe: flags.unsafe === true },
    shell: { "use_profiles": false },
    leases: { "acquisition_timeout": 7200, "dial_timeout": 60, "retry_timeout": 300 },
  };
  await saveClientConfig(document, path);
  let current = "";
  if (flags.out === undefined) {
    const all = await listClientConfigFiles(env);
    if (all.length === 1 && all[0]?.alias === alias) {
      await setCurrentClient(alias, env);
      current = " (now the current client config)";
    }
  }
  if (flags.output === "path") console.log(path);
  else confirmOnTerminal(`Created client config "${alias}" at ${path}${current}`);
}

async function existingClientPath(alias: string, env: Env): Promise<string> {
  const path = clientConfigPath(validAlias(alias, "ALIAS"), env);
  if (!(await pathExists(path))) {
    throw new JumpstarterError(`Client config '${path}' does not exist.`);
  }
  return path;
}

async function deleteClientConfig(alias: string, flags: { output?: "path" }): Promise<void> {
  const env: Env = Deno.env.toObject();
  const path = await existingClientPath(alias, env);
  if (await currentClientAlias(env) === alias) {
    const next = (await listClientConfigFiles(env)).find((entry) => entry.alias !== alias);
    await setCurrentClient(next?.alias ?? null, env);
  }
  await Deno.remove(path);
  if (flags.output === "path") console.log(path);
  else confirmOnTerminal(`Deleted client config "${alias}" (${path})`);
}

async function useClientConfig(alias: string, flags: { output?: "path" }): Promise<void> {
  const env: Env = Deno.env.toObject();
  const path = await existingClientPath(alias, env);
  await setCurrentClient(alias, env);
  if (flags.output === "path") console.log(path);
  else confirmOnTerminal(`Using client config "${alias}" (${path})`);
}

/** A client config as `list -o json|yaml` shows it: alias and path first, tokens redacted. */
function listItem(config: ClientConfig, showCredentials: boolean): Record<string, unknown> {
  const secret = (value: string | null) => showCredentials || value === null ? value : REDACTED;
  return {
    alias: config.alias,
    path: config.path,
    apiVersion: config.apiVersion,
    kind: config.kind,
    metadata: config.metadata,
    endpoint: config.endpoint,
    tls: config.tls,
    token: secret(config.token),
    ...(showCredentials ? { "refresh_token": config.refresh_token } : {}),
    grpcOptions: config.grpcOptions,
    drivers: config.drivers,
    shell: config.shell,
    leases: config.leases,
  };
}

async function listClientConfigs(
  flags: { output?: OutputMode; showCredentials?: boolean },
): Promise<void> {
  const env: Env = Deno.env.toObject();
  const current = await currentClientAlias(env);
  const entries = await listClientConfigFiles(env);
  if (flags.output === "name") {
    for (const entry of entries) console.log(entry.alias);
    return;
  }
  const configs = await Promise.all(entries.map((entry) => loadClientConfig(entry.path)));
  if (flags.output === "json" || flags.output === "yaml") {
    printStructured({
      apiVersion: API_VERSION,
      kind: "ClientConfigList",
      currentConfig: current,
      items: configs.map((config) => listItem(config, flags.showCredentials === true)),
    }, flags.output);
    return;
  }
  printTable(
    ["CURRENT", "NAME", "ENDPOINT", "PATH"],
    configs.map((config) => [
      config.alias === current ? "*" : "",
      config.alias,
      config.endpoint ?? "",
      config.path ?? "",
    ]),
  );
}

/** `jmp config client ...` */
export function configClientCommand(): Command {
  const command = new Command("client").description("Modify jumpstarter client config files");

  const create = new Command("create")
    .description("Create a client config")
    .argument("<alias>", "name of the config: <home>/clients/ALIAS.yaml")
    .option("--out <file>", "write the config to this file instead (it does not become current)")
    .option("--namespace <namespace>", "the Jumpstarter client namespace")
    .option("--name <name>", "the Jumpstarter client name")
    .option("-e, --endpoint <endpoint>", "the Jumpstarter service endpoint (host:port)")
    .option("-t, --token <token>", "an auth token generated by the Jumpstarter service")
    .option("-a, --allow <list>", "comma-separated driver client packages to load")
    .option("--unsafe", "allow every driver client package to load (UNSAFE!)");
  for (const option of insecureTlsOptions()) create.addOption(option);
  create
    .option("--nointeractive", "never prompt: a missing value is an error")
    .addOption(pathOutputOption())
    .action(createClientConfig);

  const remove = new Command("delete")
    .description("Delete a client config (the current one moves to another)")
    .argument("<alias>", "the config to delete")
    .addOption(pathOutputOption())
    .action(deleteClientConfig);

  const list = new Command("list")
    .description("List the client configs")
    .addOption(outputOption())
    .option("--show-credentials", "show tokens in -o json|yaml instead of redacting them")
    .action(listClientConfigs);

  const use = new Command("use")
    .description("Select the current client config")
    .argument("<alias>", "the config to use")
    .addOption(pathOutputOption())
    .action(useClientConfig);

  return command.addCommand(create).addCommand(remove).addCommand(list).addCommand(use);
}
