/**
 * The UDP ports this process holds a socket on, from `/proc`: a check that our server let go of
 * its port that another process on a busy machine cannot fail by taking the freed port itself.
 */

/** Inodes of the sockets among this process's open descriptors. */
async function ownSocketInodes(): Promise<Set<string>> {
  const inodes = new Set<string>();
  for await (const entry of Deno.readDir("/proc/self/fd")) {
    const target = await Deno.readLink(`/proc/self/fd/${entry.name}`).catch(() => "");
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match) inodes.add(match[1]!);
  }
  return inodes;
}

/** Local UDP ports (IPv4 and IPv6) bound by a socket this process has open. */
export async function ownUdpPorts(): Promise<Set<number>> {
  const inodes = await ownSocketInodes();
  const ports = new Set<number>();
  for (const table of ["/proc/net/udp", "/proc/net/udp6"]) {
    const text = await Deno.readTextFile(table).catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const inode = fields[9];
      if (!local || !inode || !inodes.has(inode)) continue;
      ports.add(parseInt(local.slice(local.lastIndexOf(":") + 1), 16));
    }
  }
  return ports;
}
