/**
 * `jmp admin`: create, list and delete clients and exporters on a jmp-controller (our own admin
 * API; upstream manages these as Kubernetes resources). `--save` writes ready-to-use configs.
 */
import { Command, Option } from "commander";
import {
  API_VERSION,
  type ClientConfigDocument,
  clientConfigPath,
  listClientConfigFiles,
  saveClientConfig,
  saveNewExporterConfig,
  setCurrentClient,
  stringifyClientConfig,
  stringifyNewExporterConfig,
  userExporterConfigDir,
} from "@jumpstarter/lib/config";
import type { adminV1 } from "@jumpstarter/protos";
import { controllerCall } from "@jumpstarter/lib/client";
import { replicaChannelOptions } from "@jumpstarter/lib/tunnel";
import { connectAdmin, defaultAdminConfigPath, loadAdminConfig } from "../admin_connection.ts";
import { UsageError } from "../errors.ts";
import { type OutputMode, outputOption, printStructured } from "../output.ts";
import { printTable } from "../table.ts";

interface AdminFlags {
  adminConfig?: string;
  namespace: string;
}

function labelPairs(value: string, previous: Record<string, string>): Record<string, string> {
  const index = value.indexOf("=");
  if (index <= 0) throw new UsageError(`invalid label "${value}": expected KEY=VALUE`);
  return { ...previous, [value.slice(0, index)]: value.slice(index + 1) };
}

async function admin(flags: AdminFlags) {
  const config = await loadAdminConfig(flags.adminConfig ?? defaultAdminConfigPath());
  return await connectAdmin(config);
}

function commonOptions(command: Command): Command {
  return command
    .option("--admin-config <path>", "admin config written by jmp-controller")
    .option("-n, --namespace <ns>", "namespace", "default");
}

function clientDocument(
  credential: adminV1.Credential,
  allow: string[],
  unsafe: boolean,
): ClientConfigDocument {
  return {
    apiVersion: API_VERSION,
    kind: "ClientConfig",
    metadata: { namespace: credential.principal!.namespace, name: credential.principal!.name },
    endpoint: credential.endpoint,
    tls: { ca: credential.ca, insecure: false },
    token: credential.token,
    "refresh_token": null,
    grpcOptions: replicaChannelOptions(credential.endpoint, credential.ca),
    drivers: { allow, unsafe },
    shell: { "use_profiles": false },
    leases: { "acquisition_timeout": 7200, "dial_timeout": 60, "retry_timeout": 300 },
  };
}

function createClientCommand(): Command {
  return commonOptions(new Command("client"))
    .description("Create a client and print (or --save) its config")
    .argument("<name>")
    .option("-l, --label <k=v>", "label (repeatable)", labelPairs, {})
    .option("--save", "write the config to <home>/clients/NAME.yaml")
    .option("--out <file>", "write the config to this file")
    .option("--allow <globs>", "driver client allow-list, comma-separated", "")
    .option("--unsafe", "allow every driver client")
    .option("--oidc-username <user>", "OIDC username (prefix + claim) that may act as this client")
    .action(async (
      name: string,
      flags: AdminFlags & {
        label: Record<string, string>;
        save?: boolean;
        out?: string;
        allow: string;
        unsafe?: boolean;
        oidcUsername?: string;
      },
    ) => {
      const client = await admin(flags);
      try {
        const credential = await controllerCall(() =>
          client.createClient({
            namespace: flags.namespace,
            name,
            labels: flags.label,
            oidcUsername: flags.oidcUsername ?? "",
          })
        );
        const allow = flags.allow.split(",").map((s) => s.trim()).filter(Boolean);
        const document = clientDocument(credential, allow, flags.unsafe ?? false);
        const path = flags.out ?? (flags.save ? clientConfigPath(name) : undefined);
        if (!path) {
          console.log(stringifyClientConfig(document).trimEnd());
          return;
        }
        await saveClientConfig(document, path);
        if (flags.save && (await listClientConfigFiles()).length === 1) {
          await setCurrentClient(name);
        }
        console.error(`Client configuration saved to ${path}`);
      } finally {
        client.close();
      }
    });
}

