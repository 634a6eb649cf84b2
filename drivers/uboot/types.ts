import { z } from "zod";

/** What `setup_dhcp` found: upstream's DhcpInfo plus the server address. */
export const dhcpInfoSchema = z.object({
  "ip_address": z.string(),
  gateway: z.string(),
  netmask: z.string(),
  /** The netmask's prefix length, e.g. "24" (upstream's `cidr` property). */
  cidr: z.string(),
  /** `serverip`: the DHCP/TFTP server U-Boot will use, or "" if none was given. */
  "server_ip": z.string(),
});

export type DhcpInfo = z.infer<typeof dhcpInfoSchema>;

/** The prefix length of a dotted netmask ("255.255.255.0" -> "24"); "24" if it is not one. */
export function prefixLength(netmask: string): string {
  const octets = netmask.split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
    return "24";
  }
  const bits = octets.map((o) => o.toString(2).padStart(8, "0")).join("");
  return String(bits.replace(/0/g, "").length);
}
