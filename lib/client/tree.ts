/**
 * Rebuilds the client tree from a session's report (parents before children, one root).
 */
import type {
  /** @ignore a generated protocol message, documented by `@jumpstarter/protos` */
  DriverInstanceReport,
} from "@jumpstarter/protos";
import type { Connection } from "./connection.ts";
import { DriverClient } from "./driver_client.ts";
import { type DriverPolicy, isAllowed } from "./policy.ts";
import type { ClientRegistry } from "./registry.ts";
import { CLIENT_LABEL, NAME_LABEL } from "@jumpstarter/lib/driver";

/**
 * The generic client of a node whose own client class is not allowed or not available: generic
 * calls still work; `reason` says why it has no typed client (for the CLI to report).
 */
export class FallbackDriverClient extends DriverClient {
  /** Why the node has no typed client: its class is not allowed, or no class is registered. */
  readonly reason: string;

  /** Built by {@linkcode buildClientTree}, which also reports `reason` as a warning. */
  constructor(init: ConstructorParameters<typeof DriverClient>[0], reason: string) {
    super(init);
    this.reason = reason;
  }
}

/** Options of {@linkcode buildClientTree}. */
export interface ClientTreeOptions {
  /** Client classes by upstream class path. */
  registry: ClientRegistry;
  /** Which client classes may be instantiated; the others get a generic client. */
  policy: DriverPolicy;
  /** Told about every node that falls back to a generic client. */
  onWarning?: (message: string) => void;
}

/**
 * Builds the client tree. A node whose client class is unknown or not allowed becomes a generic
 * `DriverClient` and a warning is reported.
 *
 * @throws {SyntaxError} when the report has no root, several roots, or a child before its parent.
 */
export function buildClientTree(
  reports: readonly DriverInstanceReport[],
  connection: Connection,
  options: ClientTreeOptions,
): DriverClient {
  const clients = new Map<string, DriverClient>();
  let root: DriverClient | undefined;
  for (const report of reports) {
    const labels = { ...report.labels };
    const name = labels[NAME_LABEL] ?? "";
    let client = clients.get(report.uuid);
    if (!client) {
      client = instantiate(report, labels, name, connection, options);
      clients.set(report.uuid, client);
    }
    if (report.parentUuid === undefined || report.parentUuid === "") {
      if (root && root !== client) {
        throw new SyntaxError("Cannot build the client tree: the report has several roots");
      }
      root = client;
      continue;
    }
    const parent = clients.get(report.parentUuid);
    if (!parent) {
      throw new SyntaxError(
        `Cannot build the client tree: driver "${name}" names unknown parent "${report.parentUuid}"`,
      );
    }
    parent.children.set(name, client);
  }
  if (!root) throw new SyntaxError("Cannot build the client tree: the report has no root");
  return root;
}

function instantiate(
  report: DriverInstanceReport,
  labels: Record<string, string>,
  name: string,
  connection: Connection,
  options: ClientTreeOptions,
): DriverClient {
  const classPath = labels[CLIENT_LABEL] ?? "";
  const init = {
    uuid: report.uuid,
    name,
    labels,
    description: report.description,
    methodsDescription: { ...report.methodsDescription },
    connection,
  };
  const where = name ? `driver "${name}"` : "the root driver";
  if (!isAllowed(classPath, options.policy)) {
    const reason =
      `Driver client "${classPath}" of ${where} is not allowed by the driver allow-list`;
    options.onWarning?.(reason);
    return new FallbackDriverClient(init, reason);
  }
  const kind = options.registry.get(classPath);
  if (!kind) {
    const reason = `Driver client "${classPath}" of ${where} is not available`;
    options.onWarning?.(reason);
    return new FallbackDriverClient(init, reason);
  }
  return new kind(init);
}
