/** Finding the `ustreamer` executable as upstream's `shutil.which` does. */

function isExecutableFile(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * The path of `name`: itself when it holds a `/`, else the first match on `path` (`$PATH`).
 *
 * @throws {Error} one line naming `name` when there is none.
 */
export function findExecutable(name: string, path = Deno.env.get("PATH") ?? ""): string {
  if (name.includes("/")) {
    if (isExecutableFile(name)) return name;
    throw new Error(`ustreamer executable not found: ${name} is not an executable file`);
  }
  for (const dir of path.split(":")) {
    const candidate = `${dir === "" ? "." : dir}/${name}`;
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new Error(`ustreamer executable not found: no ${name} on PATH`);
}
