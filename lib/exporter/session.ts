/**
 * Session: serves one driver tree as `jumpstarter.v1.ExporterService`. The same Session code
 * serves local mode (a private Unix socket), direct mode and router tunnels.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type DriverInstanceReport,
  DriverInstanceReportSchema,
  ExporterService,
  ExporterStatus,
  type GetReportResponse,
  implement,
  leanUnary,
  LogSource,
  RouterService,
  type ServiceHandlers,
  type ServiceMethods,
  type StreamRequest as StreamRequestMessage,
  type StreamResponse,
} from "@jumpstarter/protos";
import * as grpc from "@grpc/grpc-js";
import {
  ACCEPT_ENCODING_KEY,
  acceptPeerStream,
  type ByteStream,
  FAST_PATH_OFFER_KEY,
  FAST_PATH_REQUEST_KEY,
  type FastPathListener,
  frameByteStream,
  type IssuedOffer,
  issueFastPathOffer,
  parseStreamRequest,
  pipeBoth,
  REQUEST_KEY,
  RESOURCE_KEY,
  type StreamRequest as InnerStreamRequest,
  supportedEncodings,
} from "@jumpstarter/lib/streams";
import {
  buildReport,
  type Driver,
  type ExportedMethod,
  type LogRecord,
  type MethodKind,
  parseArguments,
  uniqueDrivers,
} from "@jumpstarter/lib/driver";
import {
  Code,
  DriverError,
  errorToStatus,
  fromValue,
  MethodNotFoundError,
  toValue,
} from "@jumpstarter/lib/wire";
import { LogBroker } from "./log_broker.ts";
import { driverNames, refusalOf } from "./confined_denial.ts";

/** Options of {@linkcode Session}. */
export interface SessionOptions {
  /** Exporter-level labels sent in GetReport (local mode sends none). */
  labels?: Record<string, string>;
  motd?: string;
  /** Initial status; local and direct sessions are ready at once. */
  status?: ExporterStatus;
  /** Called for EndSession; without it the session answers that no lease is active. */
  onEndSession?: () => void;
}

const KIND_NAMES: Record<MethodKind, string> = {
  unary: "DriverCall",
  "server_streaming": "StreamingDriverCall",
  "byte_stream": "RouterService.Stream",
};

/** One served driver tree: report, dispatch, logs and status. */
export class Session implements AsyncDisposable {
  /** Random per session, as upstream. */
  readonly uuid: string = crypto.randomUUID();
  readonly root: Driver;
  readonly logs: LogBroker = new LogBroker();
  readonly #drivers = new Map<string, Driver>();
  readonly #names: Map<Driver, string>;
  readonly #options: SessionOptions;
  #status: ExporterStatus;
  #statusMessage = "";
  #statusVersion = 0n;
  #previousStatus: ExporterStatus | undefined;
  #opened = false;
  #motd: string;

  constructor(root: Driver, options: SessionOptions = {}) {
    this.root = root;
    this.#options = options;
    this.#status = options.status ?? ExporterStatus.LEASE_READY;
    this.#motd = options.motd ?? "";
    this.#names = driverNames(root);
    for (const driver of uniqueDrivers(root)) {
      this.#drivers.set(driver.uuid, driver);
      driver.logger.setSink((record) => this.log(record));
    }
  }

