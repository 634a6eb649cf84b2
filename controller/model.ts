/**
 * The controller's records: clients, exporters and leases, as kept in the store. Times are epoch
 * milliseconds; durations are milliseconds. Names are unique per namespace.
 */

/** A Kubernetes-style condition on a lease (type, status, reason, message). */
export interface LeaseCondition {
  type: "Pending" | "Ready" | "Unsatisfiable" | "Invalid";
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: number;
}

/** A client allowed to lease exporters. */
export interface ClientRecord {
  namespace: string;
  name: string;
  /** Random per creation; part of the token subject, so a recreated client gets new tokens. */
  uid: string;
  labels: Record<string, string>;
  createdAt: number;
  /** Bumped by each RotateToken; tokens of an older generation are revoked. Absent for 0. */
  tokenGeneration?: number;
  /** The external OIDC user (prefix + claim) whose tokens act as this client, if any. */
  oidcUsername?: string;
}

/** Upstream's exporter status strings (`status.exporterStatus` of the CRD). */
export type ExporterStatusName =
  | "Unspecified"
  | "Offline"
  | "Available"
  | "BeforeLeaseHook"
  | "LeaseReady"
  | "AfterLeaseHook"
  | "BeforeLeaseHookFailed"
  | "AfterLeaseHookFailed";

/** One entry of an exporter's registered driver report. */
export interface DeviceRecord {
  uuid: string;
  parentUuid?: string;
  labels: Record<string, string>;
}

/** An exporter (a host wired to a board). */
export interface ExporterRecord {
  namespace: string;
  name: string;
  uid: string;
  /** Admin-set labels, plus `jumpstarter.dev/*` labels from registration. */
  labels: Record<string, string>;
  /** The driver report of the last Register; empty when unregistered. */
  devices: DeviceRecord[];
  status: ExporterStatusName;
  statusMessage: string;
  /** Last time the exporter was seen (Status stream open, or a call); 0 if never. */
  lastSeen: number;
  /** False once disabled by an admin: no new leases (unless allowDisabled). */
  enabled: boolean;
  createdAt: number;
}

/**
 * A queued lease whose client polls for it (our `jmp shell`): if the polls stop for `patienceMs`
 * while it still waits, the client is gone and the lease is dropped. Kept in the store so a
 * restarted controller applies the same rule. `name` is the lease's.
 */
export interface WaiterRecord {
  namespace: string;
  name: string;
  patienceMs: number;
}

/** A lease: a client's claim on one exporter for a time. */
export interface LeaseRecord {
  namespace: string;
  /** UUIDv7 text unless the client chose a name. */
  name: string;
  /** Client name (same namespace). */
  client: string;
  /** Label selector text (Kubernetes syntax); may be empty when exporterName is set. */
  selector: string;
  /** A specific exporter the client asked for. */
  exporterName?: string;
  /** Requested duration. */
  duration?: number;
  /** Requested (scheduled) begin and end. */
  beginTime?: number;
  endTime?: number;
  /** Assigned exporter name, once the lease is Ready. */
  exporter?: string;
  effectiveBeginTime?: number;
  effectiveEndTime?: number;
  conditions: LeaseCondition[];
  /** Release requested (DeleteLease, ReleaseLease, exporter release). */
  release: boolean;
  ended: boolean;
  tags: Record<string, string>;
  /** Allow a disabled exporter to be assigned (v0.9.0+ `allow_disabled`). */
  allowDisabled?: boolean;
  /** The client's free-form context (HEAD `jmp create lease --context k=v`). */
  context?: Record<string, string>;
  createdAt: number;
  /** Monotonic creation order, the FIFO key of the queue. */
  sequence: number;
  /** Priority of the access-policy rule it was granted under (upstream `status.priority`). */
  priority?: number;
  /** Granted under a spot-access rule: a non-spot lease may preempt it (`status.spotAccess`). */
  spotAccess?: boolean;
}
