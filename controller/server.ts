/**
 * jmp-controller as a library: state directory, store, token authority, lease engine and one
 * gRPC port serving ControllerService, ClientService, AdminService and the router.
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import {
  adminV1,
  clientV1,
  ControllerService,
  implement,
  serviceDefinition,
} from "@jumpstarter/protos";
import { errorToStatus } from "@jumpstarter/lib/wire";
import { Authority } from "./auth.ts";
import { ControllerCore, type LeaseEngine } from "./core.ts";
import { Router, routerServiceDefinition } from "./router.ts";
import { adminHandlers } from "./services/admin_service.ts";
import { clientHandlers } from "./services/client_service.ts";
import { controllerHandlers } from "./services/controller_service.ts";
import { loadKeyMaterial, loadTlsMaterial } from "./state_dir.ts";
import { FileStore } from "./store/mod.ts";
import { schedulerEngine } from "./engine.ts";

/** Options of {@linkcode startController}. */
export interface ControllerOptions {
  /** Where keys, the certificate and the store live. */
  stateDir: string;
  /** Address to listen on, `host:port` (port 0 picks one). */
  listen: string;
  /** Endpoint handed to clients and exporters; default: the listen address (0.0.0.0 -> localhost). */
  advertise?: string;
  /** Serve without TLS (tests, or behind a TLS-terminating proxy). */
  plaintext?: boolean;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** Extra names and addresses for the self-signed certificate. */
  tlsHosts?: string[];
  now?: () => number;
  /** Custom lease engine (tests); default: the scheduler over the store. */
  engine?: (core: ControllerCore) => LeaseEngine;
}

/** A running controller. */
export interface RunningController extends AsyncDisposable {
  readonly endpoint: string;
  readonly port: number;
  readonly core: ControllerCore;
  readonly router: Router;
  /** A fresh admin token (valid a year). */
  adminToken(): Promise<string>;
  close(): Promise<void>;
}

function splitHostPort(address: string): { host: string; port: number } {
  const index = address.lastIndexOf(":");
  return { host: address.slice(0, index) || "0.0.0.0", port: Number(address.slice(index + 1)) };
}

/** Starts the controller. */
export async function startController(options: ControllerOptions): Promise<RunningController> {
  const listen = splitHostPort(options.listen);
  const material = await loadKeyMaterial(options.stateDir, "jmp-controller");
  const authority = await Authority.create(material);
  const store = await FileStore.open(`${options.stateDir}/store`);
  const advertisedHost = options.advertise
    ? splitHostPort(options.advertise).host
    : (listen.host === "0.0.0.0" ? "localhost" : listen.host);
  let credentials = grpc.ServerCredentials.createInsecure();
  let caBase64 = "";
  if (!options.plaintext) {
    const tls = await loadTlsMaterial(
      options.stateDir,
      ["localhost", "127.0.0.1", advertisedHost, ...(options.tlsHosts ?? [])],
      options.tlsCertFile && options.tlsKeyFile
        ? { certFile: options.tlsCertFile, keyFile: options.tlsKeyFile }
        : undefined,
    );
    credentials = grpc.ServerCredentials.createSsl(null, [{
      cert_chain: Buffer.from(tls.cert),
      private_key: Buffer.from(tls.key),
    }]);
    caBase64 = options.tlsCertFile ? "" : btoa(tls.cert);
  }
  const server = new grpc.Server({
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.http2.min_ping_interval_without_data_ms": 1000,
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${listen.host}:${listen.port}`,
      credentials,
      (error, port) => error ? reject(error) : resolve(port),
    )
  );
  const endpoint = options.advertise ?? `${advertisedHost}:${port}`;
  const core = new ControllerCore({
    store,
    authority,
    endpoint,
    caBase64,
    ...(options.now ? { now: options.now } : {}),
    makeEngine: options.engine ?? schedulerEngine,
  });
  const router = new Router(authority);
  const toStatus = { toStatus: errorToStatus };
  server.addService(
    serviceDefinition(ControllerService),
    implement(ControllerService, controllerHandlers(core), toStatus),
  );
  server.addService(
    serviceDefinition(clientV1.ClientService),
    implement(clientV1.ClientService, clientHandlers(core), toStatus),
  );
  server.addService(
    serviceDefinition(adminV1.AdminService),
    implement(adminV1.AdminService, adminHandlers(core), toStatus),
  );
  server.addService(routerServiceDefinition, router.implementation());
  await core.start();
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      core.close();
      server.forceShutdown();
      await store.close();
    })();
  return {
    endpoint,
    port,
    core,
    router,
    adminToken: () => authority.issue({ kind: "Admin", name: "admin" }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