  /** Resets every driver (parents first); call once before serving. */
  async open(): Promise<void> {
    if (this.#opened) return;
    this.#opened = true;
    for (const driver of this.#drivers.values()) await driver.reset();
  }

  /** Closes every driver (children first), keeping on when one fails; ends log subscriptions. */
  async close(): Promise<void> {
    const failures: unknown[] = [];
    for (const driver of [...this.#drivers.values()].reverse()) {
      try {
        await driver.close();
      } catch (error) {
        failures.push(error);
      }
    }
    this.logs.close();
    if (failures.length) throw new AggregateError(failures, "Closing drivers failed");
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Publishes a log record on LogStream. */
  log(record: LogRecord): void {
    this.logs.publish(record);
  }

  /** Changes the reported status (GetStatus); every change counts, even to the same status. */
  setStatus(status: ExporterStatus, message = ""): void {
    this.#previousStatus = this.#status;
    this.#status = status;
    this.#statusMessage = message;
    this.#statusVersion++;
  }

  /** The report of the driver tree, as sent in GetReport and Register. */
  reports(): DriverInstanceReport[] {
    return buildReport(this.root).map((report) => create(DriverInstanceReportSchema, report));
  }

  /** The GetReport answer. */
  getReport(): Omit<GetReportResponse, "$typeName" | "alternativeEndpoints"> {
    return {
      uuid: this.uuid,
      labels: { ...this.#options.labels },
      reports: this.reports(),
      motd: this.#motd,
    };
  }

  /** Adds a paragraph to the message of the day (what a beforeLease hook wrote). */
  appendMotd(text: string): void {
    this.#motd = [this.#motd, text].filter(Boolean).join("\n");
  }

  /**
   * Finds an exported method of the kind the RPC needs.
   *
   * @throws {MethodNotFoundError} for an unknown driver, method or call kind.
   */
  resolve(uuid: string, name: string, kind: MethodKind): ExportedMethod {
    const driver = this.#drivers.get(uuid.toLowerCase());
    if (!driver) throw new MethodNotFoundError(`driver ${uuid} not found`);
    const method = driver.method(name);
    if (!method) throw new MethodNotFoundError(`method ${name} not found on driver`);
    if (method.descriptor.kind !== kind) {
      const [actual, wanted] = [KIND_NAMES[method.descriptor.kind], KIND_NAMES[kind]];
      throw new MethodNotFoundError(`method ${name} is a ${actual} method, not a ${wanted} method`);
    }
    return method;
  }

  #failed(method: string, error: unknown, uuid: string): never {
    error = refusalOf(error, this.#drivers.get(uuid.toLowerCase()), this.#names);
    const record: LogRecord = {
      severity: "ERROR",
      message: `Driver call "${method}" failed: ${errorToStatus(error).details}`,
      source: "exporter.session",
      timestamp: new Date(),
    };
    this.log(record);
    throw error;
  }

  /** Runs a unary call with wire-level arguments; returns the encoded result. */
  async callUnary(uuid: string, name: string, args: unknown[]) {
    const method = this.resolve(uuid, name, "unary");
    const parsed = parseArguments(name, method.descriptor, args);
    let result: unknown;
    try {
      result = await method.call(...parsed);
    } catch (error) {
      this.#failed(name, error, uuid);
    }
    return encodeResult(name, result);
  }

  /** Runs a streaming call with wire-level arguments; yields encoded items. */
  async *callStreaming(uuid: string, name: string, args: unknown[]) {
    const method = this.resolve(uuid, name, "server_streaming");
    const parsed = parseArguments(name, method.descriptor, args);
    const items = method.call(...parsed) as AsyncIterable<unknown>;
    try {
      for await (const item of items) yield encodeResult(name, item);
    } catch (error) {
      this.#failed(name, error, uuid);
    }
  }

  /** The ExporterService implementation for a grpc-js server. */
  service(): grpc.UntypedServiceImplementation {
    const handlers: ServiceHandlers<ServiceMethods<typeof ExporterService>> = {
      getReport: () => Promise.resolve(this.getReport()),
      driverCall: async (request) => ({
        uuid: crypto.randomUUID(),
        result: await this.callUnary(request.uuid, request.method, request.args.map(fromValue)),
      }),
      streamingDriverCall: (request) => this.#streamingReplies(request),
      logStream: (_request, call) => this.#logReplies(call),
      reset: async () => {
        for (const driver of this.#drivers.values()) await driver.reset();
        return {};
      },
      getStatus: () =>
        Promise.resolve({
          status: this.#status,
          message: this.#statusMessage,
          statusVersion: this.#statusVersion,
          ...(this.#previousStatus === undefined ? {} : { previousStatus: this.#previousStatus }),
        }),
      endSession: () => {
        const onEnd = this.#options.onEndSession;
        if (!onEnd) return Promise.resolve({ success: false, message: "No active lease context" });
        onEnd();
        return Promise.resolve({
          success: true,
          message: "Session end triggered, afterLease hook running asynchronously",
        });
      },
    };
    // the unary handlers read nothing from the call but its request
    return leanUnary(implement(ExporterService, handlers, { toStatus: errorToStatus }));
  }

  /**
   * The RouterService implementation: inner byte streams of drivers (and resources). With
   * `fastPath`, our clients that ask for it move the bytes over its raw socket instead.
   */
  routerService(fastPath?: FastPathListener): grpc.UntypedServiceImplementation {
    const handlers: ServiceHandlers<ServiceMethods<typeof RouterService>> = {
      stream: (call) => this.#serveStream(call, fastPath),
    };
    return implement(RouterService, handlers, { toStatus: errorToStatus });
  }

  async #serveStream(
    call: grpc.ServerDuplexStream<StreamRequestMessage, StreamResponse>,
    fastPath: FastPathListener | undefined,
  ) {
    const request = parseStreamRequest(call.metadata.get(REQUEST_KEY)[0]);
    const asked = call.metadata.get(FAST_PATH_REQUEST_KEY)[0];
    if (request.kind === "resource") {
      return await this.#serveResource(call, request, () => issueFastPathOffer(fastPath, asked));
    }
    const method = this.resolve(request.uuid, request.method, "byte_stream");
    // listen before opening the device: a caller may give up while it is still connecting
    const cancelled = new Promise<never>((_, reject) =>
      call.once("cancelled", () => reject(new DriverError("the caller cancelled the stream")))
    );
    cancelled.catch(() => {});
    let device: ByteStream;
    const opening = Promise.resolve(method.call() as Promise<ByteStream>);
    try {
      device = await Promise.race([opening, cancelled]);
    } catch (error) {
      // a device that finishes opening after the caller left is closed again
      opening.then(
        (late) => Promise.allSettled([late.writable.abort(error), late.readable.cancel(error)]),
        () => {},
      );
      this.#failed(request.method, error, request.uuid);
    }
    // upstream clients wait for the headers before they use the stream
    const headers = new grpc.Metadata();
    const issued = issueFastPathOffer(fastPath, asked);
    if (issued) headers.set(FAST_PATH_OFFER_KEY, issued.header);
    call.sendMetadata(headers);
    try {
      const accepted = await Promise.race([acceptPeerStream(call, issued), cancelled]);
      await accepted.acknowledge();
      await Promise.race([pipeBoth(accepted.stream, device), cancelled]);
    } catch (error) {
      await Promise.allSettled([
        device.writable.abort(error),
        device.readable.cancel(error),
      ]);
      throw error;
    }
    call.end();
  }

  /**
   * Parks a client's resource stream on the driver, answers with its handle in the headers, and
   * holds the call until the driver is done with it or the caller goes away.
   */
  async #serveResource(
    call: grpc.ServerDuplexStream<StreamRequestMessage, StreamResponse>,
    request: Extract<InnerStreamRequest, { kind: "resource" }>,
    offer: () => IssuedOffer | undefined,
  ) {
    const driver = this.#drivers.get(request.uuid.toLowerCase());
    if (!driver) throw new MethodNotFoundError(`driver ${request.uuid} not found`);
    const issued = offer();
    const requested = request.x_jmp_content_encoding ?? null;
    const accepted = requested === null || supportedEncodings().includes(requested as never);
    const encoding = accepted ? requested : null;
    const uuid = crypto.randomUUID();
    const metadata = new grpc.Metadata();
    metadata.set(
      RESOURCE_KEY,
      JSON.stringify({ kind: "client_stream", uuid, "x_jmp_content_encoding": encoding }),
    );
    // an exporter that cannot decode leaves the key out, so the client decodes before sending
    if (accepted) metadata.set(ACCEPT_ENCODING_KEY, requested ?? "");
    const settled = Promise.withResolvers<void>();
    const park = (stream: ByteStream) =>
      driver.resources.add({ uuid, stream, encoding, settle: settled.resolve });
    let cancelled = false;
    const gone = new Promise<void>((resolve) => {
      call.once("cancelled", () => {
        cancelled = true;
        resolve();
      });
    });
    // without an offer the resource is parked before the caller can see its handle
    if (!issued) park(frameByteStream(call));
    else metadata.set(FAST_PATH_OFFER_KEY, issued.header);
    call.sendMetadata(metadata);
    try {
      if (issued) {
        const accepted = await Promise.race([acceptPeerStream(call, issued), gone]);
        if (!accepted) return;
        park(accepted.stream);
        await accepted.acknowledge();
      }
      await Promise.race([settled.promise, gone]);
    } finally {
      driver.resources.delete(uuid);
    }
    if (!cancelled) call.end();
  }

  async *#streamingReplies(request: { uuid: string; method: string; args: unknown[] }) {
    const args = (request.args as Parameters<typeof fromValue>[0][]).map(fromValue);
    for await (const result of this.callStreaming(request.uuid, request.method, args)) {
      yield { uuid: crypto.randomUUID(), result };
    }
  }

  async *#logReplies(call: grpc.ServerWritableStream<unknown, unknown>) {
    const abort = new AbortController();
    call.on("cancelled", () => abort.abort());
    call.on("close", () => abort.abort());
    for await (const record of this.logs.subscribe(abort.signal)) {
      yield {
        uuid: "",
        severity: record.severity,
        message: record.message,
        source: logSource(record.source),
        timestamp: timestampFromDate(record.timestamp),
      };
    }
  }
}

function logSource(source: string): LogSource {
  if (source.startsWith("driver.")) return LogSource.DRIVER;
  if (source === "hook.beforeLease") return LogSource.BEFORE_LEASE_HOOK;
  if (source === "hook.afterLease") return LogSource.AFTER_LEASE_HOOK;
  return LogSource.SYSTEM;
}

function encodeResult(method: string, result: unknown) {
  try {
    return toValue(result);
  } catch (error) {
    throw new DriverError(
      `Cannot encode the result of "${method}": ${(error as Error).message}`,
      { cause: error, code: Code.INTERNAL },
    );
  }
}
