/**
 * AdminService (our extension): create, inspect and delete clients and exporters. Creating one
 * returns its token, the endpoint and the CA: everything a ready-to-use config needs.
 */
import { adminV1, type ServiceHandlers, type ServiceMethods } from "@jumpstarter/protos";
import { Code, JumpstarterError } from "@jumpstarter/lib/wire";
import type { ClientRecord, ExporterRecord } from "../model.ts";
import type { ControllerCore } from "../core.ts";
import { matchesSelectorText } from "../selector_match.ts";

function validName(kind: string, name: string): void {
  if (!/^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/.test(name)) {
    throw new JumpstarterError(
      `invalid ${kind} name "${name}": use lowercase letters, digits, "-" and "." (at most 63)`,
      { code: Code.INVALID_ARGUMENT },
    );
  }
}

/** Kubernetes namespaces are DNS-1123 labels; anything else (`../x`, `a/b`) is refused. */
function validNamespace(namespace: string): string {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
    throw new JumpstarterError(
      `invalid namespace "${namespace.slice(0, 80)}": use a DNS-1123 label (lowercase letters, ` +
        `digits and "-", at most 63, starting and ending with a letter or digit)`,
      { code: Code.INVALID_ARGUMENT },
    );
  }
  return namespace;
}

function principalOf(core: ControllerCore, record: ClientRecord | ExporterRecord) {
  const exporter = "devices" in record ? record : undefined;
  return {
    namespace: record.namespace,
    name: record.name,
    labels: record.labels,
    uid: record.uid,
    createdAtMs: BigInt(record.createdAt),
    status: exporter ? core.exporterStatus(exporter) : "",
    online: exporter ? core.isOnline(exporter) : false,
    lease: exporter ? core.activeLeaseOf(exporter)?.name ?? "" : "",
    oidcUsername: exporter ? "" : (record as ClientRecord).oidcUsername ?? "",
  };
}

/** The AdminService handlers. */
export function adminHandlers(core: ControllerCore): ServiceHandlers<
  ServiceMethods<typeof adminV1.AdminService>
> {
  const admin = (call: { metadata: import("@grpc/grpc-js").Metadata }) =>
    core.authenticate(call.metadata, ["Admin"]);
  const namespaceOf = (namespace: string) => validNamespace(namespace || "default");
  type Kind = "client" | "exporter";
  const collection = (kind: Kind) => kind === "client" ? core.store.clients : core.store.exporters;

  /** Creates a client or exporter record and returns its credential. */
  const create = async (
    kind: Kind,
    request: {
      namespace: string;
      name: string;
      labels: Record<string, string>;
      oidcUsername: string;
    },
  ) => {
    const namespace = namespaceOf(request.namespace);
    validName(kind, request.name);
    if (request.oidcUsername && kind !== "client") {
      throw new JumpstarterError("an OIDC username binds clients only", {
        code: Code.INVALID_ARGUMENT,
      });
    }
    if (collection(kind).get(namespace, request.name)) {
      throw new JumpstarterError(`${kind} "${request.name}" already exists in ${namespace}`, {
        code: Code.ALREADY_EXISTS,
      });
    }
    const base = {
      namespace,
      name: request.name,
      uid: crypto.randomUUID(),
      labels: { ...request.labels },
      createdAt: core.now(),
    };
    let record: ClientRecord | ExporterRecord = base;
    if (kind === "client") {
      record = request.oidcUsername ? { ...base, oidcUsername: request.oidcUsername } : base;
      await core.store.clients.put(record);
    } else {
      record = {
        ...base,
        devices: [],
        status: "Offline",
        statusMessage: "",
        lastSeen: 0,
        enabled: true,
      };
      await core.store.exporters.put(record);
    }
    const token = await core.authority.issue({
      kind: kind === "client" ? "Client" : "Exporter",
      namespace,
      name: base.name,
      uid: base.uid,
    });
    return {
      principal: principalOf(core, record),
      token,
      endpoint: core.configEndpoint,
      ca: core.caBase64,
    };
  };
  const get = (kind: Kind, request: { namespace: string; name: string }) => {
    const record = collection(kind).get(namespaceOf(request.namespace), request.name);
    if (!record) throw notFound(kind, request.name);
    return principalOf(core, record);
  };
  const list = (kind: Kind, request: { namespace: string; filter: string }) => {
    const records = collection(kind).list(
      request.namespace ? validNamespace(request.namespace) : undefined,
    ) as (
      | ClientRecord
      | ExporterRecord
    )[];
    return {
      principals: records
        .filter((record) => matchesSelectorText(request.filter, record.labels))
        .map((record) => principalOf(core, record)),
    };
  };
  const remove = async (kind: Kind, request: { namespace: string; name: string }) => {
    const namespace = namespaceOf(request.namespace);
    if (!collection(kind).get(namespace, request.name)) throw notFound(kind, request.name);
    if (kind === "client") await core.releaseLeasesOfClient(namespace, request.name);
    else await core.releaseLeasesOfExporter(namespace, request.name);
    await collection(kind).delete(namespace, request.name);
    return {};
  };
  return {
    createClient: async (request, call) => (await admin(call), await create("client", request)),
    getClient: async (request, call) => (await admin(call), get("client", request)),
    listClients: async (request, call) => (await admin(call), list("client", request)),
    deleteClient: async (request, call) => (await admin(call), await remove("client", request)),
    createExporter: async (request, call) => (await admin(call), await create("exporter", request)),
    getExporter: async (request, call) => (await admin(call), get("exporter", request)),
    listExporters: async (request, call) => (await admin(call), list("exporter", request)),
    deleteExporter: async (request, call) => (await admin(call), await remove("exporter", request)),
  };
}

function notFound(kind: string, name: string): JumpstarterError {
  return new JumpstarterError(`${kind} "${name}" not found`, { code: Code.NOT_FOUND });
}
