/**
 * A served root and a directory outside it, and a way to run under either root check, for tests
 * of the confined file operations.
 */
import { forceRootCheck, type RootCheck } from "../root_check.ts";

/** A user that is neither this one nor root: the owner of directories "others can change". */
export const OTHER_UID = 65534;

/** Both root checks, for tests that run under each. */
export const ROOT_CHECKS: readonly RootCheck[] = ["kernel", "ownership"];

/** Skips a test unless it runs as root (it `chown`s). */
export const AS_ROOT = { ignore: Deno.uid() !== 0 };

/**
 * Runs `body` with every confined operation under `check` (tests run with `-A`, where the probe
 * finds the kernel check), then lets the probe decide again.
 */
export async function withRootCheck<T>(check: RootCheck, body: () => Promise<T>): Promise<T> {
  forceRootCheck(check);
  try {
    return await body();
  } finally {
    forceRootCheck(undefined);
  }
}

/**
 * Runs `body` with `root` and `outside`, two real paths side by side in a temporary directory
 * removed afterwards, under umask 022 (directories made are 0755 unless a test says otherwise:
 * with 002 they would be group-writable, which the ownership check refuses to walk through).
 */
export async function withRoot(
  body: (root: string, outside: string) => Promise<void>,
): Promise<void> {
  const umask = Deno.umask(0o022);
  const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "jmp-confined-" }));
  try {
    await Deno.mkdir(`${base}/root`);
    await Deno.chmod(`${base}/root`, 0o755);
    await Deno.mkdir(`${base}/outside`);
    await body(`${base}/root`, `${base}/outside`);
  } finally {
    await Deno.remove(base, { recursive: true });
    Deno.umask(umask);
  }
}

/**
 * Makes `root` a root another user owns, with group-writable subdirectories of theirs holding
 * files: `top` directly in the root, `a/f` and `a/b/g` below (as `/srv/tftp` owned by `tftp`,
 * served by root). Needs root.
 */
export async function othersRoot(root: string): Promise<void> {
  await Deno.mkdir(`${root}/a/b`, { recursive: true });
  await Deno.writeTextFile(`${root}/top`, "top");
  await Deno.writeTextFile(`${root}/a/f`, "f");
  await Deno.writeTextFile(`${root}/a/b/g`, "g");
  for (const path of ["", "/a", "/a/b"]) {
    await Deno.chown(`${root}${path}`, OTHER_UID, OTHER_UID);
    await Deno.chmod(`${root}${path}`, 0o775);
  }
}

/** A test, run as root only, of `body` on a root `othersRoot` made (see there) in `withRoot`. */
export function testInOthersRoot(name: string, body: (root: string) => Promise<void>): void {
  Deno.test({
    name,
    ...AS_ROOT,
    fn: () =>
      withRoot(async (root) => {
        await othersRoot(root);
        await body(root);
      }),
  });
}

/**
 * Makes `theirs` in `root`, a directory another user owns holding `sub/f` (file and `sub` this
 * user's). Needs root.
 */
export async function theirDirectory(root: string): Promise<void> {
  await Deno.mkdir(`${root}/theirs/sub`, { recursive: true });
  await Deno.writeTextFile(`${root}/theirs/sub/f`, "f");
  await Deno.chown(`${root}/theirs`, OTHER_UID, OTHER_UID);
}
