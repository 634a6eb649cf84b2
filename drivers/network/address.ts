/** `host:port`, with an IPv6 literal in brackets (`[::1]:80`). */
export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The message of an error, or its text. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
