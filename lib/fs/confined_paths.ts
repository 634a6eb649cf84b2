/**
 * Names and errors shared by the confined file operations (`confined.ts`, `confined_tree.ts`) and
 * the two checks that keep them inside a root (`root_check.ts`).
 */

/** A name that resolves outside the root (through a symlink at some component). */
export class OutsideRootError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutsideRootError";
  }
}

/** A name that exists but is not what the operation needs (a directory, a FIFO...). */
export class NotRegularFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotRegularFileError";
  }
}

/**
 * A name reached through a directory that users other than this one and root can change, refused
 * by the ownership rule (the check a process that cannot read `/proc/self/fd` uses, see
 * `confined.ts`): nothing keeps them from swapping a component for a symlink out of the root
 * mid-walk.
 */
export class UnsafeDirectoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsafeDirectoryError";
  }
}

/** Whether the absolute real `path` is `root` or below it. */
export function isWithin(root: string, path: string): boolean {
  return path === root || path.startsWith(root === "/" ? "/" : `${root}/`);
}

/** `root` joined with `names` (`root` itself for none). */
export function pathIn(root: string, names: readonly string[]): string {
  return names.length === 0 ? root : `${root === "/" ? "" : root}/${names.join("/")}`;
}

/** The error for `shown`, a name given by the caller, that leads out of `root`. */
export function outside(shown: string, root: string): OutsideRootError {
  return new OutsideRootError(`"${shown}" leads out of ${root}`);
}
