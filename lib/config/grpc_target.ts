/**
 * The config's `endpoint` is a gRPC target, passed as is to grpc-js (ours) and grpcio
 * (upstream's Python client), so one config reads the same in both. Several controller replicas
 * are written in gRPC's own syntax, which both fail over on (grpc-js with pick_first, upstream
 * with the round_robin policy it sets by default):
 *
 * - `HOST:PORT` (or `[V6]:PORT`): one name, every address it resolves to tried in turn;
 * - `dns:HOST:PORT`, `dns:///HOST:PORT`: the same, spelled out;
 * - `ipv4:IP:PORT,IP:PORT,...` and `ipv6:[IP]:PORT,...`: a list of addresses.
 *
 * TLS checks the first address's host (gRPC's default authority) unless the config's
 * `grpcOptions` set `grpc.ssl_target_name_override`: the certificate must name that host.
 *
 * @module
 */
import { isIPv4, isIPv6 } from "node:net";
import { formatHostPort, type HostPort } from "./host_port.ts";

/** gRPC's port when a target names none. */
const DEFAULT_PORT = 443;

/** What a target names: how it resolves, and the addresses we can tell from the text. */
export interface GrpcTarget {
  /** `dns` (a name, resolved when connecting), `ipv4`/`ipv6` (a list) or `unix`. */
  readonly scheme: "dns" | "ipv4" | "ipv6" | "unix";
  /** The addresses, in the order gRPC tries them (one name for `dns`; none for `unix`). */
  readonly addresses: readonly HostPort[];
}

const SYNTAX = "HOST:PORT, dns:NAME:PORT or ipv4:IP:PORT,IP:PORT";

function targetError(text: string, why: string): SyntaxError {
  return new SyntaxError(`Expected a gRPC target (${SYNTAX}), got ${JSON.stringify(text)}: ${why}`);
}

/** `host[:port]` or `[v6][:port]`, gRPC's way (a bare host means port 443); undefined if not. */
function splitAddress(text: string): HostPort | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return withPort(bracketed[1]!, bracketed[2]);
  const colons = text.split(":").length - 1;
  if (colons === 0) return text === "" ? undefined : { host: text, port: DEFAULT_PORT };
  if (colons > 1) return isIPv6(text) ? { host: text, port: DEFAULT_PORT } : undefined;
  const index = text.lastIndexOf(":");
  return withPort(text.slice(0, index), text.slice(index + 1));
}

function withPort(host: string, port: string | undefined): HostPort | undefined {
  if (host === "") return undefined;
  if (port === undefined) return { host, port: DEFAULT_PORT };
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return undefined;
  return { host, port: Number(port) };
}

function addressList(text: string, scheme: "ipv4" | "ipv6", list: string): GrpcTarget {
  const isIp = scheme === "ipv4" ? isIPv4 : isIPv6;
  const addresses = list.split(",").map((item) => {
    const address = splitAddress(item);
    if (!address || !isIp(address.host)) {
      throw targetError(
        text,
        `${JSON.stringify(item)} is not an ${scheme === "ipv4" ? "IPv4" : "IPv6"} address` +
          `${scheme === "ipv6" ? " ([IP]:PORT)" : " (IP:PORT)"}`,
      );
    }
    return address;
  });
  return { scheme, addresses };
}

/**
 * Reads `text` as a gRPC target.
 *
 * Lenient where gRPC is: a text without a scheme and without a comma is taken as a name to
 * resolve (a wrong one fails when connecting, as upstream's would). Only lists and the schemes
 * naming addresses are checked, since grpc-js and grpcio would read a malformed list as one odd
 * host name.
 *
 * @throws {SyntaxError} saying what is wrong, e.g. several host names joined by commas.
 */
export function parseGrpcTarget(text: string): GrpcTarget {
  const scheme = /^(dns|ipv4|ipv6|unix|unix-abstract):/.exec(text)?.[1];
  const rest = scheme === undefined ? text : text.slice(scheme.length + 1);
  if (scheme === "unix" || scheme === "unix-abstract") return { scheme: "unix", addresses: [] };
  if (scheme === "ipv4" || scheme === "ipv6") return addressList(text, scheme, rest);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && scheme === undefined) {
    throw targetError(text, "a gRPC target has no URL scheme such as https://");
  }
  // dns:[//authority/]name[:port]
  const name = scheme === "dns" ? rest.replace(/^\/\/[^/]*\//, "") : rest;
  if (name.includes(",")) {
    throw targetError(
      text,
      "several addresses are written ipv4:IP:PORT,IP:PORT (or ipv6:[IP]:PORT,...); several " +
        "host names as one DNS name that resolves to all of them",
    );
  }
  const address = splitAddress(name);
  if (!address) throw targetError(text, "expected HOST:PORT with a port from 1 to 65535");
  return { scheme: "dns", addresses: [address] };
}

/**
 * The `HOST:PORT` texts of `target`'s addresses, in order (a `dns` name as written): what to dial
 * to reach it, e.g. to fetch its certificate.
 */
export function targetAddresses(target: string): string[] {
  return parseGrpcTarget(target).addresses.map(formatHostPort);
}
