/**
 * The default address to serve on, as upstream: the IPv4 address of the interface holding the
 * default route, else 0.0.0.0 (all interfaces).
 */

/** Interface names carrying an IPv4 default route, from `/proc/net/route` text. */
export function defaultRouteInterfaces(routeTable: string): string[] {
  return routeTable.split("\n").slice(1).flatMap((line) => {
    const [name, destination, , , , , , mask] = line.trim().split(/\s+/);
    return name && destination === "00000000" && mask === "00000000" ? [name] : [];
  });
}

/** The IPv4 address of the default-route interface, or undefined when it cannot be found. */
export function defaultHostAddress(): string | undefined {
  try {
    const names = defaultRouteInterfaces(Deno.readTextFileSync("/proc/net/route"));
    const interfaces = Deno.networkInterfaces();
    for (const name of names) {
      const found = interfaces.find((entry) => entry.name === name && entry.family === "IPv4");
      if (found) return found.address;
    }
  } catch {
    // not Linux, or no --allow-sys: the caller falls back
  }
  return undefined;
}

/**
 * The addresses a server on `host` answers, as a Deno net grant: each transfer replies from a new
 * port to whichever client asked, so the clients are named by range. Loopback: 127.0.0.0/8; an
 * interface's address: its subnet (PXE clients share the server's LAN); otherwise any IPv4 host.
 */
export function clientRange(host: string): string {
  if (host.startsWith("127.")) return "127.0.0.0/8";
  try {
    const found = Deno.networkInterfaces().find((entry) =>
      entry.family === "IPv4" && entry.address === host
    );
    if (found) return found.cidr;
  } catch {
    // no --allow-sys: any client
  }
  return "0.0.0.0/0";
}
