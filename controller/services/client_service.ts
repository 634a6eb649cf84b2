/**
 * `jumpstarter.client.v1.ClientService`: exporters and leases for clients, scoped to the
 * caller's namespace (spec/protocol.md 2.7, 7.2).
 */
import type { clientV1, ServiceHandlers, ServiceMethods } from "@jumpstarter/protos";
import { Code, JumpstarterError } from "@jumpstarter/lib/wire";
import type * as grpc from "@grpc/grpc-js";
import { generationOf } from "../auth.ts";
import type { ControllerCore } from "../core.ts";
import { callWaiterPatience } from "../call_metadata.ts";
import { matchesSelectorText } from "../selector_match.ts";
import { exporterMessage, leaseMessage } from "./convert.ts";

type Metadata = { metadata: grpc.Metadata };

function parse(
  resource: string,
  kind: "exporters" | "leases",
): { namespace: string; name: string } {
  const match = new RegExp(`^namespaces/([^/]+)/${kind}/([^/]+)$`).exec(resource);
  if (!match) {
    throw new JumpstarterError(`invalid ${kind.slice(0, -1)} name "${resource}"`, {
      code: Code.INVALID_ARGUMENT,
    });
  }
  return { namespace: match[1]!, name: match[2]! };
}

function parent(resource: string): string {
  const match = /^namespaces\/([^/]+)$/.exec(resource);
  if (!match) {
    throw new JumpstarterError(`invalid parent "${resource}"`, { code: Code.INVALID_ARGUMENT });
  }
  return match[1]!;
}

/** The client a lease moves to: a bare name or `namespaces/<ns>/clients/<name>`. */
function transferTarget(client: string): string {
  return client.slice(client.lastIndexOf("/") + 1);
}

function milliseconds(value: { seconds: bigint; nanos: number } | undefined): number | undefined {
  return value === undefined ? undefined : Number(value.seconds) * 1000 + value.nanos / 1e6;
}

export function clientHandlers(core: ControllerCore): ServiceHandlers<
  ServiceMethods<typeof clientV1.ClientService>
