import { isIP } from "node:net";
import { lookup } from "node:dns/promises";

/** `host:port`, with an IPv6 literal in brackets (`[::1]:80`). */
export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The message of an error, or its text. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * `SCHEME://HOST:PORT` with the host resolved to an IP address when it resolves (as upstream's
 * `address()`), an IPv6 one in brackets; the name as given when it does not.
 */
export async function endpointUrl(scheme: string, host: string, port: number): Promise<string> {
  let resolved = host;
  if (!isIP(host)) {
    try {
      resolved = (await lookup(host)).address;
    } catch {
      // upstream keeps the name when it does not resolve
    }
  }
  return `${scheme}://${formatHostPort(resolved, port)}`;
}

/**
 * Host and port of an address `address()` returned (`tcp://[::1]:80`, `udp://10.0.0.1:53`, or
 * without a scheme); the host without IPv6 brackets, the port as text ("" when absent).
 */
export function splitAddress(address: string): { host: string; port: string } {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(address) ? address : `tcp://${address}`;
  const url = new URL(withScheme);
  return { host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: url.port };
}

/** An address without its scheme (`tcp://127.0.0.1:80` -> `127.0.0.1:80`), as upstream prints it. */
export function stripScheme(address: string): string {
  return address.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
}
