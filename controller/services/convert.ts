/**
 * Records to protocol messages: leases and exporters as ClientService returns them.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { clientV1, ExporterStatus } from "@jumpstarter/protos";
import { ESTIMATED_WAIT_KEY, QUEUE_POSITION_KEY } from "@jumpstarter/lib/wire";
import type { ControllerCore } from "../core.ts";
import type { ExporterRecord, ExporterStatusName, LeaseCondition, LeaseRecord } from "../model.ts";

const STATUS_NUMBERS: Record<ExporterStatusName, ExporterStatus> = {
  Unspecified: ExporterStatus.UNSPECIFIED,
  Offline: ExporterStatus.OFFLINE,
  Available: ExporterStatus.AVAILABLE,
  BeforeLeaseHook: ExporterStatus.BEFORE_LEASE_HOOK,
  LeaseReady: ExporterStatus.LEASE_READY,
  AfterLeaseHook: ExporterStatus.AFTER_LEASE_HOOK,
  BeforeLeaseHookFailed: ExporterStatus.BEFORE_LEASE_HOOK_FAILED,
  AfterLeaseHookFailed: ExporterStatus.AFTER_LEASE_HOOK_FAILED,
};

/** Protocol enum <-> CRD status string. */
export function statusNumber(name: ExporterStatusName): ExporterStatus {
  return STATUS_NUMBERS[name];
}

export function statusName(status: ExporterStatus): ExporterStatusName {
  const entry = Object.entries(STATUS_NUMBERS).find(([, value]) => value === status);
  return (entry?.[0] ?? "Unspecified") as ExporterStatusName;
}

export function leaseName(namespace: string, name: string): string {
  return `namespaces/${namespace}/leases/${name}`;
}

export function exporterName(namespace: string, name: string): string {
  return `namespaces/${namespace}/exporters/${name}`;
}

function condition(c: LeaseCondition) {
  return {
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
    lastTransitionTime: {
      seconds: BigInt(Math.floor(c.lastTransitionTime / 1000)),
      nanos: (c.lastTransitionTime % 1000) * 1e6,
    },
  };
}

/** A lease as `ClientService` returns it, with our queue information in `context`. */
export function leaseMessage(
  core: ControllerCore,
  lease: LeaseRecord,
): MessageInitShape<typeof clientV1.LeaseSchema> {
  const context: Record<string, string> = { ...lease.context };
  const queue = lease.ended || lease.exporter
    ? undefined
    : core.engine.queueInfo(lease.namespace, lease.name);
  if (queue) {
    context[QUEUE_POSITION_KEY] = String(queue.position);
    if (queue.estimatedWaitMs !== undefined) {
      context[ESTIMATED_WAIT_KEY] = String(Math.ceil(queue.estimatedWaitMs / 1000));
    }
  }
  const began = lease.effectiveBeginTime;
  // as upstream: the planned end of an active lease is not its effective end; clients read a set
  // effective_end_time as "this lease has ended" (jmp shell --lease refuses it)
  const ended = lease.ended ? lease.effectiveEndTime : undefined;
  const lasted = began === undefined ? undefined : Math.max((ended ?? core.now()) - began, 0);
  return {
    name: leaseName(lease.namespace, lease.name),
    selector: lease.selector,
    ...(lease.duration === undefined ? {} : { duration: durationFromMs(lease.duration) }),
    ...(lasted === undefined ? {} : { effectiveDuration: durationFromMs(lasted) }),
    ...(lease.beginTime === undefined ? {} : { beginTime: timestampFromMs(lease.beginTime) }),
    ...(began === undefined ? {} : { effectiveBeginTime: timestampFromMs(began) }),
    ...(lease.endTime === undefined ? {} : { endTime: timestampFromMs(lease.endTime) }),
    ...(ended === undefined ? {} : { effectiveEndTime: timestampFromMs(ended) }),
    client: `namespaces/${lease.namespace}/clients/${lease.client}`,
    ...(lease.exporter ? { exporter: exporterName(lease.namespace, lease.exporter) } : {}),
    conditions: lease.conditions.map(condition),
    ...(lease.exporterName ? { exporterName: lease.exporterName } : {}),
    tags: lease.tags,
    ...(lease.allowDisabled ? { allowDisabled: true } : {}),
    context,
  };
}

/** An exporter as `ClientService` returns it. */
export function exporterMessage(
  core: ControllerCore,
  exporter: ExporterRecord,
): MessageInitShape<typeof clientV1.ExporterSchema> {
  const status = core.exporterStatus(exporter);
  return {
    name: exporterName(exporter.namespace, exporter.name),
    labels: exporter.labels,
    online: core.isOnline(exporter),
    status: statusNumber(status),
    statusMessage: exporter.statusMessage,
    enabled: exporter.enabled,
  };
}
