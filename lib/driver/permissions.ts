/**
 * Deno permission grants that a driver's config implies, and how they combine into the
 * `--allow-*` flags an exporter needs. A driver package declares one {@linkcode GrantsOf} per
 * driver type (`DriverPackage.grants`); a type that declares nothing needs `-A`.
 *
 * @module
 */

/** The Deno permissions one driver needs: lists are `--allow-NAME=a,b`; `true` is the bare flag. */
export interface Grants {
  /** Files and directories read (device paths, served roots, state directories). */
  readonly read?: readonly string[];
  /** Files and directories written. */
  readonly write?: readonly string[];
  /** `host:port` (or bare host) connected to or listened on; `unix:PATH` for a Unix socket. */
  readonly net?: readonly string[] | true;
  /** Executables started; `true` for any (Deno signals a process group only then). */
  readonly run?: readonly string[] | true;
  /** Environment variables read. */
  readonly env?: readonly string[] | true;
  /** Native libraries loaded. */
  readonly ffi?: readonly string[] | boolean;
  /** System information read (`Deno.networkInterfaces`, `Deno.hostname`, ...). */
  readonly sys?: readonly string[] | boolean;
  /** Why the driver needs `-A` after all (something Deno allows only with every permission). */
  readonly all?: string;
}

/** What a driver's grants may depend on beside its config. */
export interface GrantsContext {
  /**
   * The private directory the exporter gives the driver for its sockets and state
   * (`DriverOptions.runtimeDir` when it serves confined), so that its grants can name them.
   */
  readonly runtimeDir: string;
  /** The names of its `children:` (a driver may make a child of its own unless given one). */
  readonly children: readonly string[];
}

/** The grants of one driver type, from its parsed (validated) `config:`. */
// deno-lint-ignore no-explicit-any
export type GrantsOf = (config: any, context: GrantsContext) => Grants;

/** The permission names, in the order flags are printed. */
export const PERMISSION_NAMES = ["read", "write", "net", "run", "env", "ffi", "sys"] as const;

/** One permission name. */
export type PermissionName = typeof PERMISSION_NAMES[number];

type Value = readonly string[] | boolean | undefined;

function mergeValue(a: Value, b: Value): Value {
  if (a === true || b === true) return true;
  if (a === undefined || a === false) return b === false ? undefined : b;
  if (b === undefined || b === false) return a;
  return [...new Set([...a, ...b])];
}

/** Permissions whose lists are paths: a path covers everything below it. */
const PATH_PERMISSIONS: ReadonlySet<string> = new Set(["read", "write"]);

/** `paths` without those below another of them (`/run/jmp/drivers/vm` below `/run/jmp`). */
function outermost(paths: readonly string[]): string[] {
  const below = (path: string, dir: string) =>
    path !== dir && path.startsWith(dir.endsWith("/") ? dir : `${dir}/`);
  return paths.filter((path) => !paths.some((dir) => below(path, dir)));
}

/**
 * The union of `grants`: lists are joined without duplicates (and without paths below another
 * read or written path), a bare grant covers any list.
 */
export function mergeGrants(grants: Iterable<Grants>): Grants {
  const merged: Record<string, Value> = {};
  let all: string | undefined;
  for (const grant of grants) {
    all ??= grant.all;
    for (const name of PERMISSION_NAMES) {
      let value = mergeValue(merged[name], grant[name]);
      if (Array.isArray(value) && PATH_PERMISSIONS.has(name)) value = outermost(value);
      if (value === undefined) delete merged[name];
      else merged[name] = value;
    }
  }
  return (all === undefined ? merged : { ...merged, all }) as Grants;
}

/** `grants` as Deno flags, e.g. `["--allow-read=/dev/ttyUSB0", "--allow-net=0.0.0.0:69"]`. */
export function grantFlags(grants: Grants): string[] {
  if (grants.all !== undefined) return ["-A"];
  const flags: string[] = [];
  for (const name of PERMISSION_NAMES) {
    const value = grants[name];
    if (value === undefined || value === false) continue;
    if (value === true) flags.push(`--allow-${name}`);
    else if (value.length > 0) flags.push(`--allow-${name}=${value.join(",")}`);
  }
  return flags;
}

/** `grants` in one line for a table cell, e.g. `read=/srv/tftp net=0.0.0.0:69`; `none`. */
export function describeGrants(grants: Grants): string {
  if (grants.all !== undefined) return `needs -A: ${grants.all}`;
  const parts = grantFlags(grants).map((flag) => flag.replace(/^--allow-/, ""));
  return parts.length ? parts.join(" ") : "none";
}

