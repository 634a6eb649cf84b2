/**
 * Lease commands on a controller: `jmp create lease`, `jmp update lease`, `jmp delete leases`
 * (spec/cli.md 1.1, 1.4, 1.5), with upstream HEAD's flags.
 */
import { Command } from "commander";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  bareName,
  controllerCall,
  createLease,
  leaseResourceName,
  listLeases,
  releaseLease,
} from "@jumpstarter/lib/client";
import { JumpstarterError } from "@jumpstarter/lib/wire";
import { addClientSelectorOptions, type ClientSelector } from "../config_selection.ts";
import { withClientConnection } from "../controller_session.ts";
import { parseDuration } from "../duration.ts";
import { UsageError } from "../errors.ts";
import { joinSelectors, parseBeginTime, parsePairs, repeatable } from "../lease_options.ts";
import { printLeases } from "../lease_view.ts";
import { type OutputMode, outputOption } from "../output.ts";
import { getCommand } from "./get.ts";

export { getCommand };

interface CreateFlags extends ClientSelector {
  selector: string[];
  name?: string;
  duration: string;
  beginTime?: string;
  leaseId?: string;
  tag: string[];
  context: string[];
  allowDisabled?: boolean;
  output?: OutputMode;
}

function createLeaseCommand(): Command {
  return addClientSelectorOptions(new Command("lease").alias("leases"))
    .description("Create a lease (waits for nothing; see `jmp get leases`)")
    .option("-l, --selector <selector>", "label selector of the exporter (repeatable)", repeatable)
    .option("-n, --name <exporter>", "lease this exporter")
    .option("--duration <duration>", "how long (e.g. 30m, 01:00:00)", "00:30:00")
    .option("--begin-time <iso8601>", "begin at this time (no offset: local time)")
    .option("--lease-id <name>", "choose the lease name")
    .option("--tag <k=v>", "tag the lease (repeatable)", repeatable, [])
    .option("--context <k=v>", "free-form context (repeatable, at most 8)", repeatable, [])
    .option("--allow-disabled", "with -n: lease the exporter even if it is disabled")
    .addOption(outputOption())
    .action(async (flags: CreateFlags) => {
      const selector = joinSelectors(flags.selector);
      if (!selector && !flags.name) {
        throw new UsageError("one of --selector/-l or --name/-n is required");
      }
      if (flags.allowDisabled && !flags.name) {
        throw new UsageError("--allow-disabled needs --name/-n");
      }
      const context = parsePairs(flags.context, "--context");
      if (Object.keys(context).length > 8) {
        throw new UsageError("Invalid value for '--context': at most 8 entries");
      }
      const request = {
        durationMs: parseDuration(flags.duration),
        ...(selector ? { selector } : {}),
        ...(flags.name ? { exporterName: flags.name } : {}),
        ...(flags.leaseId ? { name: flags.leaseId } : {}),
        ...(flags.beginTime ? { beginTime: parseBeginTime(flags.beginTime) } : {}),
        tags: parsePairs(flags.tag, "--tag"),
        context,
        ...(flags.allowDisabled ? { allowDisabled: true } : {}),
      };
      await withClientConnection(flags, async (connection) => {
        printLeases([await createLease(connection, request)], flags.output);
      });
    });
}

interface UpdateFlags extends ClientSelector {
  duration?: string;
  beginTime?: string;
  toClient?: string;
  output?: OutputMode;
}

function updateLeaseCommand(): Command {
  return addClientSelectorOptions(new Command("lease").alias("leases"))
    .description("Change a lease's duration or begin time, or hand it to another client")
    .argument("<name>")
    .option("--duration <duration>", "new duration, from the lease's begin")
    .option("--begin-time <iso8601>", "new begin time (only before the lease has begun)")
    .option("--to-client <name>", "transfer the lease to this client (same namespace)")
    .addOption(outputOption())
    .action(async (name: string, flags: UpdateFlags) => {
      if (!flags.duration && !flags.beginTime && !flags.toClient) {
        throw new UsageError(
          "At least one of --duration, --begin-time, or --to-client must be specified",
        );
      }
      const durationMs = flags.duration ? parseDuration(flags.duration) : undefined;
      const beginTime = flags.beginTime ? parseBeginTime(flags.beginTime) : undefined;
      await withClientConnection(flags, async (connection) => {
        const { namespace } = connection.identity;
        const lease = await controllerCall(() =>
          connection.clients.updateLease({
            lease: {
              name: leaseResourceName(namespace, name),
              ...(durationMs === undefined
                ? {}
                : { duration: { seconds: BigInt(Math.round(durationMs / 1000)), nanos: 0 } }),
              ...(beginTime ? { beginTime: timestampFromMs(beginTime.getTime()) } : {}),
              ...(flags.toClient
                ? { client: `namespaces/${namespace}/clients/${flags.toClient}` }
                : {}),
            },
            updateMask: {
              paths: [
                ...(durationMs === undefined ? [] : ["duration"]),
                ...(beginTime ? ["begin_time"] : []),
                ...(flags.toClient ? ["client"] : []),
              ],
            },
          })
        );
        printLeases([lease], flags.output);
      });
    });
}

interface DeleteFlags extends ClientSelector {
  selector?: string[];
  all?: boolean;
  allClients?: boolean;
  output?: "name";
}

function deleteLeasesCommand(): Command {
  return addClientSelectorOptions(new Command("leases").aliases(["lease", "l"]))
    .description("Release leases: by name, by selector, or all of yours (-a) or everyone's (-A)")
    .argument("[names...]")
    .option("-l, --selector <selector>", "release the leases matching this selector", repeatable)
    .option("-a, --all", "release all your active leases")
    .option("-A, --all-clients", "release the active leases of every client in the namespace")
    .addOption(outputOption(["name"]))
    .action(async (names: string[], flags: DeleteFlags) => {
      const selector = joinSelectors(flags.selector);
      if (names.length === 0 && !selector && !flags.all && !flags.allClients) {
        throw new UsageError("One of NAMES, --selector, --all or --all-clients must be specified");
      }
      await withClientConnection(flags, async (connection) => {
        const targets = names.length > 0 ? names : (await listLeases(connection, {
          ...(selector ? { filter: selector } : {}),
          allClients: flags.allClients ?? false,
        })).map((lease) => bareName(lease.name));
        if (targets.length === 0) {
          throw new JumpstarterError("no leases found matching the criteria");
        }
        for (const name of targets) {
          await releaseLease(connection, name);
          console.log(flags.output === "name" ? name : `lease "${name}" deleted`);
        }
      });
    });
}

export function createCommand(): Command {
  return new Command("create").alias("c").description("Create a lease")
    .addCommand(createLeaseCommand());
}

export function updateCommand(): Command {
  return new Command("update").description("Update a lease").addCommand(updateLeaseCommand());
}

export function deleteCommand(): Command {
  return new Command("delete").aliases(["del", "d"]).description("Release leases")
    .addCommand(deleteLeasesCommand());
}
