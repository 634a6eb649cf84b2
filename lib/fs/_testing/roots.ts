/**
 * A served root and a directory outside it, for tests of the confined file operations.
 */

/** A user that is neither this one nor root: the owner of directories "others can change". */
export const OTHER_UID = 65534;

/**
 * Runs `body` with `root` and `outside`, two real paths side by side in a temporary directory
 * removed afterwards, under umask 022 (directories made are 0755 unless a test says otherwise:
 * with 002 they would be group-writable, which the confined operations refuse to walk through).
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
