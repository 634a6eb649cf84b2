/**
 * Our Deno's aarch64 build run on this x86_64 host under user-mode emulation, as prepared by
 * `tools/aarch64_sysroot.sh` (qemu-aarch64-static with a sysroot of Debian's arm64 libraries).
 */
/** Where `tools/aarch64_sysroot.sh` installs by default; `JMP_AARCH64_DIR` overrides it. */
export const AARCH64_DIR: string = Deno.env.get("JMP_AARCH64_DIR") || "/opt/jmp-aarch64";

/** The emulated `deno`, or why there is none (run `tools/aarch64_sysroot.sh`). */
export function aarch64Deno(): { path: string } | { missing: string } {
  const path = `${AARCH64_DIR}/deno-aarch64`;
  try {
    Deno.statSync(path);
    return { path };
  } catch {
    return { missing: `${path} is missing: run tools/aarch64_sysroot.sh to prepare it` };
  }
}
