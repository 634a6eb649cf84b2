/** The address to serve on when none is configured: the first non-loopback IPv4 address. */
export function defaultHost(): string | undefined {
  try {
    const found = Deno.networkInterfaces().find((entry) =>
      entry.family === "IPv4" && !entry.address.startsWith("127.") &&
      !entry.address.startsWith("169.254.")
    );
    return found?.address;
  } catch {
    return undefined;
  }
}

/** `host:port` as it goes in a URL (IPv6 addresses in brackets). */
export function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
