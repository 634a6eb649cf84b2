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
import { keepTokenFresh } from "./token_refresh.ts";

/**
 * Connects with the client's credentials; an OIDC access token is refreshed before it expires
 * for as long as the connection is open (see token_refresh.ts).
 */
export async function connectAsClient(config: ClientConfig): Promise<ControllerConnection> {
  const identity = clientIdentity(config);
  const freshness = await keepTokenFresh(config, identity);
  const connection = await connectController(identity);
  const close = () => {
    freshness[Symbol.dispose]();
    connection.close();
  };
  return { ...connection, close, [Symbol.dispose]: close };
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
