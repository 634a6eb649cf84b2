/**
 * File names inside the served root: what a client may name in `put_file`/`delete_file`, and
 * how an HTTP request path maps to one. Both refuse anything that could leave the root.
 */
import { UPLOAD_PREFIX } from "@jumpstarter/lib/fs";

/** Temporary upload files start with this; they are never listed or served. */
export { UPLOAD_PREFIX };

/** Why a name or path was refused. */
export type Refusal = "traversal" | "invalid" | "hidden";

/** The checked segments of a relative name, or why it was refused. */
export type Checked = { ok: true; segments: string[] } | { ok: false; refusal: Refusal };

function checkSegments(segments: string[]): Checked {
  if (segments.length === 0) return { ok: false, refusal: "invalid" };
  for (const segment of segments) {
    if (segment === "." || segment === "..") return { ok: false, refusal: "traversal" };
    if (segment === "" || segment.includes("/") || segment.includes("\0")) {
      return { ok: false, refusal: "invalid" };
    }
    if (segment.startsWith(UPLOAD_PREFIX)) return { ok: false, refusal: "hidden" };
  }
  return { ok: true, segments };
}

/** Checks a file name given to the driver API: a relative path with `/` separators. */
export function checkFileName(name: string): Checked {
  if (name.startsWith("/")) return { ok: false, refusal: "traversal" };
  return checkSegments(name.split("/"));
}

/**
 * Maps the raw request target of an HTTP request to root-relative segments. The raw target is
 * used (not the URL parser's normalised path) so `/../x` is seen and refused rather than folded;
 * each segment is percent-decoded on its own, so an encoded `/` or `..` cannot pass either.
 */
export function checkRequestPath(url: string): Checked {
  const afterScheme = url.indexOf("//");
  const start = url.indexOf("/", afterScheme < 0 ? 0 : afterScheme + 2);
  if (start < 0) return { ok: false, refusal: "invalid" };
  let path = url.slice(start);
  const end = path.search(/[?#]/);
  if (end >= 0) path = path.slice(0, end);
  const raw = path.slice(1).split("/");
  // a trailing slash names a directory, which is never listed
  if (raw.at(-1) === "" && raw.length > 1) return { ok: false, refusal: "hidden" };
  const segments: string[] = [];
  for (const segment of raw) {
    try {
      segments.push(decodeURIComponent(segment));
    } catch {
      return { ok: false, refusal: "invalid" };
    }
  }
  return checkSegments(segments);
}
