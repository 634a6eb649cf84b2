/**
 * Keeps the `fs` service inside its root. OpenDAL joins a path to the root as given, so
 * `../x` reaches the root's parent and a symlink inside the root can point anywhere; upstream
 * does not check either. Every path an `fs` Opendal receives passes through here first.
 */
import { dirname, resolve } from "node:path";
import { isWithin } from "@jumpstarter/lib/fs";
import { InvalidArgumentError } from "@jumpstarter/lib/wire";

/** The path relative to the root after `.` and `..` (null when it climbs above the root). */
function lexicalPath(path: string): string | null {
  const kept: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (kept.length === 0) return null;
      kept.pop();
    } else {
      kept.push(segment);
    }
  }
  return kept.join("/");
}

/** The real path of the deepest existing ancestor of `absolute` (itself when it exists). */
async function realAncestor(absolute: string): Promise<string> {
  let current = absolute;
  for (;;) {
    try {
      return await Deno.realPath(current);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound) || current === dirname(current)) throw error;
      current = dirname(current);
    }
  }
}

/**
 * Refuses a path that leads out of `root`: by `..`, or through a symlink that resolves outside
 * the root's real path.
 *
 * @throws {InvalidArgumentError} naming the path and the root.
 */
export async function confineToRoot(root: string, path: string): Promise<void> {
  const relative = lexicalPath(path);
  const refuse = () =>
    new InvalidArgumentError(`Invalid path "${path}": it leads out of the fs root ${root}`);
  if (relative === null) throw refuse();
  if (relative === "") return;
  let realRoot: string;
  try {
    realRoot = await Deno.realPath(root);
  } catch {
    return; // no root yet: OpenDAL creates it, and nothing inside can be a symlink
  }
  const real = await realAncestor(resolve(realRoot, relative));
  if (!isWithin(realRoot, real)) throw refuse();
}
