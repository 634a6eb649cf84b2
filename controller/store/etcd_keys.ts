/**
 * Where the etcd store keeps things, and the `--store etcd://host:port,host:port[/prefix]` URL.
 *
 * Under the prefix (default `/jumpstarter/`): `data/<collection>/<namespace>/<name>` holds one
 * record as JSON (namespace and name URI-encoded), and `sequence` the counter. `holders/<namespace>/
 * <exporter>` names the lease an exporter is given to (etcd_guard.ts); `live/` holds what lives
 * only as long as the controller replica that wrote it (replica.ts), as do the leader
 * election's, etcd3's keys under `election/`).
 */
import { COLLECTION_NAMES, type CollectionName, StoreError } from "./types.ts";

export const DEFAULT_PREFIX = "/jumpstarter/";

/** What an `etcd://` URL names. */
export interface EtcdLocation {
  /** `http://host:port` of each endpoint. */
  endpoints: string[];
  /** Key prefix, ending in `/`. */
  prefix: string;
}

/** Whether `--store` names etcd rather than a directory. */
export function isEtcdUrl(value: string): boolean {
  return /^etcd:\/\//i.test(value);
}

/** Parses `etcd://host:port,host2:port[/prefix]`; a bad one is a StoreError naming the part. */
export function parseEtcdUrl(value: string): EtcdLocation {
  const bad = (why: string) => new StoreError(`bad etcd store URL "${value}": ${why}`);
  if (!isEtcdUrl(value)) throw bad("it must start with etcd://");
  const rest = value.slice("etcd://".length);
  const slash = rest.indexOf("/");
  const hosts = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? "" : rest.slice(slash);
  if (hosts === "") throw bad("no host (etcd://host:2379,host2:2379)");
  const endpoints = hosts.split(",").map((hostPort) => {
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(hostPort);
    if (!match) throw bad(`"${hostPort}" is not host:port`);
    const port = Number(match[2]);
    if (port < 1 || port > 65535) throw bad(`port ${port} of "${hostPort}" is out of range`);
    return `http://${match[1]}:${port}`;
  });
  const prefix = path === "" || path === "/" ? DEFAULT_PREFIX : `${path.replace(/\/+$/, "")}/`;
  return { endpoints, prefix };
}

/** The key layout under one prefix. */
export class EtcdKeys {
  readonly prefix: string;
  readonly data: string;
  readonly sequence: string;
  readonly holders: string;
  readonly live: string;

  constructor(prefix: string) {
    this.prefix = prefix;
    this.data = `${prefix}data/`;
    this.sequence = `${prefix}sequence`;
    this.holders = `${prefix}holders/`;
    this.live = `${prefix}live/`;
  }

  /** The key naming the lease exporter `name` is given to. */
  holder(namespace: string, name: string): string {
    return `${this.holders}${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  }

  record(collection: CollectionName, namespace: string, name: string): string {
    return `${this.data}${collection}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  }

  /** The collection and key of a record key, or undefined for any other key. */
  parseRecord(
    key: string,
  ): { collection: CollectionName; namespace: string; name: string } | undefined {
    if (!key.startsWith(this.data)) return undefined;
    const parts = key.slice(this.data.length).split("/");
    if (parts.length !== 3) return undefined;
    const collection = parts[0] as CollectionName;
    if (!COLLECTION_NAMES.includes(collection)) return undefined;
    try {
      return {
        collection,
        namespace: decodeURIComponent(parts[1]!),
        name: decodeURIComponent(parts[2]!),
      };
    } catch {
      return undefined;
    }
  }
}
