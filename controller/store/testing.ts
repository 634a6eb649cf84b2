/** Record builders for tests. */
import type { ClientRecord, ExporterRecord, LeaseRecord } from "../model.ts";

export function client(name: string, namespace = "default"): ClientRecord {
  return { namespace, name, uid: `uid-${name}`, labels: {}, createdAt: 1 };
}

export function exporter(
  name: string,
  labels: Record<string, string> = {},
  namespace = "default",
): ExporterRecord {
  return {
    namespace,
    name,
    uid: `uid-${name}`,
    labels,
    devices: [],
    status: "Available",
    statusMessage: "",
    lastSeen: 0,
    enabled: true,
    createdAt: 1,
  };
}

export function lease(name: string, sequence: number, namespace = "default"): LeaseRecord {
  return {
    namespace,
    name,
    client: "alice",
    selector: "board=rpi4",
    duration: 60_000,
    conditions: [],
    release: false,
    ended: false,
    tags: {},
    createdAt: 1,
    sequence,
  };
}
