/**
 * Client commands on a controller: `jmp create lease`, `jmp get exporters|leases`,
 * `jmp update lease`, `jmp delete leases` (spec/cli.md 1.1-1.5), with tables and -o.
 */
import { Command } from "commander";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  bareName,
  conditionOf,
  controllerCall,
  type ControllerConnection,
  createLease,
  type Lease,
  leaseResourceName,
  queueInfo,
  releaseLease,
} from "@jumpstarter/lib/client";
import { ExporterStatus } from "@jumpstarter/protos";
import {
  addClientSelectorOptions,
  type ClientSelector,
  resolveClientConfig,
} from "../config_selection.ts";
import { connectAsClient } from "../controller_session.ts";
import { formatDuration, parseDuration } from "../duration.ts";
import { UsageError } from "../errors.ts";
import { type OutputMode, outputOption, printStructured } from "../output.ts";
import { printTable } from "../table.ts";

async function withConnection<T>(
  flags: ClientSelector,
  work: (connection: ControllerConnection) => Promise<T>,
): Promise<T> {
  const config = await resolveClientConfig(flags);
  using connection = await connectAsClient(config);
  return await work(connection);
}

function leaseState(lease: Lease): string {
  const ready = conditionOf(lease, "Ready");
  if (ready?.status === "True") return "Ready";
  if (ready?.status === "False") return ready.reason ?? "Ended";
  if (conditionOf(lease, "Unsatisfiable")?.status === "True") return "Unsatisfiable";
  if (conditionOf(lease, "Invalid")?.status === "True") return "Invalid";
  const { position, estimatedWaitSeconds } = queueInfo(lease);
  if (position !== undefined) {
    const wait = estimatedWaitSeconds === undefined
      ? ""
      : `, ~${formatDuration(estimatedWaitSeconds * 1000)}`;
    return `Waiting (#${position}${wait})`;
  }
  return conditionOf(lease, "Pending")?.reason ?? "Pending";
}

function date(ts: Lease["effectiveBeginTime"]): string {
  return ts ? timestampDate(ts).toISOString().replace(/\.\d+Z$/, "Z") : "";
}

/** A lease as printed with -o json|yaml (upstream's field names). */
function leaseDocument(lease: Lease) {
  const queue = queueInfo(lease);
  return {
    name: bareName(lease.name),
    selector: lease.selector,
    exporter: lease.exporter ? bareName(lease.exporter) : null,
    client: lease.client ? bareName(lease.client) : null,
    duration: lease.duration ? `${Number(lease.duration.seconds)}s` : null,
    effectiveBeginTime: date(lease.effectiveBeginTime) || null,
    effectiveEndTime: date(lease.effectiveEndTime) || null,
    conditions: lease.conditions.map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
    })),
    ...(queue.position === undefined ? {} : { queuePosition: queue.position }),
    ...(queue.estimatedWaitSeconds === undefined
      ? {}
      : { estimatedWaitSeconds: queue.estimatedWaitSeconds }),
  };
}

function printLeases(leases: Lease[], output: OutputMode | undefined): void {
  if (output === "name") {
    for (const lease of leases) console.log(bareName(lease.name));
  } else if (output) {
    printStructured(leases.map(leaseDocument), output);
  } else {
    printTable(
      ["name", "selector", "exporter", "status", "begin", "end"],
      leases.map((lease) => [
        bareName(lease.name),
        lease.selector,
        lease.exporter ? bareName(lease.exporter) : "",
        leaseState(lease),
        date(lease.effectiveBeginTime),
        date(lease.effectiveEndTime),
      ]),
    );
  }
}

function createLeaseCommand(): Command {
  return addClientSelectorOptions(new Command("lease"))
    .description("Create a lease (waits for nothing; see `jmp get leases`)")
    .option("-l, --selector <selector>", "label selector of the exporter to lease")
    .option("-n, --name <exporter>", "lease this exporter")
    .option("--duration <duration>", "how long (e.g. 30m, 01:00:00)", "00:30:00")
    .option("--lease-id <name>", "choose the lease name")
    .addOption(outputOption())
    .action(async (
      flags: ClientSelector & {
        selector?: string;
        name?: string;
        duration: string;
        leaseId?: string;
        output?: OutputMode;
      },
    ) => {
      if (!flags.selector && !flags.name) {
        throw new UsageError("one of --selector/-l or --name/-n is required");
      }
      const durationMs = parseDuration(flags.duration);
      await withConnection(flags, async (connection) => {
        const lease = await createLease(connection, {
          durationMs,
          ...(flags.selector ? { selector: flags.selector } : {}),
          ...(flags.name ? { exporterName: flags.name } : {}),
          ...(flags.leaseId ? { name: flags.leaseId } : {}),
        });
        printLeases([lease], flags.output);
      });
    });
}

