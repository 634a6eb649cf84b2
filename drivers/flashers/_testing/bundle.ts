/**
 * Test support: a flasher bundle laid out as upstream's test bundle (its manifest, zero files of
 * 1, 2, 3 and 4 KiB), and the same bundle as a local OCI image layout.
 */
import { join } from "node:path";

const UPSTREAM_TEST_MANIFEST = new URL("../testdata/manifests/test.yaml", import.meta.url);
/** The bundle's files and their sizes. */
export const FILES: Record<string, number> = {
  "data/kernel": 1024,
  "data/initramfs": 2048,
  "data/dtbs/test-dtb.dtb": 3072,
  "data/dtbs/alternate.dtb": 4096,
};

/** Writes the test bundle into `directory`. */
export async function writeTestBundle(directory: string): Promise<void> {
  await Deno.mkdir(join(directory, "data/dtbs"), { recursive: true });
  await Deno.copyFile(UPSTREAM_TEST_MANIFEST, join(directory, "manifest.yaml"));
  for (const [name, size] of Object.entries(FILES)) {
    await Deno.writeFile(join(directory, name), new Uint8Array(size));
  }
}

/** Writes `bundle` (the test bundle's directory) as an OCI image layout in `layout`. */
export async function writeOciLayout(layout: string, bundle: string): Promise<void> {
  const blobs = join(layout, "blobs/sha256");
  await Deno.mkdir(blobs, { recursive: true });
  const put = async (bytes: Uint8Array<ArrayBuffer>) => {
    const digest = Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)),
      (byte) => byte.toString(16).padStart(2, "0"),
    ).join("");
    await Deno.writeFile(join(blobs, digest), bytes);
    return { digest: `sha256:${digest}`, size: bytes.length };
  };
  const layers = [];
  for (const name of ["manifest.yaml", ...Object.keys(FILES)]) {
    layers.push({
      mediaType: "application/vnd.oci.image.layer.v1.tar",
      ...await put(await Deno.readFile(join(bundle, name))),
      annotations: { "org.opencontainers.image.title": name },
    });
  }
  const manifest = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.empty.v1+json", ...await put(new Uint8Array()) },
    layers,
  }));
  const index = {
    schemaVersion: 2,
    manifests: [{
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      ...await put(manifest),
    }],
  };
  await Deno.writeTextFile(join(layout, "index.json"), JSON.stringify(index));
  await Deno.writeTextFile(join(layout, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
}
