/** Content types of common file extensions; everything else is served as bytes. */
const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  htm: "text/html; charset=utf-8",
  txt: "text/plain; charset=utf-8",
  cfg: "text/plain; charset=utf-8",
  conf: "text/plain; charset=utf-8",
  ipxe: "text/plain; charset=utf-8",
  json: "application/json",
  yaml: "application/yaml",
  yml: "application/yaml",
  xml: "application/xml",
  gz: "application/gzip",
  xz: "application/x-xz",
  bz2: "application/x-bzip2",
  zst: "application/zstd",
  tar: "application/x-tar",
  zip: "application/zip",
  iso: "application/x-iso9660-image",
};

/** The Content-Type to answer for a file name. */
export function contentType(name: string): string {
  const dot = name.lastIndexOf(".");
  const extension = dot < 0 ? "" : name.slice(dot + 1).toLowerCase();
  return TYPES[extension] ?? "application/octet-stream";
}
