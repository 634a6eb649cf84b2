/**
 * Where a flasher bundle's files are. Upstream pulls `flasher_bundle` (an OCI reference) with
 * ORAS into `cache_dir`; here a bundle is a local directory holding `manifest.yaml` and the files
 * it names, or a local OCI image layout (`oci-layout`, `index.json`, `blobs/`) as `oras copy
 * --to-oci-layout` or `skopeo copy ... oci:DIR` write it, whose files are unpacked into
 * `cache_dir`. Pulling from a registry is not built.
 */
import { join, normalize, resolve } from "node:path";
import { DriverError } from "@jumpstarter/lib/wire";

const TITLE = "org.opencontainers.image.title";
const MANIFEST_TYPES = new Set([
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
]);

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The cache subdirectory of a bundle reference, as upstream names it (`:` and `/` → `_`). */
export function cacheName(reference: string): string {
  return reference.replaceAll(":", "_").replaceAll("/", "_");
}

/** The local path a bundle reference names (without its `file:`, `oci:` or `dir:` prefix). */
export function bundlePath(reference: string): string {
  return reference.replace(/^(file|oci|dir):(\/\/)?/, "");
}

/**
 * The local directory holding the bundle `reference` names: the directory itself, or the files
 * of an OCI layout unpacked below `cacheDir`. `file:` and `oci:` prefixes are accepted.
 */
export async function bundleDirectory(reference: string, cacheDir: string): Promise<string> {
  const path = bundlePath(reference);
  if (!await isDirectory(path)) {
    if (/^[\w.-]+(:\d+)?\/[^\s]+$/.test(reference) && !reference.startsWith("/")) {
      throw new DriverError(
        `Cannot get flasher bundle "${reference}": pulling bundles from an OCI registry is not ` +
          `supported here; set flasher_bundle to a local bundle directory or OCI image layout ` +
          `(e.g. made with "oras copy --to-oci-layout ${reference} DIR:latest")`,
      );
    }
    throw new DriverError(`Flasher bundle "${reference}" is not a directory`);
  }
  if (!await exists(join(path, "oci-layout"))) return resolve(path);
  const target = join(cacheDir, cacheName(resolve(path)));
  await unpackLayout(path, target);
  return target;
}

async function readJson(path: string, what: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    throw new DriverError(`Cannot read the ${what} ${path}: ${(error as Error).message}`);
  }
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  annotations?: Record<string, string>;
}

function descriptors(value: unknown, where: string): Descriptor[] {
  if (!Array.isArray(value)) throw new DriverError(`${where} lists no descriptors`);
  return value.map((entry) => {
    if (typeof entry?.digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(entry.digest)) {
      throw new DriverError(`${where} has a descriptor without a sha256 digest`);
    }
    return entry as Descriptor;
  });
}

async function readBlob(layout: string, digest: string): Promise<Uint8Array> {
  const hex = digest.slice("sha256:".length);
  const bytes = await Deno.readFile(join(layout, "blobs", "sha256", hex));
  const actual = Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)),
    (byte) => byte.toString(16).padStart(2, "0"),
  ).join("");
  if (actual !== hex) throw new DriverError(`Blob ${digest} in ${layout} has digest ${actual}`);
  return bytes;
}

/** Writes every layer titled with a file name below `target` (replacing what was there). */
async function unpackLayout(layout: string, target: string): Promise<void> {
  const index = await readJson(join(layout, "index.json"), "OCI index");
  const [first] = descriptors(index.manifests, `${layout}/index.json`);
  if (!first) throw new DriverError(`OCI layout ${layout} holds no image`);
  if (first.mediaType && !MANIFEST_TYPES.has(first.mediaType)) {
    throw new DriverError(`OCI layout ${layout}: unsupported manifest type ${first.mediaType}`);
  }
  const manifest = JSON.parse(new TextDecoder().decode(await readBlob(layout, first.digest)));
  const layers = descriptors(manifest.layers, `manifest ${first.digest}`);
  await Deno.remove(target, { recursive: true }).catch(() => {});
  for (const layer of layers) {
    const title = layer.annotations?.[TITLE];
    if (!title) continue;
    const relative = normalize(title);
    if (relative.startsWith("..") || relative.startsWith("/")) {
      throw new DriverError(`OCI layout ${layout}: layer title "${title}" leaves the bundle`);
    }
    const destination = join(target, relative);
    await Deno.mkdir(join(destination, ".."), { recursive: true });
    await Deno.writeFile(destination, await readBlob(layout, layer.digest));
  }
}
