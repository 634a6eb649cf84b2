/**
 * `jmp config exporter create|delete|edit|list` (spec/cli.md section 1.10). Configs are written
 * to `<home>/exporters/ALIAS.yaml` and read from there, then from /etc/jumpstarter/exporters.
 * ALIAS defaults to `default`. No short aliases, as upstream.
 */
import { Command } from "commander";
import {
  API_VERSION,
  type Env,
  exporterConfigCandidates,
  listExporterConfigFiles,
  loadExporterConfig,
  pathExists,
  saveNewExporterConfig,
} from "@jumpstarter/lib/config";
import { JumpstarterError } from "@jumpstarter/lib/wire";
import { parse } from "yaml";
import { validAlias } from "../config_selection.ts";
import { type OutputMode, outputOption, printStructured } from "../output.ts";
import { printTable } from "../table.ts";
import { confirmOnTerminal } from "../confirm.ts";
import { canPrompt, collectValues } from "../prompt.ts";
import {
  confirmInsecureTls,
  type InsecureTlsFlags,
  insecureTlsOptions,
  pathOutputOption,
  REDACTED,
} from "./config_client.ts";

const DEFAULT_ALIAS = "default";

/** `[user path, system path]` for a valid alias. */
function candidates(alias: string, env: Env): [string, string] {
  const [user, system] = exporterConfigCandidates(validAlias(alias, "ALIAS"), env);
  if (user === undefined || system === undefined) throw new Error("no exporter config location");
  return [user, system];
}

/** The file `alias` stands for: the user's, else the system's; an error when neither exists. */
async function existingExporterPath(alias: string, env: Env): Promise<string> {
  for (const path of candidates(alias, env)) if (await pathExists(path)) return path;
  throw new JumpstarterError(`exporter "${alias}" does not exist`);
}

interface CreateFlags extends InsecureTlsFlags {
  namespace?: string;
  name?: string;
  endpoint?: string;
  token?: string;
  output?: "path";
}

async function createExporterConfig(alias: string, flags: CreateFlags): Promise<void> {
  const env: Env = Deno.env.toObject();
  // a system config of the same alias may be shadowed; only the user's file is protected
  const [path] = candidates(alias, env);
  if (await pathExists(path)) throw new JumpstarterError(`exporter "${alias}" exists`);
  // endpoint and token are asked for but may be left empty: a local exporter needs neither
  const [namespace, name, endpoint, token] = await collectValues([
    { flag: "--namespace", given: flags.namespace, message: "Namespace" },
    { flag: "--name", given: flags.name, message: "Name" },
    { flag: "--endpoint", given: flags.endpoint, message: "Endpoint", optional: true },
    { flag: "--token", given: flags.token, message: "Token", optional: true, hidden: true },
  ], canPrompt(flags));
  const insecure = await confirmInsecureTls(flags);
  await saveNewExporterConfig({
    namespace: namespace ?? "",
    name: name ?? "",
    endpoint: endpoint || null,
    token: token || null,
    insecure,
  }, path);
  if (flags.output === "path") console.log(path);
  else confirmOnTerminal(`Created exporter config "${alias}" at ${path}`);
}

async function deleteExporterConfig(alias: string, flags: { output?: "path" }): Promise<void> {
  const env: Env = Deno.env.toObject();
  const [user, system] = candidates(alias, env);
  if (!(await pathExists(user))) {
    if (await pathExists(system)) {
      throw new JumpstarterError(
        `exporter "${alias}" is a system config (${system}); remove that file as its owner`,
      );
    }
    throw new JumpstarterError(`exporter "${alias}" does not exist`);
  }
  await Deno.remove(user);
  if (flags.output === "path") console.log(user);
  else confirmOnTerminal(`Deleted exporter config "${alias}" (${user})`);
  if (await pathExists(system)) {
    console.error(
      `Warning: ${user} deleted, but a system config at ${system} still exists and will now be used.`,
    );
  }
}

async function editExporterConfig(alias: string): Promise<void> {
  const env: Env = Deno.env.toObject();
  const path = await existingExporterPath(alias, env);
  const editor = env["VISUAL"] || env["EDITOR"] || "vi";
  // the editor variable may carry arguments (`code --wait`), so a shell runs it, as upstream
  let status: Deno.CommandStatus;
  try {
    status = await new Deno.Command("sh", {
      args: ["-c", `${editor} "$1"`, "jmp-config-edit", path],
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new JumpstarterError(`${editor}: Editing failed: ${detail}`);
  }
  if (!status.success) throw new JumpstarterError(`${editor}: Editing failed`);
}

/** The file's document as `list -o json|yaml` shows it: alias and path first, token redacted. */
async function listItem(
  alias: string,
  path: string,
  showCredentials: boolean,
): Promise<Record<string, unknown>> {
  await loadExporterConfig(path); // a broken file is reported with its location
  const document: unknown = parse(await Deno.readTextFile(path));
  const fields = typeof document === "object" && document !== null && !Array.isArray(document)
    ? { ...document as Record<string, unknown> }
    : {};
  if (!showCredentials && typeof fields["token"] === "string") fields["token"] = REDACTED;
  return { alias, path, ...fields };
}

async function listExporterConfigs(
  flags: { output?: OutputMode; showCredentials?: boolean },
): Promise<void> {
  const entries = await listExporterConfigFiles(Deno.env.toObject());
  if (flags.output === "name") {
    for (const entry of entries) console.log(entry.alias);
  } else if (flags.output === "json" || flags.output === "yaml") {
    const items = [];
    for (const entry of entries) {
      items.push(await listItem(entry.alias, entry.path, flags.showCredentials === true));
    }
    printStructured({ apiVersion: API_VERSION, kind: "ExporterConfigList", items }, flags.output);
  } else {
    printTable(["ALIAS", "PATH"], entries.map((entry) => [entry.alias, entry.path]));
  }
}

/** `jmp config exporter ...` */
export function configExporterCommand(): Command {
  const command = new Command("exporter").description("Modify jumpstarter exporter config files");

  const create = new Command("create")
    .description("Create an exporter config in <home>/exporters/")
    .argument("[alias]", "name of the config", DEFAULT_ALIAS)
    .option("--namespace <namespace>", "the exporter's namespace")
    .option("--name <name>", "the exporter's name")
    .option("--endpoint <endpoint>", "the Jumpstarter service endpoint (host:port)")
    .option("--token <token>", "the exporter's auth token");
  for (const option of insecureTlsOptions()) create.addOption(option);
  create
    .option("--nointeractive", "never prompt: a missing value is an error")
    .addOption(pathOutputOption())
    .action(createExporterConfig);

  const remove = new Command("delete")
    .description("Delete an exporter config from <home>/exporters/")
    .argument("[alias]", "the config to delete", DEFAULT_ALIAS)
    .addOption(pathOutputOption())
    .action(deleteExporterConfig);

  const edit = new Command("edit")
    .description("Edit an exporter config with $VISUAL, else $EDITOR, else vi")
    .argument("[alias]", "the config to edit", DEFAULT_ALIAS)
    .action(editExporterConfig);

  const list = new Command("list")
    .description("List the exporter configs (yours, then the system's)")
    .addOption(outputOption())
    .option("--show-credentials", "show tokens in -o json|yaml instead of redacting them")
    .action(listExporterConfigs);

  return command.addCommand(create).addCommand(remove).addCommand(edit).addCommand(list);
}
