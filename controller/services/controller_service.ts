/**
 * `jumpstarter.v1.ControllerService`: exporters register, report status, keep the Status
 * stream (heartbeat) and Listen for tunnel tickets; clients Dial their leased exporter.
 */
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ControllerService, ServiceHandlers, ServiceMethods } from "@jumpstarter/protos";
import { Code, JumpstarterError } from "@jumpstarter/lib/wire";
import type * as grpc from "@grpc/grpc-js";
import { AsyncQueue } from "../async_queue.ts";
import type { ControllerCore } from "../core.ts";
import { callInstance } from "../call_metadata.ts";
import type { ExporterStatusUpdate, Ticket } from "../hub.ts";
import type { ExporterRecord } from "../model.ts";
import { formatSelector, parseSelector } from "../scheduler/selector.ts";
import { fromLabelSelector, toLabelSelector } from "../scheduler/selector_convert.ts";
import { statusName } from "./convert.ts";

/** How long Dial waits for the exporter to be ready and listening. */
const DIAL_WAIT_MS = 30_000;

type Metadata = { metadata: grpc.Metadata };

function permissionDenied(): JumpstarterError {
  return new JumpstarterError("permission denied", { code: Code.UNKNOWN });
}

export function controllerHandlers(core: ControllerCore): ServiceHandlers<
  ServiceMethods<typeof ControllerService>
