/**
 * From a client config to a controller connection (endpoint, token, TLS, gRPC options).
 */
import type { ClientConfig } from "@jumpstarter/lib/config";
import {
  clientIdentity,
  connectController,
  type ControllerConnection,
} from "@jumpstarter/lib/client";
import { type ClientSelector, resolveClientConfig } from "./config_selection.ts";

/** Connects with the client's credentials. */
export async function connectAsClient(config: ClientConfig): Promise<ControllerConnection> {
  return await connectController(clientIdentity(config));
}

/** Runs `work` on a connection made with the client config the flags select. */
export async function withClientConnection<T>(
  flags: ClientSelector,
  work: (connection: ControllerConnection) => Promise<T>,
): Promise<T> {
  const config = await resolveClientConfig(flags);
  using connection = await connectAsClient(config);
  return await work(connection);
}