> {
  /** Clients (`namespace/name`) whose token is being rotated right now. */
  const rotating = new Set<string>();
  const clientIn = async (call: Metadata, namespace: string) => {
    const caller = await core.authenticate(call.metadata, ["Client"]);
    if (caller.kind !== "Client") {
      throw new JumpstarterError("permission denied", { code: Code.PERMISSION_DENIED });
    }
    if (caller.namespace !== namespace) {
      throw new JumpstarterError("namespace mismatch", { code: Code.PERMISSION_DENIED });
    }
    return caller;
  };
  const ownLease = async (call: Metadata, resource: string) => {
    const { namespace, name } = parse(resource, "leases");
    const caller = await clientIn(call, namespace);
    const lease = core.store.leases.get(namespace, name);
    if (!lease) throw new JumpstarterError(`lease "${name}" not found`, { code: Code.NOT_FOUND });
    if (lease.client !== caller.name) {
      throw new JumpstarterError("permission denied", { code: Code.PERMISSION_DENIED });
    }
    return lease;
  };
  return {
    getExporter: async (request, call) => {
      const { namespace, name } = parse(request.name, "exporters");
      await clientIn(call, namespace);
      const exporter = core.store.exporters.get(namespace, name);
      if (!exporter) {
        throw new JumpstarterError(`exporter "${name}" not found`, { code: Code.NOT_FOUND });
      }
      return exporterMessage(core, exporter);
    },
    listExporters: async (request, call) => {
      const namespace = parent(request.parent);
      await clientIn(call, namespace);
      return {
        exporters: core.store.exporters.list(namespace)
          .filter((exporter) => matchesSelectorText(request.filter, exporter.labels))
          .map((exporter) => exporterMessage(core, exporter)),
      };
    },
    getLease: async (request, call) => {
      const lease = await ownLease(call, request.name);
      core.noteWaiter(lease, callWaiterPatience(call.metadata));
      return leaseMessage(core, lease);
    },
    listLeases: async (request, call) => {
      const namespace = parent(request.parent);
      const onlyActive = request.onlyActive ?? true;
      // every client's leases in the namespace, as upstream's controller lists them; the CLI
      // keeps its own unless asked for all (`jmp get leases -A`)
      await clientIn(call, namespace);
      return {
        leases: core.store.leases.list(namespace)
          .filter((lease) => !onlyActive || !lease.ended)
          .filter((lease) => matchesSelectorText(request.filter, lease.tags))
          .filter((lease) => matchesSelectorText(request.tagFilter, lease.tags))
          .map((lease) => leaseMessage(core, lease)),
      };
    },
    createLease: async (request, call) => {
      const namespace = parent(request.parent);
      const caller = await clientIn(call, namespace);
      const lease = request.lease;
      const duration = milliseconds(lease?.duration);
      const beginTime = milliseconds(lease?.beginTime);
      const endTime = milliseconds(lease?.endTime);
      const { lease: created, changed } = await core.engine.create({
        namespace,
        client: caller.name,
        selector: lease?.selector ?? "",
        ...(lease?.exporterName ? { exporterName: lease.exporterName } : {}),
        ...(duration === undefined ? {} : { duration }),
        ...(beginTime === undefined ? {} : { beginTime }),
        ...(endTime === undefined ? {} : { endTime }),
        tags: { ...lease?.tags },
        ...(lease?.allowDisabled ? { allowDisabled: true } : {}),
        ...(lease && Object.keys(lease.context).length > 0
          ? { context: { ...lease.context } }
          : {}),
        ...(request.leaseId ? { name: request.leaseId } : {}),
      });
      core.publish(changed);
      return leaseMessage(core, core.store.leases.get(namespace, created.name) ?? created);
    },
    updateLease: async (request, call) => {
      if (!request.lease) {
        throw new JumpstarterError("lease is required", { code: Code.INVALID_ARGUMENT });
      }
      const current = await ownLease(call, request.lease.name);
      const duration = milliseconds(request.lease.duration);
      const beginTime = milliseconds(request.lease.beginTime);
      const endTime = milliseconds(request.lease.endTime);
      const toClient = request.lease.client ? transferTarget(request.lease.client) : undefined;
      if (toClient !== undefined && !core.store.clients.get(current.namespace, toClient)) {
        throw new JumpstarterError(`client "${toClient}" not found`, { code: Code.NOT_FOUND });
      }
      const { lease, changed } = await core.engine.update(current.namespace, current.name, {
        ...(duration === undefined ? {} : { duration }),
        ...(beginTime === undefined ? {} : { beginTime }),
        ...(endTime === undefined ? {} : { endTime }),
        ...(toClient === undefined ? {} : { client: toClient }),
      });
      core.publish(changed);
      return leaseMessage(core, lease);
    },
    deleteLease: async (request, call) => {
      const lease = await ownLease(call, request.name);
      core.publish(
        await core.engine.releaseFor(lease.namespace, lease.name, {
          client: lease.client,
          message: "released by the client",
        }),
      );
      return {};
    },
    rotateToken: async (request, call) => {
      const namespace = parent(request.parent);
      const caller = await clientIn(call, namespace);
      const record = core.store.clients.get(namespace, caller.name);
      if (!record || caller.kind !== "Client") {
        throw new JumpstarterError("the client no longer exists", { code: Code.UNAUTHENTICATED });
      }
      // One rotation per token: the check and the claim are one synchronous step, so of two
      // concurrent calls with the same token exactly one mints the next generation.
      const key = `${namespace}/${caller.name}`;
      const current = record.tokenGeneration ?? 0;
      if (generationOf(caller) !== current || rotating.has(key)) {
        throw new JumpstarterError("token has been revoked: it was rotated", {
          code: Code.UNAUTHENTICATED,
        });
      }
      rotating.add(key);
      try {
        // the new token is of the next generation: the one presented (and all before) is revoked
        const generation = current + 1;
        await core.store.clients.put({ ...record, tokenGeneration: generation });
        const lifetime = 365 * 24 * 3600;
        const token = await core.authority.issue({ ...caller, generation }, lifetime);
        return {
          token,
          expiry: { seconds: BigInt(Math.floor(core.now() / 1000) + lifetime), nanos: 0 },
        };
      } finally {
        rotating.delete(key);
      }
    },
  };
}