function getExportersCommand(): Command {
  return addClientSelectorOptions(new Command("exporters").aliases(["exporter", "e"]))
    .description("List exporters")
    .option("-l, --selector <selector>", "label selector", "")
    .addOption(outputOption())
    .action(async (flags: ClientSelector & { selector: string; output?: OutputMode }) => {
      await withConnection(flags, async (connection) => {
        const { exporters } = await controllerCall(() =>
          connection.clients.listExporters({
            parent: `namespaces/${connection.identity.namespace}`,
            filter: flags.selector,
          })
        );
        if (flags.output === "name") {
          for (const e of exporters) console.log(bareName(e.name));
        } else if (flags.output) {
          printStructured(
            exporters.map((e) => ({
              name: bareName(e.name),
              labels: e.labels,
              online: e.online,
              status: ExporterStatus[e.status],
            })),
            flags.output,
          );
        } else {
          printTable(
            ["name", "status", "labels"],
            exporters.map((e) => [
              bareName(e.name),
              e.online ? statusText(e.status) : "Offline",
              Object.entries(e.labels).map(([k, v]) => `${k}=${v}`).join(","),
            ]),
          );
        }
      });
    });
}

function statusText(status: ExporterStatus): string {
  return (ExporterStatus[status] ?? "UNSPECIFIED").toLowerCase().split("_")
    .map((word) => word[0]!.toUpperCase() + word.slice(1)).join("");
}

function getLeasesCommand(): Command {
  return addClientSelectorOptions(new Command("leases").aliases(["lease", "l"]))
    .description("List your leases (active ones unless --all); waiting ones show their queue place")
    .option("-l, --selector <selector>", "label selector on lease tags", "")
    .option("--all", "include ended leases")
    .addOption(outputOption())
    .action(
      async (flags: ClientSelector & { selector: string; all?: boolean; output?: OutputMode }) => {
        await withConnection(flags, async (connection) => {
          const { leases } = await controllerCall(() =>
            connection.clients.listLeases({
              parent: `namespaces/${connection.identity.namespace}`,
              filter: flags.selector,
              onlyActive: !flags.all,
            })
          );
          printLeases(leases, flags.output);
        });
      },
    );
}

function updateLeaseCommand(): Command {
  return addClientSelectorOptions(new Command("lease"))
    .description("Change a lease's duration")
    .argument("<name>")
    .requiredOption("--duration <duration>", "new duration, from the lease's begin")
    .addOption(outputOption())
    .action(
      async (name: string, flags: ClientSelector & { duration: string; output?: OutputMode }) => {
        const durationMs = parseDuration(flags.duration);
        await withConnection(flags, async (connection) => {
          const lease = await controllerCall(() =>
            connection.clients.updateLease({
              lease: {
                name: leaseResourceName(connection.identity.namespace, name),
                duration: { seconds: BigInt(Math.round(durationMs / 1000)), nanos: 0 },
              },
            })
          );
          printLeases([lease], flags.output);
        });
      },
    );
}

function deleteLeasesCommand(): Command {
  return addClientSelectorOptions(new Command("leases").aliases(["lease", "l"]))
    .description("Release leases")
    .argument("[names...]")
    .option("--all", "release all your active leases")
    .addOption(outputOption(["name"]))
    .action(async (names: string[], flags: ClientSelector & { all?: boolean; output?: "name" }) => {
      if (!flags.all && names.length === 0) {
        throw new UsageError("name the leases to release, or use --all");
      }
      await withConnection(flags, async (connection) => {
        let targets = names;
        if (flags.all) {
          const { leases } = await controllerCall(() =>
            connection.clients.listLeases({ parent: `namespaces/${connection.identity.namespace}` })
          );
          targets = leases.map((lease) => bareName(lease.name));
        }
        for (const name of targets) {
          await releaseLease(connection, name);
          console.log(flags.output === "name" ? name : `lease "${name}" released`);
        }
      });
    });
}

export function createCommand(): Command {
  return new Command("create").alias("c").description("Create a lease").addCommand(
    createLeaseCommand(),
  );
}

export function getCommand(): Command {
  return new Command("get").alias("g").description("List exporters and leases")
    .addCommand(getExportersCommand()).addCommand(getLeasesCommand());
}

export function updateCommand(): Command {
  return new Command("update").description("Update a lease").addCommand(updateLeaseCommand());
}

export function deleteCommand(): Command {
  return new Command("delete").aliases(["del", "d"]).description("Release leases")
    .addCommand(deleteLeasesCommand());
}
