/**
 * What the exporter program itself needs beside its drivers' grants, and the environment a
 * confined exporter gets. Measured by serving under nothing and adding what Deno refused:
 * - `sys`: CPU count and host name (grpc-js, the report) and network interfaces (default
 *   addresses of the file servers and the report);
 * - `ffi`: native addons in Deno's npm cache load when the driver packages are imported;
 * - `env`: npm packages list the whole environment when they load (`debug`), so the variables are
 *   granted whole and the environment is cut down to {@linkcode confinedEnvironment} instead;
 * - its session sockets: Deno grants Unix sockets only by exact path, so a confined exporter
 *   makes them in numbered slots of one private directory ({@linkcode socketSlots}), and gives
 *   each driver a directory there named by its place in the config
 *   ({@linkcode driverRuntimeDir}), for sockets its grants can name;
 * - registered with a controller: any host (routers are named at lease time) and the system's
 *   CA certificates, which Deno's TLS client reads.
 *
 * @module
 */
import type { Grants } from "@jumpstarter/lib/driver";

/** How many session sockets a confined exporter may have at once (leases overlapping a teardown). */
export const SOCKET_SLOTS = 8;

/** The variable naming a confined exporter's socket directory (its slots are below it). */
export const SOCKET_DIR_VARIABLE = "JMP_EXPORTER_SOCKET_DIR";

/** The variable saying this process is the confined exporter (not to be confined again). */
export const CONFINED_VARIABLE = "JMP_EXPORTER_CONFINED";

/** The session socket of slot `slot` below `dir`: `dir/N/socket` (its fast path beside it). */
export function socketSlot(dir: string, slot: number): { dir: string; path: string } {
  return { dir: `${dir}/${slot}`, path: `${dir}/${slot}/socket` };
}

/** The `unix:` net grants of every slot's socket and fast-path socket. */
export function socketSlots(dir: string): string[] {
  return Array.from({ length: SOCKET_SLOTS }, (_, slot) => socketSlot(dir, slot).path)
    .flatMap((path) => [`unix:${path}`, `unix:${path}.fast`]);
}

/**
 * The runtime directory of the driver at `field` (its config path, e.g.
 * `["export", "board", "children", "qemu"]`) below the socket directory `dir`:
 * `dir/drivers/board.qemu`. In each name what is not a letter, digit, `_` or `-` is %-escaped, so
 * `.` only separates names and none leads out of `dir/drivers`.
 */
export function driverRuntimeDir(dir: string, field: readonly string[]): string {
  const escape = (char: string) =>
    [...new TextEncoder().encode(char)]
      .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`).join("");
  const names = field.filter((_, i) => i % 2 === 1)
    .map((name) => name.replace(/[^A-Za-z0-9_-]/g, escape));
  return `${dir}/drivers/${names.join(".")}`;
}

/** The socket directory `jmp-exporter permissions` prints when given none. */
export function defaultSocketDir(env: Record<string, string>): string {
  return `${env.XDG_RUNTIME_DIR || env.TMPDIR || "/tmp"}/jumpstarter-exporter`;
}

/** How the exporter serves, for the grants that depend on it. */
export type ServeMode =
  | { kind: "local" }
  /** Registered with a controller: the routers are named only at lease time, so any host. */
  | { kind: "registered" }
  /** Direct: the TCP listener, its fast-path port (any free one) and the files it reads. */
  | { kind: "direct"; listen: string; host: string; files: readonly string[] };

/** Options of {@linkcode programGrants}. */
export interface ProgramGrantsOptions {
  /** The private directory holding the socket slots. */
  socketDir: string;
  /** Deno's npm cache, where native addons are loaded from (`ffi`). */
  npmCache: string;
  /** The system's CA certificates, read for TLS to a controller ({@linkcode systemCaFiles}). */
  caFiles: readonly string[];
  mode: ServeMode;
}

/** The exporter program's own grants, whatever its drivers. */
export function programGrants(options: ProgramGrantsOptions): Grants {
  const { mode, socketDir } = options;
  const sockets = socketSlots(socketDir);
  const net = mode.kind === "registered"
    ? true
    : mode.kind === "direct"
    ? [...sockets, mode.listen, mode.host]
    : sockets;
  const files = mode.kind === "direct"
    ? mode.files
    : mode.kind === "registered"
    ? options.caFiles
    : [];
  return {
    read: [socketDir, ...files],
    write: [socketDir],
    net,
    env: true,
    ffi: [options.npmCache],
    sys: ["cpus", "hostname", "networkInterfaces"],
  };
}

const PASSED_VARIABLES = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "LANG",
  "LC_ALL",
  "TZ",
  "TERM",
  "NO_COLOR",
  "TMPDIR",
  "DENO_DIR",
  "DENO_NO_UPDATE_CHECK",
];
const PASSED_PREFIXES = ["JMP_", "JUMPSTARTER_", "XDG_", "GRPC_", "NAPI_RS_", "_JMP_"];

/**
 * The environment of a confined exporter: what the program reads (its own `JMP_*`,
 * `JUMPSTARTER_*`, XDG directories, PATH for the commands it runs...) and what its drivers
 * declare; nothing else of `env` (no tokens or keys of the shell that started it).
 */
export function confinedEnvironment(
  env: Record<string, string>,
  driverVariables: readonly string[] | true,
): Record<string, string> {
  if (driverVariables === true) return { ...env };
  const passed: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (
      PASSED_VARIABLES.includes(name) || driverVariables.includes(name) ||
      PASSED_PREFIXES.some((prefix) => name.startsWith(prefix))
    ) passed[name] = value;
  }
  return passed;
}

/** The CA bundle a TLS client reads (`SSL_CERT_FILE`, else Debian's), and `SSL_CERT_DIR`. */
export function systemCaFiles(env: Record<string, string>): string[] {
  const file = env.SSL_CERT_FILE || "/etc/ssl/certs/ca-certificates.crt";
  return env.SSL_CERT_DIR ? [file, env.SSL_CERT_DIR] : [file];
}

/** Deno's npm cache directory (`$DENO_DIR/npm`), where native addons load from. */
export function npmCacheDir(env: Record<string, string>): string {
  const denoDir = env.DENO_DIR ||
    `${env.XDG_CACHE_HOME || `${env.HOME || "/root"}/.cache`}/deno`;
  return `${denoDir}/npm`;
}
