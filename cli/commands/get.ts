/**
 * `jmp get exporters [--with leases,online,status]` and `jmp get leases [-a] [-A] [--tag-filter]`
 * (spec/cli.md 1.2, 1.3).
 */
import { Command, InvalidArgumentError } from "commander";
import { bareName, controllerCall, type Lease, listLeases } from "@jumpstarter/lib/client";
import { ExporterStatus } from "@jumpstarter/protos";
import { addClientSelectorOptions, type ClientSelector } from "../config_selection.ts";
import { withClientConnection } from "../controller_session.ts";
import { joinSelectors, repeatable } from "../lease_options.ts";
import { expiresAt, isoDate, leaseState, printLeases } from "../lease_view.ts";
import { type OutputMode, outputOption, printStructured } from "../output.ts";
import { printTable } from "../table.ts";

const WITH_VALUES = ["leases", "online", "status"] as const;
type WithValue = typeof WITH_VALUES[number];

/** Commander parser of `--with`: repeatable, comma-separated, case-insensitive. */
function parseWith(value: string, previous: WithValue[] = []): WithValue[] {
  const items = value.split(",").map((item) => item.trim().toLowerCase()).filter(Boolean);
  const invalid = items.filter((item) => !(WITH_VALUES as readonly string[]).includes(item));
  if (invalid.length > 0) {
    throw new InvalidArgumentError(
      `Invalid value(s) [${invalid.map((i) => `'${i}'`).join(", ")}]. ` +
        `Allowed values are: ${WITH_VALUES.join(", ")}`,
    );
  }
  return [...new Set([...previous, ...items as WithValue[]])];
}

function statusText(status: ExporterStatus): string {
  return (ExporterStatus[status] ?? "UNSPECIFIED").toLowerCase().split("_")
    .map((word) => word[0]!.toUpperCase() + word.slice(1)).join("");
}

interface ExportersFlags extends ClientSelector {
  selector: string[];
  with: WithValue[];
  output?: OutputMode;
}

function getExportersCommand(): Command {
  return addClientSelectorOptions(new Command("exporters").aliases(["exporter", "e"]))
    .description("List exporters")
    .option("-l, --selector <selector>", "label selector (repeatable)", repeatable, [])
    .option("--with <what>", "also show leases, online, status (comma-separated)", parseWith, [])
    .addOption(outputOption())
    .action(async (flags: ExportersFlags) => {
      await withClientConnection(flags, async (connection) => {
        const { exporters } = await controllerCall(() =>
          connection.clients.listExporters({
            parent: `namespaces/${connection.identity.namespace}`,
            filter: joinSelectors(flags.selector),
          })
        );
        const withLeases = flags.with.includes("leases");
        const holders = new Map<string, Lease>();
        if (withLeases) {
          for (const lease of await listLeases(connection, { allClients: true })) {
            if (lease.exporter) holders.set(bareName(lease.exporter), lease);
          }
        }
        if (flags.output === "name") {
          for (const e of exporters) console.log(bareName(e.name));
          return;
        }
        if (flags.output) {
          printStructured(
            exporters.map((e) => {
              const lease = holders.get(bareName(e.name));
              return {
                name: bareName(e.name),
                labels: e.labels,
                online: e.online,
                status: ExporterStatus[e.status],
                ...(withLeases && lease
                  ? {
                    lease: {
                      name: bareName(lease.name),
                      client: lease.client ? bareName(lease.client) : null,
                      status: leaseState(lease),
                      effectiveBeginTime: isoDate(lease.effectiveBeginTime) || null,
                    },
                  }
                  : {}),
              };
            }),
            flags.output,
          );
          return;
        }
        const online = flags.with.includes("online");
        // without --with, our table keeps the status column it always had
        const status = flags.with.includes("status") || flags.with.length === 0;
        printTable(
          [
            "name",
            ...(online ? ["online"] : []),
            ...(status ? ["status"] : []),
            "labels",
            ...(withLeases ? ["leased by", "lease status", "release time"] : []),
          ],
          exporters.map((e) => {
            const lease = holders.get(bareName(e.name));
            return [
              bareName(e.name),
              ...(online ? [e.online ? "yes" : "no"] : []),
              ...(status ? [e.online ? statusText(e.status) : "Offline"] : []),
              Object.entries(e.labels).sort(([a], [b]) => a.localeCompare(b))
                .map(([k, v]) => `${k}=${v}`).join(","),
              ...(withLeases
                ? lease
                  ? [
                    lease.client ? bareName(lease.client) : "",
                    leaseState(lease) === "Ready" ? "In-Use" : leaseState(lease),
                    expiresAt(lease)?.toISOString().slice(0, 19).replace("T", " ") ?? "",
                  ]
                  : ["", "Available", ""]
                : []),
            ];
          }),
        );
      });
    });
}

interface LeasesFlags extends ClientSelector {
  selector: string[];
  all?: boolean;
  allClients?: boolean;
  tagFilter?: string;
  output?: OutputMode;
}

function getLeasesCommand(): Command {
  return addClientSelectorOptions(new Command("leases").aliases(["lease", "l"]))
    .description("List your active leases (-a: ended ones too; -A: every client's)")
    .option("-l, --selector <selector>", "label selector on the lease (repeatable)", repeatable, [])
    .option("-a, --all", "include ended leases")
    .option("-A, --all-clients", "include the leases of every client in the namespace")
    .option("--tag-filter <selector>", "only leases whose tags match this selector")
    .addOption(outputOption())
    .action(async (flags: LeasesFlags) => {
      await withClientConnection(flags, async (connection) => {
        const selector = joinSelectors(flags.selector);
        const leases = await listLeases(connection, {
          ...(selector ? { filter: selector } : {}),
          ...(flags.tagFilter ? { tagFilter: flags.tagFilter } : {}),
          all: flags.all ?? false,
          allClients: flags.allClients ?? false,
        });
        printLeases(leases, flags.output);
      });
    });
}

export function getCommand(): Command {
  return new Command("get").alias("g").description("List exporters and leases")
    .addCommand(getExportersCommand()).addCommand(getLeasesCommand());
}
