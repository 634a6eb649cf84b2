/** A listen or dial address, `host:port` (`[v6]:port` for IPv6 literals). */
export interface HostPort {
  /** Without brackets; "" when the text gave only a port. */
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `host:port`, `[v6]:port`, `:port` or a bare `port` (the last two with `defaultHost`).
 *
 * @throws {SyntaxError} naming the text when the port is not a number from 0 to 65535 or the host
 *   is empty.
 */
export function parseHostPort(text: string, defaultHost = ""): HostPort {
  const trimmed = text.trim();
  const index = trimmed.lastIndexOf(":");
  const bracketed = trimmed.startsWith("[") && trimmed.indexOf("]") > index;
  const hostPart = index === -1 || bracketed ? defaultHost : trimmed.slice(0, index);
  const portPart = index === -1 || bracketed ? trimmed : trimmed.slice(index + 1);
  const host = hostPart.replace(/^\[(.*)\]$/, "$1") || defaultHost;
  if (!/^\d{1,5}$/.test(portPart) || Number(portPart) > 65535) {
    throw new SyntaxError(
      `Expected [HOST:]PORT with a port from 0 to 65535, got ${JSON.stringify(text)}`,
    );
  }
  if (host === "" && index !== -1) {
    throw new SyntaxError(`Expected a host before ":" in ${JSON.stringify(text)}`);
  }
  return { host, port: Number(portPart) };
}

/** `host:port`, bracketing IPv6 literals. */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
