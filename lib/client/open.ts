/**
 * Opening an exporter session as a client tree: connect, `GetReport`, rebuild the tree.
 */
import type {
  /** @ignore a generated protocol message, documented by `@jumpstarter/protos` */
  GetReportResponse,
} from "@jumpstarter/protos";
import { JumpstarterError, statusToError } from "@jumpstarter/lib/wire";
import { parseEnvBoolean } from "@jumpstarter/lib/config";
import { readCaBundle, speaksTls } from "@jumpstarter/lib/tunnel";
import { connect, type Connection, type ConnectOptions, isTcpTarget } from "./connection.ts";
import type { DriverClient } from "./driver_client.ts";
import { type DriverPolicy, policyFromEnv } from "./policy.ts";
import type { ClientRegistry } from "./registry.ts";
import { buildClientTree } from "./tree.ts";

/** Options of {@linkcode openExporter}. */
export interface OpenOptions extends ConnectOptions {
  /** Which client classes may load; nothing is allowed by default, as upstream. */
  policy?: DriverPolicy;
  /** Client classes by class path: the program's, from `clientRegistryOf(packages)`. */
  registry: ClientRegistry;
  /** Told about every driver that gets a generic client (not allowed, or class unknown). */
  onWarning?: (message: string) => void;
  /** Aborts connecting and fetching the report. */
  signal?: AbortSignal;
}

/** A connected exporter session and its client tree. */
export interface ExporterHandle extends AsyncDisposable, Disposable {
  /** The root driver's client (usually a `CompositeClient`); reach others through `children`. */
  readonly root: DriverClient;
  /** The connection every client of the tree calls through. */
  readonly connection: Connection;
  /** The session's `GetReport` answer the tree was built from. */
  readonly report: GetReportResponse;
  /** Closes the connection; later calls on the clients fail. */
  close(): void;
}

/** Connects to the session at `host`, fetches its report and builds the client tree. */
export async function openExporter(
  host: string,
  options: OpenOptions,
): Promise<ExporterHandle> {
  const connection = connect(host, options);
  let report: GetReportResponse;
  try {
    report = await connection.exporter.getReport({}, {
      metadata: connection.metadata(),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    connection.close();
    const cause = statusToError(error);
    let reason = cause instanceof Error ? cause.message : String(cause);
    if (options.insecure && isTcpTarget(host) && await speaksTls(host)) {
      reason = "it expects TLS, but this client speaks plaintext (drop --tls-grpc-insecure / " +
        "JMP_GRPC_INSECURE and trust its CA with --tls-grpc-ca)";
    } else if (!options.insecure && /wrong version number|InvalidContentType/.test(reason)) {
      reason = "it does not speak TLS (a plaintext listener? then use --tls-grpc-insecure)";
    }
    throw new JumpstarterError(`Cannot reach the exporter at "${host}": ${reason}`, { cause });
  }
  const root = buildClientTree(report.reports, connection, {
    registry: options.registry,
    policy: options.policy ?? { allow: [], unsafe: false },
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  const close = () => connection.close();
  return {
    root,
    connection,
    report,
    close,
    [Symbol.dispose]: close,
    [Symbol.asyncDispose]: () => Promise.resolve(close()),
  };
}

/** Raised when a client is asked to use `JUMPSTARTER_HOST` outside a `jmp shell`. */
export class MissingHostError extends JumpstarterError {
  constructor() {
    super(
      "JUMPSTARTER_HOST is not set: run inside `jmp shell`, or set it to an exporter socket path or host:port",
    );
    this.name = "MissingHostError";
  }
}

/**
 * Opens the session named by `JUMPSTARTER_HOST` with the policy and direct-mode settings a
 * `jmp shell` exports (`JMP_DRIVERS_ALLOW`, `JMP_GRPC_INSECURE`, `JMP_GRPC_PASSPHRASE`).
 *
 * @throws {MissingHostError} when `JUMPSTARTER_HOST` is not set.
 */
export async function env(
  options: Omit<OpenOptions, "insecure" | "passphrase">,
  environment: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<ExporterHandle> {
  const host = environment.JUMPSTARTER_HOST;
  if (!host) throw new MissingHostError();
  const passphrase = environment.JMP_GRPC_PASSPHRASE;
  const caFile = environment.JMP_GRPC_CA;
  const ca = caFile ? await readCa(caFile) : undefined;
  const policy = options.policy ?? policyFromEnv(environment);
  return await openExporter(host, {
    ...options,
    ...(policy ? { policy } : {}),
    insecure: (parseEnvBoolean(environment, "JMP_GRPC_INSECURE") ??
      parseEnvBoolean(environment, "JUMPSTARTER_GRPC_INSECURE")) === true,
    ...(passphrase ? { passphrase } : {}),
    ...(ca ? { ca } : {}),
  });
}

async function readCa(path: string): Promise<string> {
  try {
    return await readCaBundle(path);
  } catch (error) {
    throw new JumpstarterError(
      `Cannot use the CA file named by JMP_GRPC_CA: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
