/**
 * The pyserial URLs this driver understands: a device path, `socket://host:port` (a raw TCP
 * serial server such as ser2net or socat) and `loop://` (an in-memory loopback).
 */

/** Where a port is. */
export type PortAddress =
  | { kind: "device"; path: string }
  | { kind: "socket"; hostname: string; port: number }
  | { kind: "loop" };

const UNSUPPORTED = ["rfc2217", "spy", "hwgrep", "alt", "cp2110"];

/**
 * Parses a pyserial URL.
 *
 * @throws {TypeError} for an unsupported scheme or a malformed `socket://` address.
 */
export function parseAddress(url: string): PortAddress {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: "device", path: url };
  if (scheme === "loop") return { kind: "loop" };
  if (scheme === "socket") {
    const rest = url.slice("socket://".length).replace(/[/?#].*$/, "");
    const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(rest);
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65535) {
      throw new TypeError(`expected socket://HOST:PORT, got "${url}"`);
    }
    return { kind: "socket", hostname: match[1] ?? match[2]!, port };
  }
  const hint = UNSUPPORTED.includes(scheme) ? " (not supported here)" : "";
  throw new TypeError(
    `unsupported URL scheme "${scheme}://"${hint}: use a device path, socket://HOST:PORT or loop://`,
  );
}

/** A short name for file names: the device's base name, `socket-HOST-PORT` or `loop`. */
export function addressName(address: PortAddress): string {
  switch (address.kind) {
    case "device":
      return address.path.split("/").filter(Boolean).at(-1) ?? "serial";
    case "socket":
      return `socket-${address.hostname}-${address.port}`;
    case "loop":
      return "loop";
  }
}
