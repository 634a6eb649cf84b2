/**
 * Builds a real flasher initramfs from Debian packages, as upstream's bundles carry one: static
 * busybox (`busybox-static`) for the shell, dd, zcat and udhcpc, Debian's curl with the shared
 * libraries `ldd` names, and the virtio modules of the installed `linux-image-amd64` kernel (its
 * virtio drivers are modules), packed as a gzip'd cpio newc archive (`cpio`, `gzip`).
 *
 * The image logs in like upstream's bundles (`login:` prompt, username, then a `#` prompt).
 */
import { dirname, join } from "node:path";

/** Modules the guest needs for its virtio disk and network card (dependencies are added). */
const MODULES = ["virtio_pci", "virtio_blk", "virtio_net"];
export const LOGIN_PROMPT = "flasher login:";

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for module in $(cat /etc/modules.order); do insmod "/lib/modules/$module"; done
ip link set lo up
ip link set eth0 up
echo
echo -n "${LOGIN_PROMPT} "
read -r user
export HOME=/root PS1='# '
echo "logged in as $user"
exec setsid cttyhack sh
`;

const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  deconfig) ifconfig "$interface" 0.0.0.0 up ;;
  bound|renew)
    ifconfig "$interface" "$ip" netmask "$subnet" up
    [ -n "$router" ] && route add default gw "$router" dev "$interface"
    ;;
esac
exit 0
`;

async function run(command: string, args: string[]): Promise<string> {
  const output = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
    .output();
  if (!output.success) {
    throw new Error(
      `${command} ${args.join(" ")} failed: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
  return new TextDecoder().decode(output.stdout);
}

/** The newest kernel under /boot with its modules directory, or undefined when none is installed. */
export async function installedKernel(): Promise<{ vmlinuz: string; release: string } | undefined> {
  const releases: string[] = [];
  try {
    for await (const entry of Deno.readDir("/boot")) {
      const match = entry.name.match(/^vmlinuz-(.+)$/);
      if (match) releases.push(match[1]!);
    }
  } catch {
    return undefined;
  }
  releases.sort();
  for (const release of releases.reverse()) {
    try {
      await Deno.stat(`/lib/modules/${release}/modules.dep`);
      return { vmlinuz: `/boot/vmlinuz-${release}`, release };
    } catch {
      // a kernel whose modules are not installed cannot drive virtio here
    }
  }
  return undefined;
}

/** `modules` and their dependencies, dependencies first, as paths relative to the modules dir. */
async function moduleOrder(release: string): Promise<string[]> {
  const deps = new Map<string, string[]>();
  for (const line of (await Deno.readTextFile(`/lib/modules/${release}/modules.dep`)).split("\n")) {
    const [module, rest] = line.split(":");
    if (module && rest !== undefined) deps.set(module, rest.trim().split(/\s+/).filter(Boolean));
  }
  const byName = (name: string) =>
    [...deps.keys()].find((path) =>
      path.endsWith(`/${name}.ko`) || path.endsWith(`/${name}.ko.xz`)
    );
  const order: string[] = [];
  const visit = (path: string) => {
    if (order.includes(path)) return;
    for (const dep of deps.get(path) ?? []) visit(dep);
    order.push(path);
  };
  for (const name of MODULES) {
    const path = byName(name);
    if (!path) throw new Error(`kernel ${release} has no ${name} module`);
    visit(path);
  }
  return order;
}

/** Shared libraries of an executable (the loader included), as absolute paths. */
async function sharedLibraries(executable: string): Promise<string[]> {
  const paths = new Set<string>();
  for (const line of (await run("ldd", [executable])).split("\n")) {
    const match = line.match(/(?:=>\s*)?(\/\S+)\s+\(0x/);
    if (match) paths.add(match[1]!);
  }
  return [...paths];
}

async function copyInto(root: string, source: string, destination = source): Promise<void> {
  const target = join(root, destination);
  await Deno.mkdir(dirname(target), { recursive: true });
  await Deno.copyFile(source, target);
}

/**
 * Writes `initramfs.gz` for kernel `release` into `directory` (staging in a subdirectory) and
 * returns its path.
 */
export async function buildInitramfs(directory: string, release: string): Promise<string> {
  const root = join(directory, "initramfs-root");
  for (const dir of ["bin", "usr/bin", "proc", "sys", "dev", "tmp", "root", "etc"]) {
    await Deno.mkdir(join(root, dir), { recursive: true });
  }
  await copyInto(root, "/bin/busybox", "bin/busybox");
  await Deno.writeTextFile(join(root, "init"), INIT, { mode: 0o755 });
  // where Debian's busybox looks for it
  await Deno.mkdir(join(root, "etc/udhcpc"), { recursive: true });
  await Deno.writeTextFile(join(root, "etc/udhcpc/default.script"), UDHCPC_SCRIPT, {
    mode: 0o755,
  });
  await copyInto(root, "/usr/bin/curl");
  for (const library of await sharedLibraries("/usr/bin/curl")) await copyInto(root, library);
  const modules = await moduleOrder(release);
  for (const module of modules) {
    await copyInto(root, `/lib/modules/${release}/${module}`, `lib/modules/${module}`);
  }
  await Deno.writeTextFile(join(root, "etc/modules.order"), modules.join("\n") + "\n");
  const output = join(directory, "initramfs.gz");
  await run("sh", [
    "-c",
    'cd "$1" && find . | cpio --quiet -o -H newc -R 0:0 | gzip -1 > "$2"',
    "sh",
    root,
    output,
  ]);
  await Deno.remove(root, { recursive: true });
  return output;
}
