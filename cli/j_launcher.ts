/**
 * Makes `j` callable inside a shell: a tiny launcher script placed on the shell's PATH that runs
 * this same program (the compiled binary, or `deno run` of this workspace).
 */

function quote(text: string): string {
  return `'${text.replaceAll("'", `'"'"'`)}'`;
}

/** The command line that runs `jmp` itself, as an argv prefix. */
export function selfCommand(): string[] {
  const exec = Deno.execPath();
  const main = new URL("./main.ts", import.meta.url);
  if (main.protocol !== "file:" || !/deno$/.test(exec)) return [exec];
  const config = new URL("../deno.json", import.meta.url);
  return [exec, "run", "-A", "--quiet", "--config", config.pathname, main.pathname];
}

/** Writes `<dir>/j` (and `<dir>/jmp`) launchers and returns `dir` for prepending to PATH. */
export async function writeLaunchers(dir: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const self = selfCommand().map(quote).join(" ");
  const scripts = { j: `${self} j "$@"`, jmp: `${self} "$@"` };
  for (const [name, line] of Object.entries(scripts)) {
    const path = `${dir}/${name}`;
    await Deno.writeTextFile(path, `#!/bin/sh\nexec ${line}\n`);
    await Deno.chmod(path, 0o755);
  }
  return dir;
}
