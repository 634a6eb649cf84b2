/**
 * The Apache OpenDAL native binding (npm `@opendal/lib-linux-x64-gnu`, the platform package of
 * npm `opendal`), loaded directly: depending on the `opendal` wrapper would make Deno resolve all
 * its optional platform packages, some of which have no 0.47.11 release. 0.47.11 is the last
 * release whose binary loads on Debian 12's glibc (2.36).
 *
 * The package's entry is a `.node` addon, which only `require` can load; every specifier below is
 * a literal so `deno compile` sees the package.
 */
import { createRequire } from "node:module";

/** The binding's `Metadata` (only what is used here). */
export interface NativeMetadata {
  isDirectory(): boolean;
  isFile(): boolean;
  readonly contentDisposition: string | null;
  readonly contentLength: bigint | null;
  readonly contentMd5: string | null;
  readonly contentType: string | null;
  readonly etag: string | null;
}

export interface NativeEntry {
  path(): string;
}

export interface NativeReader {
  /** Fills `buffer` from the current position; 0 at the end. */
  read(buffer: Uint8Array): Promise<bigint>;
}

export interface NativeWriter {
  write(content: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface NativePresignedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
}

/** The binding's `Capability`: camelCase getters (booleans, or bigint|null for sizes). */
export type NativeCapability = Record<string, boolean | bigint | null>;

/** The binding's `Operator` (only what is used here). */
export interface NativeOperator {
  capability(): NativeCapability;
  stat(path: string): Promise<NativeMetadata>;
  isExist(path: string): Promise<boolean>;
  createDir(path: string): Promise<void>;
  reader(path: string): Promise<NativeReader>;
  writer(path: string): Promise<NativeWriter>;
  copy(from: string, to: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  delete(path: string): Promise<void>;
  removeAll(path: string): Promise<void>;
  list(path: string, options?: { recursive?: boolean }): Promise<NativeEntry[]>;
  presignRead(path: string, expires: number): Promise<NativePresignedRequest>;
  presignWrite(path: string, expires: number): Promise<NativePresignedRequest>;
  presignStat(path: string, expires: number): Promise<NativePresignedRequest>;
}

interface NativeModule {
  Operator: new (scheme: string, options: Record<string, string>) => NativeOperator;
}

/** The binding cannot be loaded on this machine (no build for its platform). */
export class OpendalUnavailableError extends Error {
  override name = "OpendalUnavailableError";
}

let loaded: NativeModule | undefined;

function load(): NativeModule {
  if (loaded) return loaded;
  const platform = `${Deno.build.os}-${Deno.build.arch}`;
  if (platform !== "linux-x86_64") {
    throw new OpendalUnavailableError(
      `The OpenDAL binding is not available on ${platform}: npm has @opendal/lib-linux-x64-gnu@0.47.11 only`,
    );
  }
  const require = createRequire(import.meta.url);
  try {
    loaded = require("@opendal/lib-linux-x64-gnu") as NativeModule;
  } catch (error) {
    throw new OpendalUnavailableError(
      `Cannot load the OpenDAL binding @opendal/lib-linux-x64-gnu: ${
        error instanceof Error ? error.message : error
      }`,
      { cause: error },
    );
  }
  return loaded;
}

/** Parts of an OpenDAL error message: `Kind (permanent) at op, context: {..} => what, source: ..`. */
export interface OpendalFailure {
  /** `NotFound`, `AlreadyExists`, `Unsupported`, `PermissionDenied`, `IsADirectory`, ... */
  kind: string;
  /** The short reason after `=>` (and its OS source, when any). */
  reason: string;
}

/** Splits an OpenDAL error; anything else becomes kind `Unexpected` with its message. */
export function opendalFailure(error: unknown): OpendalFailure {
  const message = error instanceof Error ? error.message : String(error);
  const match = /^(\w+) \((?:permanent|temporary|persistent)\).*?=> (.*)$/s.exec(message);
  if (!match) return { kind: "Unexpected", reason: message };
  return { kind: match[1] ?? "Unexpected", reason: (match[2] ?? "").replace(/\s+/g, " ").trim() };
}

/**
 * Builds an operator for `scheme` with `options` (the service's configuration keys).
 *
 * @throws {OpendalUnavailableError} when the binding does not load here.
 * @throws {Error} with OpenDAL's message for an unknown scheme or bad options.
 */
export function nativeOperator(scheme: string, options: Record<string, string>): NativeOperator {
  const { Operator } = load();
  return new Operator(scheme, options);
}
