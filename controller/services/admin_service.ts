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
  };
}

/** The AdminService handlers. */
export function adminHandlers(core: ControllerCore): ServiceHandlers<
  ServiceMethods<typeof adminV1.AdminService>
> {
  const admin = (call: { metadata: import("@grpc/grpc-js").Metadata }) =>
    core.authenticate(call.metadata, ["Admin"]);
  const namespaceOf = (namespace: string) => namespace || "default";
  return {
    createClient: async (request, call) => {
      await admin(call);
      const namespace = namespaceOf(request.namespace);
      validName("client", request.name);
      if (core.store.clients.get(namespace, request.name)) {
        throw new JumpstarterError(`client "${request.name}" already exists in ${namespace}`, {
          code: Code.ALREADY_EXISTS,
        });
      }
      const record: ClientRecord = {
        namespace,
        name: request.name,
        uid: crypto.randomUUID(),
        labels: { ...request.labels },
        createdAt: core.now(),
      };
      await core.store.clients.put(record);
      const token = await core.authority.issue({
        kind: "Client",
        namespace,
        name: record.name,
        uid: record.uid,
      });
      return {
        principal: principalOf(core, record),
        token,
        endpoint: core.endpoint,
        ca: core.caBase64,
      };
    },
    getClient: async (request, call) => {
      await admin(call);
      const record = core.store.clients.get(namespaceOf(request.namespace), request.name);
      if (!record) throw notFound("client", request.name);
      return principalOf(core, record);
    },
    listClients: async (request, call) => {
      await admin(call);
      const records = core.store.clients.list(request.namespace || undefined)
        .filter((record) => matchesSelectorText(request.filter, record.labels));
      return { principals: records.map((record) => principalOf(core, record)) };
    },
    deleteClient: async (request, call) => {
      await admin(call);
      const namespace = namespaceOf(request.namespace);
      if (!core.store.clients.get(namespace, request.name)) throw notFound("client", request.name);
      await core.releaseLeasesOfClient(namespace, request.name);
      await core.store.clients.delete(namespace, request.name);
      return {};
    },
    createExporter: async (request, call) => {
      await admin(call);
      const namespace = namespaceOf(request.namespace);
      validName("exporter", request.name);
      if (core.store.exporters.get(namespace, request.name)) {
        throw new JumpstarterError(`exporter "${request.name}" already exists in ${namespace}`, {
          code: Code.ALREADY_EXISTS,
        });
      }
      const record: ExporterRecord = {
        namespace,
        name: request.name,
        uid: crypto.randomUUID(),
        labels: { ...request.labels },
        devices: [],
        status: "Offline",
        statusMessage: "",
        lastSeen: 0,
        enabled: true,
        createdAt: core.now(),
      };
      await core.store.exporters.put(record);
      const token = await core.authority.issue({
        kind: "Exporter",
        namespace,
        name: record.name,
        uid: record.uid,
      });
      return {
        principal: principalOf(core, record),
        token,
        endpoint: core.endpoint,
        ca: core.caBase64,
      };
    },
    getExporter: async (request, call) => {
      await admin(call);
      const record = core.store.exporters.get(namespaceOf(request.namespace), request.name);
      if (!record) throw notFound("exporter", request.name);
      return principalOf(core, record);
    },
    listExporters: async (request, call) => {
      await admin(call);
      const records = core.store.exporters.list(request.namespace || undefined)
        .filter((record) => matchesSelectorText(request.filter, record.labels));
      return { principals: records.map((record) => principalOf(core, record)) };
    },
    deleteExporter: async (request, call) => {
      await admin(call);
      const namespace = namespaceOf(request.namespace);
      if (!core.store.exporters.get(namespace, request.name)) {
        throw notFound("exporter", request.name);
      }
      await core.releaseLeasesOfExporter(namespace, request.name);
      await core.store.exporters.delete(namespace, request.name);
      return {};
    },
  };
}

function notFound(kind: string, name: string): JumpstarterError {
  return new JumpstarterError(`${kind} "${name}" not found`, { code: Code.NOT_FOUND });
}