> {
  const exporterOf = async (call: Metadata): Promise<ExporterRecord> => {
    const caller = await core.authenticate(call.metadata, ["Exporter"]);
    if (caller.kind !== "Exporter") throw permissionDenied();
    const record = core.store.exporters.get(caller.namespace, caller.name);
    if (!record) throw permissionDenied();
    core.assertSoleInstance(record.namespace, record.name, callInstance(call.metadata));
    return record;
  };
  const clientOf = async (call: Metadata) => {
    const caller = await core.authenticate(call.metadata, ["Client"]);
    if (caller.kind !== "Client") throw permissionDenied();
    return caller;
  };
  const seen = async (namespace: string, name: string, change: Partial<ExporterRecord> = {}) => {
    const record = core.store.exporters.get(namespace, name);
    if (!record) return;
    await core.updateExporter({ ...record, ...change, lastSeen: core.now() });
  };
  const ownLease = (namespace: string, client: string, name: string) => {
    const lease = core.store.leases.get(namespace, name);
    if (!lease) {
      throw new JumpstarterError(`lease "${name}" not found`, { code: Code.NOT_FOUND });
    }
    if (lease.client !== client) throw permissionDenied();
    return lease;
  };

  return {
    register: async (request, call) => {
      const exporter = await exporterOf(call);
      if (request.reports.length === 0) {
        throw new JumpstarterError("a registration needs at least one driver report", {
          code: Code.INVALID_ARGUMENT,
        });
      }
      const labels = Object.fromEntries(
        Object.entries(exporter.labels).filter(([key]) => !key.startsWith("jumpstarter.dev/")),
      );
      for (const [key, value] of Object.entries(request.labels)) {
        if (key.startsWith("jumpstarter.dev/")) labels[key] = value;
      }
      await seen(exporter.namespace, exporter.name, {
        labels,
        devices: request.reports.map((report) => ({
          uuid: report.uuid,
          ...(report.parentUuid ? { parentUuid: report.parentUuid } : {}),
          labels: { ...report.labels },
        })),
        status: exporter.status === "Offline" ? "Unspecified" : exporter.status,
      });
      return { uuid: exporter.uid };
    },
    unregister: async (request, call) => {
      const exporter = await exporterOf(call);
      core.releaseInstance(exporter.namespace, exporter.name, callInstance(call.metadata));
      await core.releaseLeasesOfExporter(exporter.namespace, exporter.name);
      await core.updateExporter({
        ...exporter,
        devices: [],
        status: "Offline",
        statusMessage: request.reason,
        lastSeen: 0,
      });
      return {};
    },
    reportStatus: async (request, call) => {
      const exporter = await exporterOf(call);
      await seen(exporter.namespace, exporter.name, {
        status: statusName(request.status),
        statusMessage: request.message ?? "",
      });
      if (request.releaseLease) {
        const lease = core.activeLeaseOf(exporter);
        if (lease) {
          core.publish(
            await core.engine.release(lease.namespace, lease.name, "released by exporter"),
          );
        }
      }
      return {};
    },
    status: async function* (_request, call) {
      const exporter = await exporterOf(call);
      const queue = new AsyncQueue<ExporterStatusUpdate>();
      const unsubscribe = core.hub.watchStatus(
        exporter.namespace,
        exporter.name,
        (update) => queue.push(update),
        callInstance(call.metadata),
      );
      // an open stream counts as online by itself (core.isOnline): lastSeen is written when it
      // opens and closes, not on a timer, so a connected exporter costs no store writes
      const stop = () => {
        // at once: the Unregister that follows a clean stop must find the stream gone
        unsubscribe();
        queue.close();
      };
      call.once("cancelled", stop);
      call.once("close", stop);
      try {
        await seen(exporter.namespace, exporter.name);
        queue.push(core.statusUpdate(core.store.exporters.get(exporter.namespace, exporter.name)!));
        let last = "";
        for await (const update of queue) {
          const text = JSON.stringify(update);
          if (text === last) continue;
          last = text;
          yield update;
        }
      } finally {
        unsubscribe();
        await seen(exporter.namespace, exporter.name);
      }
    },
    listen: async function* (request, call) {
      const exporter = await exporterOf(call);
      const lease = core.store.leases.get(exporter.namespace, request.leaseName);
      if (!lease || lease.exporter !== exporter.name || lease.ended) throw permissionDenied();
      const queue = new AsyncQueue<Ticket>();
      const unsubscribe = core.hub.listen(
        exporter.namespace,
        lease.name,
        (ticket) => queue.push(ticket),
      );
      const stop = () => queue.close();
      call.once("cancelled", stop);
      call.once("close", stop);
      try {
        for await (const ticket of queue) yield ticket;
      } finally {
        unsubscribe();
      }
    },
    dial: async (request, call) => {
      const caller = await clientOf(call);
      if (!request.leaseName) {
        throw new JumpstarterError("empty lease name", { code: Code.INVALID_ARGUMENT });
      }
      const lease = ownLease(caller.namespace, caller.name, request.leaseName);
      if (lease.ended || !lease.exporter) {
        throw new JumpstarterError("lease not active", { code: Code.UNKNOWN });
      }
      const exporter = core.store.exporters.get(lease.namespace, lease.exporter);
      if (!exporter || !core.isOnline(exporter)) {
        throw new JumpstarterError("exporter is offline", { code: Code.FAILED_PRECONDITION });
      }
      if (exporter.status.endsWith("Failed")) {
        throw new JumpstarterError(`exporter is not ready (status: ${exporter.status})`, {
          code: Code.FAILED_PRECONDITION,
        });
      }
      const ticket = {
        // a router process's, else this replica's own router
        routerEndpoint: await core.peers?.routerFor(lease.namespace, lease.name) ?? core.endpoint,
        routerToken: await core.authority.routerToken(),
      };
      // an exporter that goes away meanwhile fails the Dial at once, not after DIAL_WAIT_MS
      const exporterUp = () => {
        const current = core.store.exporters.get(lease.namespace, exporter.name);
        return current !== undefined && core.isOnline(current);
      };
      if (!await core.hub.deliver(lease.namespace, lease.name, ticket, DIAL_WAIT_MS, exporterUp)) {
        if (!exporterUp()) {
          throw new JumpstarterError("exporter is offline", { code: Code.FAILED_PRECONDITION });
        }
        throw new JumpstarterError(`exporter is not listening on lease ${lease.name}: not ready`, {
          code: Code.FAILED_PRECONDITION,
        });
      }
      return ticket;
    },
    getLease: async (request, call) => {
      const caller = await clientOf(call);
      const lease = ownLease(caller.namespace, caller.name, request.name);
      return {
        ...(lease.duration === undefined ? {} : { duration: durationFromMs(lease.duration) }),
        selector: toLabelSelector(parseSelector(lease.selector)),
        ...(lease.effectiveBeginTime === undefined
          ? {}
          : { beginTime: timestampFromMs(lease.effectiveBeginTime) }),
        ...(!lease.ended || lease.effectiveEndTime === undefined
          ? {}
          : { endTime: timestampFromMs(lease.effectiveEndTime) }),
        ...(lease.exporter
          ? { exporterUuid: core.store.exporters.get(lease.namespace, lease.exporter)?.uid ?? "" }
          : {}),
        conditions: lease.conditions.map((c) => ({
          type: c.type,
          status: c.status,
          reason: c.reason,
          message: c.message,
        })),
      };
    },
    requestLease: async (request, call) => {
      const caller = await clientOf(call);
      const { lease, changed } = await core.engine.create({
        namespace: caller.namespace,
        client: caller.name,
        selector: request.selector ? formatSelector(fromLabelSelector(request.selector)) : "",
        ...(request.duration
          ? { duration: Number(request.duration.seconds) * 1000 + request.duration.nanos / 1e6 }
          : {}),
      });
      core.publish(changed);
      return { name: lease.name };
    },
    releaseLease: async (request, call) => {
      const caller = await core.authenticate(call.metadata, ["Client", "Exporter"]);
      if (caller.kind === "Admin") throw permissionDenied();
      const lease = core.store.leases.get(caller.namespace, request.name);
      if (!lease) {
        throw new JumpstarterError(`lease "${request.name}" not found`, { code: Code.NOT_FOUND });
      }
      const owner = caller.kind === "Client" ? lease.client : lease.exporter;
      if (owner !== caller.name) throw permissionDenied();
      if (!lease.ended) {
        core.publish(await core.engine.release(lease.namespace, lease.name, "released"));
      }
      return {};
    },
    listLeases: async (_request, call) => {
      const caller = await clientOf(call);
      return {
        names: core.store.leases.list(caller.namespace)
          .filter((lease) => lease.client === caller.name && !lease.ended)
          .map((lease) => lease.name),
      };
    },
    getServiceEndpoints: async (_request, call) => {
      await exporterOf(call);
      return { telemetryEndpoints: [] };
    },
  };
}