/**
 * A `host:port` net grant; an empty host or a wildcard address becomes one that Deno matches
 * (`0.0.0.0`), and port 0 (any free port) leaves the port out.
 */
export function netAddress(host: string | null | undefined, port: number): string {
  const name = !host || host === "::" ? "0.0.0.0" : host.includes(":") ? `[${host}]` : host;
  return port === 0 ? name : `${name}:${port}`;
}

/**
 * What connecting to the Unix socket at `path` takes: read and write of the path and net to
 * `unix:PATH`, that exact path (in Deno 2.9.6 a directory in the net grant does not cover the
 * sockets below it).
 */
export function unixSocketGrants(path: string): Grants {
  return { read: [path], write: [path], net: [`unix:${path}`] };
}

/** Where `Deno.makeTempDir` and `Deno.makeTempFile` put what a driver makes (`$TMPDIR` or `/tmp`). */
export function tempDirectory(): string {
  try {
    return Deno.env.get("TMPDIR") || "/tmp";
  } catch {
    return "/tmp";
  }
}

/**
 * A device node a driver opens through libc (`Deno.dlopen("libc.so.6")`), or libc alone with no
 * path: the bare `--allow-ffi`, because Deno resolves a scoped one against the working directory
 * (measured in 2.9.6: under `--allow-ffi=libc.so.6` dlopen looks for `./libc.so.6`). Deno does
 * not see libc's own `open`, so the node's read and write grants only name what is opened; a
 * node found at run time (a pty a demuxer announces, a board's tty) needs none.
 */
export function throughLibc(path?: string): Grants {
  return path === undefined ? { ffi: true } : { read: [path], write: [path], ffi: true };
}

/** Device nodes Deno opens under a plain read or write grant (measured in 2.9.6). */
const PLAIN_DEVICES = new Set([
  "/dev/null",
  "/dev/zero",
  "/dev/random",
  "/dev/urandom",
  "/dev/tty",
]);

/**
 * Whether Deno itself opens, lists or stats `path` only with `-A`: everything below `/dev` (but
 * for a few harmless nodes), `/proc` and `/sys` is "Requires all access" in Deno 2.9.6, whatever
 * read or write grant names it (measured). What a driver opens through libc is not Deno's.
 */
export function onlyWithAll(path: string): boolean {
  const normal = path.replace(/\/+$/, "");
  return !PLAIN_DEVICES.has(normal) && /^\/(dev|proc|sys)(\/|$)/.test(normal);
}

/**
 * Read grants of `paths` Deno itself opens (write grants too with `write`), and `all` naming
 * those it opens only with `-A` ({@linkcode onlyWithAll}).
 */
export function openedByDeno(paths: readonly string[], options: { write?: boolean } = {}): Grants {
  const special = paths.filter(onlyWithAll);
  return {
    read: paths,
    ...(options.write ? { write: paths } : {}),
    ...(special.length
      ? { all: `Deno opens ${special.join(", ")} only with -A (device nodes, /proc and /sys)` }
      : {}),
  };
}

/**
 * Rethrows `error` when it is a permission Deno refused (`NotCapable`). For code that reads a
 * failure as "not there" (probing sysfs, say): confined, it must say what was refused instead
 * of finding nothing.
 */
export function throwIfRefused(error: unknown): void {
  if (error instanceof Deno.errors.NotCapable) throw error;
}

/** The net grant of an http(s) URL's host and port (80 or 443 when the URL names none). */
export function urlNetAddress(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : 80;
  return netAddress(parsed.hostname.replace(/^\[(.*)\]$/, "$1"), port);
}

/**
 * The paths granting a served root: as configured and, when it is reached through a symlink, its
 * real path too (`@jumpstarter/lib/fs` opens files by their real paths).
 */
export function servedRoot(path: string): string[] {
  try {
    const real = Deno.realPathSync(path);
    return real === path.replace(/\/+$/, "") ? [path] : [path, real];
  } catch {
    return [path]; // not there yet: the driver creates it, as a plain directory
  }
}

/**
 * The grants of a root served through `@jumpstarter/lib/fs`: read (and, for drivers that store
 * uploads, write) of {@linkcode servedRoot}'s paths, and `sys` `uid`. No `-A`: under these grants
 * `/proc/self/fd` is refused, so `lib/fs` uses its ownership check (it walks only through
 * directories that nobody but this user and root can change, told by their owner) instead of
 * asking the kernel where each opened directory is, as it does with `-A`.
 */
export function servedRootGrants(path: string, options: { write?: boolean } = {}): Grants {
  const paths = servedRoot(path);
  return { read: paths, ...(options.write ? { write: paths } : {}), sys: ["uid"] };
}
