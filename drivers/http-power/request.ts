/**
 * Sends one configured request and turns every way it can fail into a Jumpstarter error that
 * names the action, the HTTP method and the URL, and never the credentials.
 */
import { ConnectionError, DriverError, DriverTimeoutError } from "@jumpstarter/lib/wire";
import type { Auth, RequestSpec } from "./config.ts";

/** What a request needs besides its spec. */
export interface RequestOptions {
  /** What the caller was doing, e.g. `Cannot power on`; starts every error message. */
  action: string;
  auth: Auth | undefined;
  /** Seconds for the whole exchange, connect to last body byte. */
  timeout: number;
}

/** A finished exchange: the status and the whole body. */
export interface Answer {
  status: number;
  body: string;
}

/**
 * The URL as shown in messages: origin and path. A query string can carry secrets, so it is
 * shown as `?…`.
 */
export function displayUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}${parsed.search === "" ? "" : "?…"}`;
}

function base64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The `Authorization` header value for `auth`. */
export function authorization(auth: Auth): string {
  return auth.type === "basic"
    ? `Basic ${base64(`${auth.username}:${auth.password}`)}`
    : `Bearer ${auth.token}`;
}

function expected(spec: RequestSpec): string {
  const codes = spec.expect_status;
  return codes === undefined ? "2xx" : codes.join(" or ");
}

function accepted(spec: RequestSpec, status: number): boolean {
  const codes = spec.expect_status;
  return codes === undefined ? status >= 200 && status < 300 : codes.includes(status);
}

/** Deno's network error text without its leading `error sending request for url (...)`. */
function networkReason(error: TypeError): string {
  const cause = error.cause instanceof Error ? error.cause.message : error.message;
  return cause.replace(/^error sending request for url \(.*?\): /, "");
}

function isTimeout(error: unknown): boolean {
  return error instanceof DOMException && error.name === "TimeoutError";
}

/**
 * Sends `spec` and reads the whole answer within `options.timeout`.
 *
 * @throws {DriverError} when the status is not one `spec` accepts.
 * @throws {ConnectionError} when the server cannot be reached or drops the connection.
 * @throws {DriverTimeoutError} when the exchange does not finish in time.
 */
export async function send(spec: RequestSpec, options: RequestOptions): Promise<Answer> {
  const where = `${spec.method} ${displayUrl(spec.url)}`;
  const headers = new Headers(spec.headers);
  if (options.auth !== undefined) headers.set("Authorization", authorization(options.auth));
  const init: RequestInit = {
    method: spec.method,
    headers,
    signal: AbortSignal.timeout(options.timeout * 1000),
  };
  if (spec.body !== undefined) {
    // bytes carry no implied Content-Type; a string gets text/plain from fetch
    init.body = spec.untypedBody ? new TextEncoder().encode(spec.body) : spec.body;
  }
  let status: number;
  let statusText: string;
  let body: string;
  try {
    const response = await fetch(spec.url, init);
    status = response.status;
    statusText = response.statusText;
    body = await response.text();
  } catch (error) {
    if (isTimeout(error)) {
      throw new DriverTimeoutError(
        `${options.action}: ${where} did not answer within ${options.timeout} s`,
      );
    }
    if (error instanceof TypeError) {
      throw new ConnectionError(`${options.action}: ${where} failed: ${networkReason(error)}`);
    }
    throw error;
  }
  if (!accepted(spec, status)) {
    const text = statusText === "" ? `${status}` : `${status} ${statusText}`;
    throw new DriverError(
      `${options.action}: ${where} answered ${text} (expected ${expected(spec)})`,
    );
  }
  return { status, body };
}