function createExporterCommand(): Command {
  return commonOptions(new Command("exporter"))
    .description("Create an exporter and print (or --save) its config")
    .argument("<name>")
    .option("-l, --label <k=v>", "label (repeatable)", labelPairs, {})
    .option("--save", "write the config to <home>/exporters/NAME.yaml")
    .option("--out <file>", "write the config to this file")
    .action(async (
      name: string,
      flags: AdminFlags & {
        label: Record<string, string>;
        save?: boolean;
        out?: string;
      },
    ) => {
      const client = await admin(flags);
      try {
        const credential = await controllerCall(() =>
          client.createExporter({ namespace: flags.namespace, name, labels: flags.label })
        );
        const config = {
          namespace: credential.principal!.namespace,
          name,
          endpoint: credential.endpoint,
          token: credential.token,
          insecure: false,
          ca: credential.ca,
          grpcOptions: replicaChannelOptions(credential.endpoint, credential.ca),
        };
        const path = flags.out ??
          (flags.save ? `${userExporterConfigDir()}/${name}.yaml` : undefined);
        if (!path) {
          console.log(stringifyNewExporterConfig(config).trimEnd());
          return;
        }
        await Deno.mkdir(path.slice(0, path.lastIndexOf("/")) || ".", { recursive: true });
        await saveNewExporterConfig(config, path);
        console.error(`Exporter configuration saved to ${path}`);
      } finally {
        client.close();
      }
    });
}

function principalRows(principals: adminV1.Principal[], exporters: boolean): string[][] {
  return principals.map((p) => {
    const labels = Object.entries(p.labels).map(([k, v]) => `${k}=${v}`).join(",");
    return exporters
      ? [p.name, p.online ? "yes" : "no", p.status, p.lease, labels]
      : [p.name, labels];
  });
}

function getCommand(kind: "clients" | "exporters"): Command {
  const singular = kind.slice(0, -1);
  return commonOptions(new Command(kind).alias(singular))
    .description(`List ${kind} (or show one)`)
    .argument("[name]")
    .option("-l, --selector <selector>", "label selector", "")
    .addOption(outputOption())
    .action(async (
      name: string | undefined,
      flags: AdminFlags & {
        selector: string;
        output?: OutputMode;
      },
    ) => {
      const client = await admin(flags);
      try {
        const principals = name
          ? [
            await controllerCall(() =>
              kind === "clients"
                ? client.getClient({ namespace: flags.namespace, name })
                : client.getExporter({ namespace: flags.namespace, name })
            ),
          ]
          : (await controllerCall(() =>
            kind === "clients"
              ? client.listClients({ namespace: flags.namespace, filter: flags.selector })
              : client.listExporters({ namespace: flags.namespace, filter: flags.selector })
          )).principals;
        if (flags.output === "name") {
          for (const p of principals) console.log(`${singular}.jumpstarter.dev/${p.name}`);
        } else if (flags.output) {
          printStructured(
            principals.map((p) => ({
              namespace: p.namespace,
              name: p.name,
              labels: p.labels,
              ...(kind === "exporters"
                ? { online: p.online, status: p.status, lease: p.lease }
                : {}),
              ...(p.oidcUsername ? { oidcUsername: p.oidcUsername } : {}),
            })),
            flags.output,
          );
        } else {
          printTable(
            kind === "exporters"
              ? ["name", "online", "status", "lease", "labels"]
              : ["name", "labels"],
            principalRows(principals, kind === "exporters"),
            { emptyMessage: `No resources found in ${flags.namespace} namespace.` },
          );
        }
      } finally {
        client.close();
      }
    });
}

function deleteCommand(kind: "client" | "exporter"): Command {
  return commonOptions(new Command(kind))
    .description(`Delete a ${kind} (its leases are released)`)
    .argument("<name>")
    .addOption(new Option("-o, --output <mode>", "output format").choices(["name"]))
    .action(async (name: string, flags: AdminFlags & { output?: "name" }) => {
      const client = await admin(flags);
      try {
        await controllerCall(() =>
          kind === "client"
            ? client.deleteClient({ namespace: flags.namespace, name })
            : client.deleteExporter({ namespace: flags.namespace, name })
        );
        console.log(
          flags.output === "name" ? `${kind}.jumpstarter.dev/${name}` : `${kind} "${name}" deleted`,
        );
      } finally {
        client.close();
      }
    });
}

export function adminCommand(): Command {
  const create = new Command("create").alias("c").description("Create clients and exporters")
    .addCommand(createClientCommand()).addCommand(createExporterCommand());
  const get = new Command("get").alias("g").description("List clients and exporters")
    .addCommand(getCommand("clients")).addCommand(getCommand("exporters"));
  const remove = new Command("delete").aliases(["del", "d"]).description(
    "Delete clients and exporters",
  )
    .addCommand(deleteCommand("client")).addCommand(deleteCommand("exporter"));
  return new Command("admin").alias("a")
    .description("Administer a jmp-controller (our admin API extension)")
    .addCommand(create).addCommand(get).addCommand(remove);
}
